import type {SizeRun, TimeTarget} from './targets.ts';

/** Issue 4's time targets, judged on the largest size; the memory targets are the shared ones (targets.ts). */
export const PG_TIME_TARGETS: readonly TimeTarget[] = [
	{target: 'our zstd dump ≤ 0.5 × pg_dump -Fd -jN time', ours: 'ours-zstd', peer: 'pg_dump-Fd', limit: 0.5},
	{target: 'our restore (zstd archive) ≤ 1.0 × pg_restore -jN time', ours: 'ours-restore-zstd', peer: 'pg_restore', limit: 1.0},
	{target: 'our restore (uncompressed archive) ≤ 1.0 × pg_restore -jN time', ours: 'ours-restore-none', peer: 'pg_restore', limit: 1.0},
];

/** One size's run: sysbench's tables and pgbench's, in one database. */
export interface PgSizeRun extends SizeRun {
	pgbenchScale: number;
	sysbenchSeconds: number;
	pgbenchSeconds: number;
}
