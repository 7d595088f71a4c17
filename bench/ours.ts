import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {runCommand} from '../source/sandbox/run-command.ts';
import type {Step, StepContext} from './steps.ts';

export const REPO_ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
/** the dbbackup command as npm installs it (a launcher that starts node with bin/dbbackup.js) */
export const OUR_CLI = join(REPO_ROOT, 'bin', 'dbbackup');

/** the MySQL bench's dumps, one per compression: lz4 beside zstd shows what its speed costs in size */
export const OUR_COMPRESSIONS = ['none', 'zstd', 'gzip', 'lz4'] as const;
export type OurCompression = (typeof OUR_COMPRESSIONS)[number];
/** the PostgreSQL bench's variants: zstd, and none for the like-for-like uncompressed comparison */
export const PG_OUR_COMPRESSIONS = ['zstd', 'none'] as const satisfies readonly OurCompression[];

export type OurDbType = 'mysql' | 'postgres';

export function connectionArgs(ctx: StepContext, dbType: OurDbType): string[] {
	return ['--db-type', dbType, '--host', ctx.host, '--port', String(ctx.port), '--user', ctx.user];
}

/** The password where a user would give it: MYSQL_PWD or PGPASSWORD, never on argv. */
export function passwordEnv(ctx: StepContext, dbType: OurDbType): Record<string, string> {
	return dbType === 'mysql' ? {MYSQL_PWD: ctx.password} : {PGPASSWORD: ctx.password};
}

/** `variant`: the compression, or `<compression>-level<N>` for a dump at a given level */
export function ourArchive(ctx: StepContext, variant: string): string {
	return join(ctx.workDir, `dbbackup-${variant}.tar`);
}

/** Our backups through the CLI as a user runs them. */
export function ourDumpSteps(ctx: StepContext, compressions: readonly OurCompression[] = OUR_COMPRESSIONS, dbType: OurDbType = 'mysql'): Step[] {
	return compressions.map((compression) => ourDumpStep(ctx, compression, dbType));
}

/** One backup; with `level`, at that compression level instead of the default (its own archive and step id). */
export function ourDumpStep(ctx: StepContext, compression: OurCompression, dbType: OurDbType = 'mysql', level?: number): Step {
	const variant = level === undefined ? compression : `${compression}-level${level}`;
	const output = ourArchive(ctx, variant);
	const args = [
		'backup',
		'single',
		ctx.sourceDatabase,
		...connectionArgs(ctx, dbType),
		'--output',
		output,
		'--compress',
		compression,
		...(level === undefined ? [] : ['--level', String(level)]),
		'--workers',
		String(ctx.workers),
		...(ctx.chunkRows === undefined ? [] : ['--chunk-rows', String(ctx.chunkRows)]),
		'--yes',
	];
	return {
		id: `ours-${variant}`,
		label: `dbbackup --compress ${compression}${level === undefined ? '' : ` --level ${level}`}`,
		kind: 'dump',
		ours: true,
		spec: {command: OUR_CLI, args, env: passwordEnv(ctx, dbType), cwd: REPO_ROOT},
		output,
	};
}

/**
 * Our restores of each archive. MySQL: into a database the restore creates; the uncompressed archive's
 * restore runs with --no-binlog, like-for-like with myloader, which skips the binlog by default.
 * PostgreSQL: into a fresh empty database the bench creates, as pg_restore gets one.
 */
export function ourRestoreSteps(ctx: StepContext, compressions: readonly OurCompression[], dbType: OurDbType = 'mysql'): Step[] {
	return compressions.map((compression, index) => {
		const target = `sbtest_r${3 + index}`;
		const noBinlog = dbType === 'mysql' && compression === 'none';
		return {
			id: `ours-restore-${compression}`,
			label: `dbbackup restore (${compression}${noBinlog ? ', --no-binlog' : ''})`,
			kind: 'restore',
			ours: true,
			spec: {
				command: OUR_CLI,
				args: [
					'restore',
					ourArchive(ctx, compression),
					...connectionArgs(ctx, dbType),
					'--target-db',
					target,
					'--workers',
					String(ctx.workers),
					...(noBinlog ? ['--no-binlog'] : []),
					'--yes',
				],
				env: passwordEnv(ctx, dbType),
				cwd: REPO_ROOT,
			},
			restores: `ours-${compression}`,
			targetDatabase: target,
			createTarget: dbType === 'postgres',
		};
	});
}

/**
 * Builds dist/ (scripts/build.js) so the dbbackup command runs the bundle, as it does after `npm install`,
 * and not the sources through tsx; the build is not timed.
 */
export async function buildOurCli(log: (line: string) => void): Promise<void> {
	log('bench: building our CLI (node scripts/build.js), so the runs use the bundle as installed');
	await runCommand(process.execPath, [join(REPO_ROOT, 'scripts', 'build.js')], {cwd: REPO_ROOT});
}
