import {Box, Text} from 'ink';
import {useEffect, useState} from 'react';
import type {EventBus, EventOf} from '../../core/events.ts';
import {ProgressBar} from './progress-bar.tsx';

export type ProgressEvent = EventOf<'progress'>;

function isFinished(event: ProgressEvent): boolean {
	return event.total !== undefined && event.done >= event.total;
}

/**
 * Running tasks first (in the order they started), then finished ones (latest first), cut to `limit`.
 * A backup of hundreds of tables must not print hundreds of bars.
 */
export function visibleTasks(tasks: ProgressEvent[], limit: number): {shown: ProgressEvent[]; hidden: number; hiddenFinished: number} {
	const running = tasks.filter((task) => !isFinished(task));
	const finished = tasks.filter(isFinished).reverse();
	const ordered = [...running, ...finished];
	const shown = ordered.slice(0, limit);
	const rest = ordered.slice(limit);
	return {shown, hidden: rest.length, hiddenFinished: rest.filter(isFinished).length};
}

/**
 * The latest progress event of every task seen since mount, in the order tasks started; a task moves to
 * the end when it finishes, so finished ones sit in finishing order.
 */
export function useProgressTasks(bus: EventBus): ProgressEvent[] {
	const [tasks, setTasks] = useState<ProgressEvent[]>([]);
	useEffect(
		() =>
			bus.on('progress', (event) =>
				setTasks((list) => {
					const index = list.findIndex((task) => task.task === event.task);
					if (index === -1) return [...list, event];
					if (isFinished(event) && !isFinished(list[index]!))
						return [...list.slice(0, index), ...list.slice(index + 1), event];
					const next = [...list];
					next[index] = event;
					return next;
				}),
			),
		[bus],
	);
	return tasks;
}

/** Renders again every `intervalMs`, so that idle times grow between events. */
function useTick(intervalMs: number): void {
	const [, setTick] = useState(0);
	useEffect(() => {
		const timer = setInterval(() => setTick((tick) => tick + 1), intervalMs);
		return () => clearInterval(timer);
	}, [intervalMs]);
}

/** One bar per task, each showing the task's latest figures (and how long it has been idle, once it is). */
export function ProgressBars({tasks, limit = 8, now = Date.now}: {tasks: ProgressEvent[]; limit?: number; now?: () => number}) {
	useTick(1000);
	const time = now();
	if (tasks.length === 0) return null;
	const {shown, hidden, hiddenFinished} = visibleTasks(tasks, limit);
	return (
		<Box flexDirection="column">
			{shown.map((task) => (
				<ProgressBar
					key={task.task}
					label={task.task}
					unit={task.unit}
					done={task.done}
					total={task.total}
					rate={task.rate}
					eta={task.eta}
					idleSeconds={Math.max(0, (time - Date.parse(task.time)) / 1000)}
				/>
			))}
			{hidden > 0 ? (
				<Text dimColor>
					… {hidden} more task{hidden === 1 ? '' : 's'}
					{hiddenFinished > 0 ? ` (${hiddenFinished} finished)` : ''}
				</Text>
			) : null}
		</Box>
	);
}

/** One bar per task from the bus's progress events. */
export function ProgressList({bus, limit = 8}: {bus: EventBus; limit?: number}) {
	return <ProgressBars tasks={useProgressTasks(bus)} limit={limit} />;
}
