import {Box, Text} from 'ink';
import {useEffect, useState} from 'react';
import type {EventBus, EventOf} from '../../core/events.ts';
import {useBodySize} from '../layout.ts';
import {BAR_WIDTH, barCells, LABEL_WIDTH, lineParts, ProgressBar} from './progress-bar.tsx';

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

/** bars when neither a limit nor the rows say how many */
const DEFAULT_BARS = 8;

/** Bars that fit `rows` (the "more" line included) and `limit`. */
export function barsShown(count: number, limit: number | undefined, rows: number | undefined): number {
	if (rows === undefined) return limit ?? DEFAULT_BARS;
	return Math.max(0, Math.min(limit ?? count, count <= rows ? rows : rows - 1));
}

interface ProgressBarsProps {
	tasks: ProgressEvent[];
	/** bars at most; without it and `rows`, 8 */
	limit?: number;
	/** rows the bars may take, "… N more" included */
	rows?: number;
	/** bar cells shared with a line above (the overall bar); the shown bars' own when absent */
	cells?: number;
	now?: () => number;
}

/** Seconds since a task's latest figures came. */
export function idleSeconds(task: ProgressEvent, now: number): number {
	return Math.max(0, (now - Date.parse(task.time)) / 1000);
}

/** The bar cells that line up the bars of `tasks` in `columns`. */
export function tasksBarCells(tasks: ProgressEvent[], columns: number, now: number): number {
	return barCells(columns - LABEL_WIDTH, BAR_WIDTH, tasks.map((task) => lineParts({...task, idleSeconds: idleSeconds(task, now)})));
}

/** One bar per task, each showing the task's latest figures (and how long it has been idle, once it is); the bars line up. */
export function ProgressBars({tasks, limit, rows, cells, now = Date.now}: ProgressBarsProps) {
	useTick(1000);
	const {columns} = useBodySize();
	const time = now();
	if (tasks.length === 0) return null;
	const {shown, hidden, hiddenFinished} = visibleTasks(tasks, barsShown(tasks.length, limit, rows));
	const shared = cells ?? tasksBarCells(shown, columns, time);
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
					cells={shared}
					idleSeconds={idleSeconds(task, time)}
				/>
			))}
			{hidden > 0 ? (
				<Text dimColor wrap="truncate-end">
					… {hidden} more task{hidden === 1 ? '' : 's'}
					{hiddenFinished > 0 ? ` (${hiddenFinished} finished)` : ''}
				</Text>
			) : null}
		</Box>
	);
}

/** One bar per task from the bus's progress events. */
export function ProgressList({bus, limit}: {bus: EventBus; limit?: number}) {
	return <ProgressBars tasks={useProgressTasks(bus)} limit={limit} />;
}
