import {mkdir, writeFile} from 'node:fs/promises';
import {join} from 'node:path';
import {REPO_ROOT} from './ours.ts';
import type {StepResult} from './run-step.ts';
import type {SizeRun, TargetOutcome} from './targets.ts';

const MIB = 1024 * 1024;

function pad(text: string, width: number, align: 'left' | 'right'): string {
	return align === 'left' ? text.padEnd(width) : text.padStart(width);
}

/** Rows under a header and a dashed rule, each column as wide as its widest cell. */
export function renderTable(headers: string[], aligns: ('left' | 'right')[], rows: string[][]): string[] {
	const widths = headers.map((header, column) => Math.max(header.length, ...rows.map((row) => row[column]!.length)));
	const line = (cells: string[]) => cells.map((cell, column) => pad(cell, widths[column]!, aligns[column]!)).join('  ').trimEnd();
	return [line(headers), widths.map((width) => '-'.repeat(width)).join('  '), ...rows.map(line)];
}

/** "ours ÷ this": below 1 ours is faster, the same reading as the targets. */
function ratioCell(step: StepResult, steps: StepResult[]): string {
	if (step.ours || step.status !== 'ok' || step.comparedWith === undefined) return '';
	const ours = steps.find((other) => other.id === step.comparedWith);
	const name = ours?.label.replace(/^dbbackup /, '') ?? step.comparedWith;
	if (ours?.status !== 'ok') return `– (${name} ${ours?.status ?? 'not run'})`;
	return `${(ours.seconds! / step.seconds!).toFixed(2)} (${name})`;
}

/** The steps as a table (failed ones show their status), then why each failed one did not complete. */
export function formatStepTable(steps: StepResult[], serverLogColumn: string): string[] {
	const rows = steps.map((step) =>
		step.status === 'ok'
			? [
					step.kind,
					step.label,
					step.seconds!.toFixed(1),
					ratioCell(step, steps),
					step.outputBytes === undefined ? '' : step.outputBytes.toLocaleString('en-US'),
					step.peakRssMb!.toFixed(0),
					(step.serverLogBytes! / MIB).toFixed(0),
				]
			: [step.kind, step.label, step.status.toUpperCase(), '', '', '', ''],
	);
	const table = renderTable(
		['', 'tool / variant', 'seconds', 'ours ÷ this', 'output bytes', 'peak RSS MiB', serverLogColumn],
		['left', 'left', 'right', 'left', 'right', 'right', 'right'],
		rows,
	);
	const failures = steps.filter((step) => step.status !== 'ok').map((step) => `  ${step.label}: ${step.error}`);
	return [...table, ...(failures.length > 0 ? ['not measured:', ...failures] : [])];
}

export function formatSizeRun(run: SizeRun): string[] {
	const title =
		`${run.tables} tables × ${run.rowsPerTable.toLocaleString('en-US')} rows ` +
		`(source ${(run.sourceBytes / MIB).toFixed(0)} MiB data+index in InnoDB; sysbench prepare ${run.prepareSeconds.toFixed(0)} s)`;
	return [title, ...formatStepTable(run.steps, 'binlog MiB')];
}

export function formatTargets(outcomes: TargetOutcome[]): string[] {
	return outcomes.map((outcome) => `${outcome.status.padEnd(4)}  ${outcome.target}: ${outcome.detail}`);
}

export const TABLE_NOTES = [
	'seconds: wall clock of the whole command. ours ÷ this: below 1.00 ours is faster (name = our step compared).',
	'peak RSS: GNU time maximum resident set size; for a shell pipeline (mariadb-dump | gzip) it is the largest single process of the pipeline, not their sum.',
	'output bytes: the file, or the sum of the files of a directory output. binlog MiB: how much the server binlog grew during the step.',
	'Before the timed restores of each size, one untimed myloader runs, so that none of them is the server\'s first bulk load.',
];

/** Writes the run's figures to bench/results/<bench>-<start time>.json; returns the file's path. */
export async function writeResults(bench: string, startedAt: Date, results: unknown): Promise<string> {
	const dir = join(REPO_ROOT, 'bench', 'results');
	await mkdir(dir, {recursive: true});
	const stamp = startedAt.toISOString().replace(/\.\d+Z$/, 'Z').replaceAll(':', '-');
	const file = join(dir, `${bench}-${stamp}.json`);
	await writeFile(file, `${JSON.stringify(results, null, '\t')}\n`);
	return file;
}
