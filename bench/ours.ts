import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {runCommand} from '../source/sandbox/run-command.ts';
import type {Step, StepContext} from './steps.ts';

export const REPO_ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
export const OUR_CLI = join(REPO_ROOT, 'bin', 'dbbackup.js');

export const OUR_COMPRESSIONS = ['none', 'zstd', 'gzip'] as const;
export type OurCompression = (typeof OUR_COMPRESSIONS)[number];

function connectionArgs(ctx: StepContext): string[] {
	return ['--db-type', 'mysql', '--host', ctx.host, '--port', String(ctx.port), '--user', ctx.user];
}

export function ourArchive(ctx: StepContext, compression: OurCompression): string {
	return join(ctx.workDir, `dbbackup-${compression}.tar`);
}

/** Our backups, the password in MYSQL_PWD as a user would give it. */
export function ourDumpSteps(ctx: StepContext, compressions: readonly OurCompression[] = OUR_COMPRESSIONS): Step[] {
	return compressions.map((compression) => {
		const output = ourArchive(ctx, compression);
		const args = [
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
		];
		return {
			id: `ours-${compression}`,
			label: `dbbackup --compress ${compression}`,
			kind: 'dump',
			ours: true,
			spec: {command: process.execPath, args, env: {MYSQL_PWD: ctx.password}, cwd: REPO_ROOT},
			output,
		};
	});
}

export function ourRestoreSteps(ctx: StepContext, compressions: readonly OurCompression[]): Step[] {
	return compressions.map((compression, index) => {
		const target = `sbtest_r${3 + index}`;
		return {
			id: `ours-restore-${compression}`,
			label: `dbbackup restore (${compression}${compression === 'none' ? ', --no-binlog' : ''})`,
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
					// the uncompressed archive's restore is the like-for-like one with myloader, which skips the binlog by default
					...(compression === 'none' ? ['--no-binlog'] : []),
					'--yes',
				],
				env: {MYSQL_PWD: ctx.password},
				cwd: REPO_ROOT,
			},
			restores: `ours-${compression}`,
			targetDatabase: target,
			createTarget: false,
		};
	});
}

/**
 * bin/dbbackup.js compiles the TypeScript sources through tsx, which caches the result: one untimed run
 * first, so the first timed step does not pay for the compilation the others skip.
 */
export async function warmUpOurCli(log: (line: string) => void): Promise<void> {
	await runCommand(process.execPath, [OUR_CLI, '--help'], {cwd: REPO_ROOT}).catch((error: Error) =>
		log(`bench: warming up our CLI failed (${error.message.split('\n')[0]}); carrying on`),
	);
}
