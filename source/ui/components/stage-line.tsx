import {Text} from 'ink';
import {useEffect, useState} from 'react';
import type {EventBus} from '../../core/events.ts';
import {formatDuration} from '../../core/format.ts';
import {useLatestEvent} from '../hooks.ts';

/** "Detecting… · reading binlog status": what a running call is busy with, from the bus's stage events. */
export function StageLine({bus, activity}: {bus: EventBus; activity: string}) {
	const stage = useLatestEvent(bus, 'stage');
	return (
		<Text wrap="truncate-end">
			<Text color="cyan">{activity}</Text>
			{stage ? (
				<Text>
					{' '}
					· {stage.name}
					{stage.detail ? <Text dimColor> {stage.detail}</Text> : null}
				</Text>
			) : null}
		</Text>
	);
}

/** One stage seen: its name and when it began (ms since the epoch). */
export interface StageMark {
	name: string;
	at: number;
}

/** Every stage seen since mount, in order; a stage named again right after itself is one stage. */
export function useStageMarks(bus: EventBus): StageMark[] {
	const [marks, setMarks] = useState<StageMark[]>([]);
	useEffect(
		() =>
			bus.on('stage', (event) =>
				setMarks((list) => (list.at(-1)?.name === event.name ? list : [...list, {name: event.name, at: Date.parse(event.time)}])),
			),
		[bus],
	);
	return marks;
}

/** "✓ checkpoint 0.2s  ✓ copy 3s  › finish": the stages done, with how long each took, then the one under way. */
export function stageTrailText(marks: StageMark[]): string {
	return marks
		.map((mark, index) => {
			const next = marks[index + 1];
			if (!next) return `› ${mark.name}`;
			const seconds = Math.max(0, (next.at - mark.at) / 1000);
			return `✓ ${mark.name} ${seconds < 10 ? `${seconds.toFixed(1)}s` : formatDuration(seconds)}`;
		})
		.join('  ');
}

/**
 * The stages of a run so far in one row (a physical backup's checkpoint, copy and finish); a row too
 * short for all of them loses the oldest, so the stage under way always shows.
 */
export function StageTrail({bus}: {bus: EventBus}) {
	const marks = useStageMarks(bus);
	if (marks.length === 0) return null;
	return (
		<Text dimColor wrap="truncate-start">
			{stageTrailText(marks)}
		</Text>
	);
}
