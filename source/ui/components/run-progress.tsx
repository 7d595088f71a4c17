import {Box, Text} from 'ink';
import type {EventBus} from '../../core/events.ts';
import {formatBytes, formatDuration, formatQuantity, formatRate} from '../../core/format.ts';
import {useLatestEvent} from '../hooks.ts';
import {ProgressBar} from './progress-bar.tsx';
import {ProgressBars, useProgressTasks, type ProgressEvent} from './progress-list.tsx';
import {StageLine} from './stage-line.tsx';

/**
 * Seconds left from the per-table tasks when the overall task cannot say (its total is unknown):
 * the rows left in the tasks that know their total, over the rate of the tasks still running.
 * Tables not started yet are not counted, so it is a lower bound.
 */
export function estimateEta(tasks: ProgressEvent[]): number | undefined {
	const running = tasks.filter((task) => task.total !== undefined && task.done < task.total);
	const rate = running.reduce((sum, task) => sum + task.rate, 0);
	if (running.length === 0 || rate <= 0) return undefined;
	return running.reduce((sum, task) => sum + (task.total! - task.done), 0) / rate;
}

/** rows/s summed over the tasks still running: how fast rows move right now, across workers. */
function runningRowRate(tasks: ProgressEvent[]): number {
	return tasks
		.filter((task) => task.unit === 'rows' && (task.total === undefined || task.done < task.total))
		.reduce((sum, task) => sum + task.rate, 0);
}

const OVERALL_LABEL_WIDTH = 24;

function OverallLine({overall, tasks}: {overall: ProgressEvent | undefined; tasks: ProgressEvent[]}) {
	if (!overall) return null;
	if (overall.total !== undefined) {
		return (
			<ProgressBar
				label="Overall"
				labelWidth={OVERALL_LABEL_WIDTH}
				unit={overall.unit}
				done={overall.done}
				total={overall.total}
				rate={overall.rate}
				eta={overall.eta}
			/>
		);
	}
	const eta = overall.eta ?? estimateEta(tasks);
	const rowRate = runningRowRate(tasks);
	return (
		<Box>
			<Box width={OVERALL_LABEL_WIDTH} flexShrink={0}>
				<Text>Overall</Text>
			</Box>
			<Text>
				{formatQuantity(overall.done, overall.unit)}
				<Text dimColor>  {formatRate(overall.rate, overall.unit)}</Text>
				{rowRate > 0 ? <Text dimColor>  {formatRate(rowRate, 'rows')}</Text> : null}
				{eta === undefined ? null : <Text>  ETA {formatDuration(eta)}</Text>}
			</Text>
		</Box>
	);
}

/** An upload to S3 beside the dump: what S3 has accepted, the parts on the way, the requests tried again. */
function UploadLine({bus}: {bus: EventBus}) {
	const upload = useLatestEvent(bus, 'upload');
	if (!upload) return null;
	return (
		<Box>
			<Box width={OVERALL_LABEL_WIDTH} flexShrink={0}>
				<Text>Upload</Text>
			</Box>
			<Text wrap="truncate-end">
				{formatBytes(upload.bytesSent)} sent
				<Text dimColor>
					{'  '}
					{upload.partsDone} part{upload.partsDone === 1 ? '' : 's'} done, {upload.partsInFlight} in flight
				</Text>
				{upload.retries > 0 ? <Text color="yellow">  {upload.retries} retried</Text> : <Text dimColor>  no retries</Text>}
			</Text>
		</Box>
	);
}

interface RunProgressProps {
	bus: EventBus;
	/** "Backing up…": shown before the stage the work is in */
	activity: string;
	/** the task that measures the whole run (e.g. "dump"); every other task gets a bar of its own */
	overallTask: string;
	limit?: number;
}

/** A running backup or restore: its stage, the overall throughput and ETA, a bar per table. */
export function RunProgress({bus, activity, overallTask, limit = 8}: RunProgressProps) {
	const tasks = useProgressTasks(bus);
	const overall = tasks.find((task) => task.task === overallTask);
	const perTable = tasks.filter((task) => task.task !== overallTask);
	return (
		<Box flexDirection="column">
			<StageLine bus={bus} activity={activity} />
			<Box flexDirection="column" marginTop={1}>
				<OverallLine overall={overall} tasks={perTable} />
				<UploadLine bus={bus} />
				<ProgressBars tasks={perTable} limit={limit} />
			</Box>
		</Box>
	);
}
