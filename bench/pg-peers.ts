import {join} from 'node:path';
import type {Step, StepContext} from './steps.ts';

/** The peers' steps that run at every size: the parallel ones, which the issue's targets compare with. */
export const PG_EVERY_SIZE_PEERS = ['pg_dump-Fd', 'pg_dump-Fd-Z0', 'pg_restore'];

function connectionArgs(ctx: StepContext): string[] {
	// --no-password: fail rather than wait for a prompt if PGPASSWORD were not accepted
	return ['--host', ctx.host, '--port', String(ctx.port), '--username', ctx.user, '--no-password'];
}

function files(ctx: StepContext) {
	return {
		plain: join(ctx.workDir, 'pg_dump.sql'),
		custom: join(ctx.workDir, 'pg_dump.custom'),
		directory: join(ctx.workDir, 'pg_dump-Fd'),
		directoryUncompressed: join(ctx.workDir, 'pg_dump-Fd-Z0'),
	};
}

/**
 * pg_dump in each of its formats, with its defaults: -Fc and -Fd compress with zlib at its default level.
 * -Fd -Z0 is the uncompressed parallel dump, the like-for-like peer of our uncompressed archive.
 */
export function pgPeerDumpSteps(ctx: StepContext, binDir: string): Step[] {
	const pgDump = join(binDir, 'pg_dump');
	const env = {PGPASSWORD: ctx.password};
	const out = files(ctx);
	const dump = (format: string, extra: string[], file: string) => ({
		command: pgDump,
		args: [...connectionArgs(ctx), `--format=${format}`, ...extra, `--file=${file}`, ctx.sourceDatabase],
		env,
	});
	const jobs = `--jobs=${ctx.workers}`;
	return [
		{
			id: 'pg_dump-Fp',
			label: 'pg_dump -Fp',
			kind: 'dump',
			ours: false,
			comparedWith: 'ours-none',
			spec: dump('plain', [], out.plain),
			output: out.plain,
		},
		{
			id: 'pg_dump-Fc',
			label: 'pg_dump -Fc (zlib)',
			kind: 'dump',
			ours: false,
			comparedWith: 'ours-zstd',
			spec: dump('custom', [], out.custom),
			output: out.custom,
		},
		{
			id: 'pg_dump-Fd',
			label: `pg_dump -Fd -j ${ctx.workers} (zlib)`,
			kind: 'dump',
			ours: false,
			comparedWith: 'ours-zstd',
			spec: dump('directory', [jobs], out.directory),
			output: out.directory,
		},
		{
			id: 'pg_dump-Fd-Z0',
			label: `pg_dump -Fd -j ${ctx.workers} -Z0`,
			kind: 'dump',
			ours: false,
			comparedWith: 'ours-none',
			spec: dump('directory', [jobs, '--compress=0'], out.directoryUncompressed),
			output: out.directoryUncompressed,
		},
	];
}

/** pg_restore -jN from the -Fd dump, and psql running the plain script, each into a fresh empty database. */
export function pgPeerRestoreSteps(ctx: StepContext, binDir: string): Step[] {
	const env = {PGPASSWORD: ctx.password};
	const out = files(ctx);
	return [
		{
			id: 'pg_restore',
			label: `pg_restore -j ${ctx.workers} (-Fd)`,
			kind: 'restore',
			ours: false,
			comparedWith: 'ours-restore-zstd',
			spec: {
				command: join(binDir, 'pg_restore'),
				args: [...connectionArgs(ctx), '--dbname=sbtest_r1', `--jobs=${ctx.workers}`, '--exit-on-error', out.directory],
				env,
			},
			restores: 'pg_dump-Fd',
			targetDatabase: 'sbtest_r1',
			createTarget: true,
		},
		{
			id: 'psql',
			label: 'psql -f (-Fp script)',
			kind: 'restore',
			ours: false,
			comparedWith: 'ours-restore-none',
			spec: {
				command: join(binDir, 'psql'),
				args: [...connectionArgs(ctx), '--dbname=sbtest_r2', '--no-psqlrc', '--quiet', '--set=ON_ERROR_STOP=1', `--file=${out.plain}`],
				env,
			},
			restores: 'pg_dump-Fp',
			targetDatabase: 'sbtest_r2',
			createTarget: true,
		},
	];
}
