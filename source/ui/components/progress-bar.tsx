import {Box, Text} from 'ink';
import {formatDuration, formatPercent, formatQuantity, formatRate, type QuantityUnit} from '../../core/format.ts';

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

interface ProgressBarProps extends ProgressInput {
	unit: QuantityUnit;
	label?: string;
	labelWidth?: number;
	width?: number;
	/** seconds since these figures came */
	idleSeconds?: number;
}

/** label [██████░░░░] 42%  1.2 GiB / 2.9 GiB  34.5 MiB/s  ETA 1m 05s */
export function ProgressBar({label, labelWidth = 24, width = 20, unit, idleSeconds, ...input}: ProgressBarProps) {
	const figures = progressFigures(input);
	const amount =
		input.total === undefined
			? formatQuantity(input.done, unit)
			: `${formatQuantity(input.done, unit)} / ${formatQuantity(input.total, unit)}`;
	const eta = etaText(figures, idleSeconds);
	return (
		<Box>
			{label === undefined ? null : (
				// the padding keeps a column between a label cut to fit and its bar
				<Box width={labelWidth} flexShrink={0} paddingRight={1}>
					<Text wrap="truncate-middle">{label}</Text>
				</Box>
			)}
			<Text>
				{figures.fraction === undefined ? null : (
					<Text>
						<Text color={figures.finished ? 'green' : 'cyan'}>{barText(figures.fraction, width)}</Text>{' '}
						{formatPercent(input.done, input.total ?? 0).padStart(4)}{'  '}
					</Text>
				)}
				{amount}
				<Text dimColor>  {formatRate(input.rate, unit)}</Text>
				{eta ? <Text color={figures.finished ? 'green' : undefined}>  {eta}</Text> : null}
			</Text>
		</Box>
	);
}
