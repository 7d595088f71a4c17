import {OUR_CLI, ourArchive, REPO_ROOT, type OurCompression} from './ours.ts';
import type {Step, StepContext} from './steps.ts';

export const PG_OUR_COMPRESSIONS = ['zstd', 'none'] as const satisfies readonly OurCompression[];

function connectionArgs(ctx: StepContext): string[] {
	return ['--db-type', 'postgres', '--host', ctx.host, '--port', String(ctx.port), '--user', ctx.user];
}

/** Our backups through the CLI as a user runs them, the password in PGPASSWORD. */
export function pgOurDumpSteps(ctx: StepContext): Step[] {
	return PG_OUR_COMPRESSIONS.map((compression) => {
		const output = ourArchive(ctx, compression);
		return {
			id: `ours-${compression}`,
			label: `dbbackup --compress ${compression}`,
			kind: 'dump',
			ours: true,
			spec: {
				command: process.execPath,
				args: [
					OUR_CLI,
					'backup',
					'single',
					ctx.sourceDatabase,
					...connectionArgs(ctx),
					'--output',
					output,
					'--compress',
					compression,
					'--workers',
					String(ctx.workers),
					...(ctx.chunkRows === undefined ? [] : ['--chunk-rows', String(ctx.chunkRows)]),
					'--yes',
				],
				env: {PGPASSWORD: ctx.password},
				cwd: REPO_ROOT,
			},
			output,
		};
	});
}

/** Our restores of each archive into a fresh empty database, as pg_restore gets one. */
export function pgOurRestoreSteps(ctx: StepContext): Step[] {
	return PG_OUR_COMPRESSIONS.map((compression, index) => {
		const target = `sbtest_r${3 + index}`;
		return {
			id: `ours-restore-${compression}`,
			label: `dbbackup restore (${compression})`,
			kind: 'restore',
			ours: true,
			spec: {
				command: process.execPath,
				args: [
					OUR_CLI,
					'restore',
					ourArchive(ctx, compression),
					...connectionArgs(ctx),
					'--target-db',
					target,
					'--workers',
					String(ctx.workers),
					'--yes',
				],
				env: {PGPASSWORD: ctx.password},
				cwd: REPO_ROOT,
			},
			restores: `ours-${compression}`,
			targetDatabase: target,
			createTarget: true,
		};
	});
}
