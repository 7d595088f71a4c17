import {copyFile, mkdir, symlink} from 'node:fs/promises';
import {join} from 'node:path';
import {runCommand} from '../source/sandbox/run-command.ts';
import type {BackgroundSpec} from './background-process.ts';
import {OUR_CLI, REPO_ROOT} from './ours.ts';

/** One streamer to measure (under load, or copying the backlog). */
export interface StreamVariant {
	id: string;
	label: string;
	ours: boolean;
	/** how the product ships (bin/dbbackup.js through tsx), as opposed to the bundled experiment */
	shipped: boolean;
	sync?: 'always' | 'interval';
	/** the replica server id it registers as: each variant its own */
	serverId: number;
	spec: BackgroundSpec;
	outputDir: string;
	/** the server's binlog the copy starts with: ours starts from the oldest the server has, the peer is told */
	firstFile: string;
}

export interface StreamContext {
	/** node flags put before our entry script (none: as a user runs it) */
	nodeOptions: string[];
	host: string;
	port: number;
	user: string;
	/** reaches the streamers only as MYSQL_PWD */
	password: string;
	workDir: string;
}

/** Arguments of `dbbackup binlog-stream` after the entry script. */
function ourStreamArgs(ctx: StreamContext, outputDir: string, sync: 'always' | 'interval', serverId: number, extra: string[]): string[] {
	return [
		'binlog-stream',
		'--output',
		outputDir,
		'--host',
		ctx.host,
		'--port',
		String(ctx.port),
		'--user',
		ctx.user,
		'--server-id',
		String(serverId),
		'--sync',
		sync,
		...(sync === 'interval' ? ['--checkpoint-interval', '1s'] : []),
		...extra,
		'--yes',
		'--json',
	];
}

/** Our streamer started as a user starts it (bin/dbbackup.js), or from `entry` (the bundle). */
export function ourVariant(
	ctx: StreamContext,
	options: {id: string; label: string; sync: 'always' | 'interval'; serverId: number; firstFile: string; entry?: string; extraArgs?: string[]},
): StreamVariant {
	const outputDir = join(ctx.workDir, options.id);
	return {
		id: options.id,
		label: ctx.nodeOptions.length > 0 ? `${options.label} [node ${ctx.nodeOptions.join(' ')}]` : options.label,
		ours: true,
		shipped: options.entry === undefined,
		sync: options.sync,
		serverId: options.serverId,
		outputDir,
		firstFile: options.firstFile,
		spec: {
			command: process.execPath,
			args: [...ctx.nodeOptions, options.entry ?? OUR_CLI, ...ourStreamArgs(ctx, outputDir, options.sync, options.serverId, options.extraArgs ?? [])],
			env: {MYSQL_PWD: ctx.password},
			cwd: REPO_ROOT,
		},
	};
}

/** mariadb-binlog copying raw binlogs from `firstFile` on and waiting for more, as a replica would. */
export function peerVariant(ctx: StreamContext, options: {id: string; firstFile: string; serverId: number}): StreamVariant {
	const {firstFile, serverId} = options;
	const outputDir = join(ctx.workDir, options.id);
	return {
		id: options.id,
		label: 'mariadb-binlog --raw --stop-never',
		ours: false,
		shipped: true,
		serverId,
		outputDir,
		firstFile,
		spec: {
			command: 'mariadb-binlog',
			args: [
				'--read-from-remote-server',
				'--raw',
				'--stop-never',
				`--stop-never-slave-server-id=${serverId}`,
				// with --raw, a directory prefix: the files keep the server's names
				`--result-file=${outputDir}/`,
				'-h',
				ctx.host,
				'-P',
				String(ctx.port),
				'-u',
				ctx.user,
				firstFile,
			],
			env: {MYSQL_PWD: ctx.password},
		},
	};
}

/**
 * Bundles source/cli/main.ts with esbuild into `dir` (dependencies stay external and resolve through a
 * node_modules link; package.json sits two levels up from the bundle, where the version lookup expects
 * it). Not how the product ships: only to show what the tsx compiler adds to the RSS.
 */
export async function bundleOurCli(dir: string): Promise<string> {
	const outDir = join(dir, 'dist', 'cli');
	await mkdir(outDir, {recursive: true});
	const entry = join(outDir, 'main.js');
	await runCommand(
		join(REPO_ROOT, 'node_modules', '.bin', 'esbuild'),
		[join(REPO_ROOT, 'source', 'cli', 'main.ts'), '--bundle', '--platform=node', '--format=esm', '--packages=external', `--outfile=${entry}`, '--log-level=warning'],
		{cwd: REPO_ROOT},
	);
	await copyFile(join(REPO_ROOT, 'package.json'), join(dir, 'package.json'));
	await symlink(join(REPO_ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
	return entry;
}
