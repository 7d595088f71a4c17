import {Text} from 'ink';
import type {EventBus} from '../../core/events.ts';
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
