import {formatStepTable} from './report.ts';
import type {PgSizeRun} from './pg-targets.ts';

const MIB = 1024 * 1024;

export function formatPgSizeRun(run: PgSizeRun): string[] {
	const accounts = run.rowCounts.pgbench_accounts ?? 0;
	const title =
		`${run.tables} sysbench tables × ${run.rowsPerTable.toLocaleString('en-US')} rows + pgbench scale ${run.pgbenchScale} ` +
		`(${accounts.toLocaleString('en-US')} accounts): source ${(run.sourceBytes / MIB).toFixed(0)} MiB heap+index; ` +
		`prepare: sysbench ${run.sysbenchSeconds.toFixed(0)} s, pgbench ${run.pgbenchSeconds.toFixed(0)} s`;
	return [title, ...formatStepTable(run.steps, 'WAL MiB')];
}

export const PG_TABLE_NOTES = [
	'seconds: wall clock of the whole command. ours ÷ this: below 1.00 ours is faster (name = our step compared).',
	'peak RSS: GNU time maximum resident set size of the largest single process: pg_dump -j and pg_restore -j fork one process per job, so theirs is one process, not the sum; ours is one process with its worker threads.',
	'output bytes: the file, or the sum of the files of a directory output. WAL MiB: WAL the server wrote during the step.',
	'Restores go into a freshly created empty database owned by the tools\' role, dropped after its row counts are checked; before each step the server checkpoints and the page cache is synced. Before the timed restores of each size, one untimed pg_restore runs, so that none of them is the cluster\'s first bulk load.',
];
