import {UsageError} from '../source/core/errors.ts';
import {parseBenchArgs} from './driver.ts';
import {positiveInteger} from './options.ts';

export interface BinlogBenchOptions {
	tables: number;
	rowsPerTable: number;
	/** sysbench run threads */
	threads: number;
	/** seconds of sysbench load per measured variant */
	seconds: number;
	/** milliseconds between two probe commits */
	probeIntervalMs: number;
	/** also measure our CLI run from the TypeScript sources through tsx (DBBACKUP_FROM_SOURCE=1) */
	fromSource: boolean;
	/** also measure mariadb-binlog --raw --stop-never under the same load */
	peer: boolean;
	/** ids of the load runs to do (undefined: all) */
	only?: string[];
	/** extra node flags for our streamer (an experiment: the labels say so) */
	nodeOptions: string[];
}

/** the load runs' ids, in the order they run */
export const LOAD_RUN_IDS = ['ours-always', 'ours-interval', 'ours-always-feed-filtered', 'ours-always-from-source', 'mariadb-binlog'] as const;
export type LoadRunId = (typeof LOAD_RUN_IDS)[number];

export const BINLOG_USAGE = `Usage: node --import tsx bench/binlog-stream.ts [options]
  --tables N            sysbench tables (default 4)
  --rows N              rows per table for sysbench prepare (default 100000)
  --threads N           sysbench run threads (default 4)
  --time N              seconds of sysbench oltp_write_only load per measured variant (default 60)
  --probe-interval N    milliseconds between two probe commits (default 100)
  --no-from-source      skip the run of our CLI from the sources through tsx (the others run the bundle)
  --no-peer             skip mariadb-binlog --raw --stop-never
  --only A,B            only these load runs: ${LOAD_RUN_IDS.join(', ')}
  --node-options="…"    extra node flags for our streamer, e.g. --node-options="--max-semi-space-size=4" (an experiment; labelled in the output)
  --help
A quick run: --rows 20000 --time 20`;

export function parseBinlogBenchOptions(argv: string[]): BinlogBenchOptions | 'help' {
	const values = parseBenchArgs(
		argv,
		{
			tables: {type: 'string'},
			rows: {type: 'string'},
			threads: {type: 'string'},
			time: {type: 'string'},
			'probe-interval': {type: 'string'},
			'no-from-source': {type: 'boolean', default: false},
			'no-peer': {type: 'boolean', default: false},
			only: {type: 'string'},
			'node-options': {type: 'string'},
			help: {type: 'boolean', default: false},
		},
		BINLOG_USAGE,
	);
	if (values.help) return 'help';
	const number = (flag: string, text: string | undefined, fallback: number) =>
		text === undefined ? fallback : positiveInteger(flag, text, BINLOG_USAGE);
	return {
		tables: number('--tables', values.tables, 4),
		rowsPerTable: number('--rows', values.rows, 100_000),
		threads: number('--threads', values.threads, 4),
		seconds: number('--time', values.time, 60),
		probeIntervalMs: number('--probe-interval', values['probe-interval'], 100),
		fromSource: !values['no-from-source'],
		peer: !values['no-peer'],
		only: values.only === undefined ? undefined : parseOnly(values.only),
		nodeOptions: (values['node-options'] ?? '').split(/\s+/).filter((flag) => flag !== ''),
	};
}

function parseOnly(text: string): string[] {
	const ids = text.split(',').map((id) => id.trim()).filter((id) => id !== '');
	const unknown = ids.filter((id) => !(LOAD_RUN_IDS as readonly string[]).includes(id));
	if (ids.length === 0 || unknown.length > 0) {
		throw new UsageError({code: 'BAD_ARGUMENTS', message: `--only ${text}: ${unknown.length > 0 ? `unknown run ${unknown.join(', ')}` : 'name at least one run'}`, hint: BINLOG_USAGE});
	}
	return ids;
}
