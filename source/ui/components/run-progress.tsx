import {Box, Text} from 'ink';
import type {ReactNode} from 'react';
import type {EventBus, EventOf} from '../../core/events.ts';
import {formatBytes, formatDuration, formatQuantity, formatRate} from '../../core/format.ts';
import {useLatestEvent} from '../hooks.ts';
import {rowsLeft, useBodySize} from '../layout.ts';
import {LABEL_WIDTH, ProgressBar} from './progress-bar.tsx';
import {ProgressBars, tasksBarCells, useProgressTasks, type ProgressEvent} from './progress-list.tsx';
import {StageLine, StageTrail} from './stage-line.tsx';

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

const OVERALL_LABEL_WIDTH = LABEL_WIDTH;

function OverallLine({overall, tasks, cells}: {overall: ProgressEvent | undefined; tasks: ProgressEvent[]; cells: number}) {
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
				cells={cells}
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
			<Text wrap="truncate-end">
				{formatQuantity(overall.done, overall.unit)}
				<Text dimColor>  {formatRate(overall.rate, overall.unit)}</Text>
				{rowRate > 0 ? <Text dimColor>  {formatRate(rowRate, 'rows')}</Text> : null}
				{eta === undefined ? null : <Text>  ETA {formatDuration(eta)}</Text>}
			</Text>
		</Box>
	);
}

/** An upload to S3 beside the dump: what S3 has accepted, the parts on the way, the requests tried again. */
function UploadLine({upload}: {upload: EventOf<'upload'> | undefined}) {
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
	/** table bars at most (8 when neither this nor `rows` is given) */
	limit?: number;
	/** rows for all of it: the table bars get what the stage, overall and upload lines leave */
	rows?: number;
	/** a row under the stage line with every stage so far and how long each took (a physical backup's few stages) */
	stageTrail?: boolean;
	/** what a kind of run adds under the stages (a physical backup's engine, quiesce time and current file) */
	panel?: ReactNode;
	/** rows the panel takes at most (and one above it), kept from the bars */
	panelRows?: number;
}

/** A running backup or restore: its stage, the overall throughput and ETA, a bar per table. */
export function RunProgress({bus, activity, overallTask, limit, rows, stageTrail = false, panel, panelRows = 0}: RunProgressProps) {
	const tasks = useProgressTasks(bus);
	const upload = useLatestEvent(bus, 'upload');
	const overall = tasks.find((task) => task.task === overallTask);
	const perTable = tasks.filter((task) => task.task !== overallTask);
	const {columns} = useBodySize();
	// the stage line, the blank row, the overall line and the upload line come first
	const barRows = rowsLeft(rows, 2 + (stageTrail ? 1 : 0) + (panel ? panelRows + 1 : 0) + (overall ? 1 : 0) + (upload ? 1 : 0), 1);
	// one bar width for the overall bar and the table bars, so that they line up
	const cells = tasksBarCells(overall ? [overall, ...perTable] : perTable, columns, Date.now());
	return (
		<Box flexDirection="column">
			<StageLine bus={bus} activity={activity} />
			{stageTrail ? <StageTrail bus={bus} /> : null}
			{panel ? <Box marginTop={1}>{panel}</Box> : null}
			<Box flexDirection="column" marginTop={1}>
				<OverallLine overall={overall} tasks={perTable} cells={cells} />
				<UploadLine upload={upload} />
				<ProgressBars tasks={perTable} limit={limit} rows={barRows} cells={cells} />
			</Box>
		</Box>
	);
}
