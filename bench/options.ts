import {cpus} from 'node:os';
import {UsageError} from '../source/core/errors.ts';
import {parseBenchArgs} from './driver.ts';

export interface BenchOptions {
	/** rows per table for each run, ascending; the last (largest) gets the full comparison */
	sizes: number[];
	tables: number;
	workers: number;
	/** passed to our backup as --chunk-rows; undefined leaves our adaptive default */
	chunkRows?: number;
	/** also run, at the smaller sizes, the peers that by default run at the main size only (see each bench's usage) */
	allPeersAtEverySize: boolean;
}

export const USAGE = `Usage: node --import tsx bench/mysql-logical.ts [options]
  --rows N          rows per table of the main run (default 1000000); the smaller run gets N/4
  --sizes A,B       rows per table of each run, overrides --rows (e.g. 250000,1000000); the largest is the main run
  --tables N        sysbench tables (default 4)
  --workers N       threads for mydumper, myloader, sysbench and ours (default: number of cores)
  --chunk-rows N    passed to our backup (default: its adaptive chunking)
  --all-peers       run mariadb-dump and mariadb at every size, not only the main one
  --help`;

const DEFAULT_ROWS = 1_000_000;

/** `usage` is the bench's own help text, shown with --help and with a bad argument. */
export function parseBenchOptions(argv: string[], usage = USAGE): BenchOptions | 'help' {
	const values = parseBenchArgs(
		argv,
		{
			rows: {type: 'string'},
			sizes: {type: 'string'},
			tables: {type: 'string'},
			workers: {type: 'string'},
			'chunk-rows': {type: 'string'},
			'all-peers': {type: 'boolean', default: false},
			help: {type: 'boolean', default: false},
		},
		usage,
	);
	if (values.help) return 'help';
	const rows = values.rows === undefined ? DEFAULT_ROWS : positiveInteger('--rows', values.rows, usage);
	const sizes =
		values.sizes === undefined
			? [...new Set([Math.max(1, Math.floor(rows / 4)), rows])]
			: [...new Set(values.sizes.split(',').map((part) => positiveInteger('--sizes', part.trim(), usage)))];
	sizes.sort((a, b) => a - b);
	return {
		sizes,
		tables: values.tables === undefined ? 4 : positiveInteger('--tables', values.tables, usage),
		workers: values.workers === undefined ? cpus().length : positiveInteger('--workers', values.workers, usage),
		chunkRows: values['chunk-rows'] === undefined ? undefined : positiveInteger('--chunk-rows', values['chunk-rows'], usage),
		allPeersAtEverySize: values['all-peers'] ?? false,
	};
}

/** `text` as a whole number above 0 (underscores allowed), or a UsageError naming the flag. */
export function positiveInteger(flag: string, text: string, usage: string): number {
	const value = Number(text.replaceAll('_', ''));
	if (!Number.isSafeInteger(value) || value <= 0) {
		throw new UsageError({code: 'BAD_ARGUMENTS', message: `${flag} needs a positive whole number, got "${text}"`, hint: usage});
	}
	return value;
}
