import {Box, Text} from 'ink';
import {formatDuration, formatPercent, formatQuantity, formatRate, type QuantityUnit} from '../../core/format.ts';
import {useBodySize} from '../layout.ts';

export interface ProgressInput {
	done: number;
	total?: number;
	/** units per second */
	rate: number;
	/** seconds left as the source computed it; derived from total and rate when absent */
	eta?: number;
}

export interface ProgressFigures {
	/** 0..1, undefined when the total is unknown */
	fraction?: number;
	/** seconds left, undefined when it cannot be known */
	eta?: number;
	finished: boolean;
}

export function progressFigures({done, total, rate, eta}: ProgressInput): ProgressFigures {
	if (total === undefined) return {eta: undefined, finished: false};
	const finished = done >= total;
	const fraction = total > 0 ? Math.min(1, Math.max(0, done / total)) : 1;
	if (finished) return {fraction, eta: 0, finished};
	const left = eta ?? (rate > 0 ? (total - done) / rate : undefined);
	return {fraction, eta: left === undefined ? undefined : Math.max(0, left), finished};
}

/** A task not finished whose last figures are this old shows how long it has been idle instead of an ETA. */
export const IDLE_AFTER_SECONDS = 5;

/**
 * "ETA 1m 05s", "done", "ETA —" while no rate is known, or "idle 12s" once the task has not moved for
 * IDLE_AFTER_SECONDS: a table waiting for a worker (or a stuck one) keeps the rate of its last run, and
 * an ETA from it would be a promise nobody keeps.
 */
export function etaText(figures: ProgressFigures, idleSeconds = 0): string | undefined {
	if (figures.fraction === undefined) return undefined;
	if (figures.finished) return 'done';
	if (idleSeconds >= IDLE_AFTER_SECONDS) return `idle ${formatDuration(idleSeconds)}`;
	return figures.eta === undefined ? 'ETA —' : `ETA ${formatDuration(figures.eta)}`;
}

export function barText(fraction: number, width: number): string {
	const filled = Math.round(fraction * width);
	return '█'.repeat(filled) + '░'.repeat(width - filled);
}

/** the label column of a bar line */
export const LABEL_WIDTH = 24;
/** bar cells at most */
export const BAR_WIDTH = 20;
/** a bar narrower than this says less than the percent beside it: it is left out */
const MIN_BAR_CELLS = 5;

/** The text of a bar line after its bar, and the columns it needs with and without the rate. */
export interface LineParts {
	figures: ProgressFigures;
	percent: string;
	amount: string;
	rate: string;
	eta?: string;
	withRate: number;
	withoutRate: number;
}

export function lineParts({unit, idleSeconds, ...input}: ProgressInput & {unit: QuantityUnit; idleSeconds?: number}): LineParts {
	const figures = progressFigures(input);
	const amount =
		input.total === undefined
			? formatQuantity(input.done, unit)
			: `${formatQuantity(input.done, unit)} / ${formatQuantity(input.total, unit)}`;
	const eta = etaText(figures, idleSeconds);
	const percent = formatPercent(input.done, input.total ?? 0).padStart(4);
	const rate = formatRate(input.rate, unit);
	const withoutRate = (figures.fraction === undefined ? 0 : percent.length + 2) + amount.length + (eta ? eta.length + 2 : 0);
	return {figures, percent, amount, rate, eta, withRate: withoutRate + rate.length + 2, withoutRate};
}

/**
 * Bar cells for lines that sit under each other, so that their bars and percents line up in `room` columns
 * (after the label): the figures come first, then the bar (up to `width` cells, at least MIN_BAR_CELLS),
 * and a line's rate goes before the bar does. 0: no bar. What still does not fit is cut at the line's end.
 */
export function barCells(room: number, width: number, lines: LineParts[]): number {
	const barred = lines.filter((line) => line.figures.fraction !== undefined);
	for (const rate of [true, false]) {
		const cells = Math.min(width, ...barred.map((line) => room - 1 - (rate ? line.withRate : line.withoutRate)));
		if (cells >= MIN_BAR_CELLS) return cells;
	}
	return 0;
}

interface ProgressBarProps extends ProgressInput {
	unit: QuantityUnit;
	label?: string;
	labelWidth?: number;
	/** bar cells at most: fewer when the line would not fit `columns` */
	width?: number;
	/** the room for the whole line; the body's width when absent */
	columns?: number;
	/** bar cells shared with the lines around it (barCells); this line's own when absent */
	cells?: number;
	/** seconds since these figures came */
	idleSeconds?: number;
}

/** label [██████░░░░] 42%  1.2 GiB / 2.9 GiB  34.5 MiB/s  ETA 1m 05s, in one row of `columns` */
export function ProgressBar({label, labelWidth = LABEL_WIDTH, width = BAR_WIDTH, columns, cells: sharedCells, unit, idleSeconds, ...input}: ProgressBarProps) {
	const body = useBodySize();
	const parts = lineParts({...input, unit, idleSeconds});
	const {figures, percent, amount, rate, eta} = parts;
	const room = (columns ?? body.columns) - (label === undefined ? 0 : labelWidth);
	const cells = figures.fraction === undefined ? 0 : (sharedCells ?? barCells(room, width, [parts]));
	// a line shows its rate whenever it has room for it after the bar its neighbours share
	const showRate = (cells > 0 ? cells + 1 : 0) + parts.withRate <= room;
	return (
		<Box>
			{label === undefined ? null : (
				// the padding keeps a column between a label cut to fit and its bar
				<Box width={labelWidth} flexShrink={0} paddingRight={1}>
					<Text wrap="truncate-middle">{label}</Text>
				</Box>
			)}
			<Text wrap="truncate-end">
				{figures.fraction === undefined ? null : (
					<Text>
						{cells > 0 ? (
							<Text>
								<Text color={figures.finished ? 'green' : 'cyan'}>{barText(figures.fraction, cells)}</Text>{' '}
							</Text>
						) : null}
						{percent}
						{'  '}
					</Text>
				)}
				{amount}
				{showRate ? <Text dimColor>  {rate}</Text> : null}
				{eta ? <Text color={figures.finished ? 'green' : undefined}>  {eta}</Text> : null}
			</Text>
		</Box>
	);
}
