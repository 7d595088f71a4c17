import {join} from 'node:path';
import type {BackgroundSpec} from './background-process.ts';
import {OUR_CLI, REPO_ROOT} from './ours.ts';

/** One streamer to measure (under load, or copying the backlog). */
export interface StreamVariant {
	id: string;
	label: string;
	ours: boolean;
	/** how the product runs once installed (bin/dbbackup.js starting the bundle), as opposed to from source */
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
	/** node flags for our streamer, through NODE_OPTIONS (none: as a user runs it) */
	nodeOptions: string[];
	host: string;
	port: number;
	user: string;
	/** reaches the streamers only as MYSQL_PWD */
	password: string;
	workDir: string;
}

/** Arguments of `dbbackup binlog-stream`. */
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

/** Our streamer started as a user starts it (the dbbackup command, running the bundle), or from the sources through tsx. */
export function ourVariant(
	ctx: StreamContext,
	options: {id: string; label: string; sync: 'always' | 'interval'; serverId: number; firstFile: string; fromSource?: boolean; extraArgs?: string[]},
): StreamVariant {
	const outputDir = join(ctx.workDir, options.id);
	return {
		id: options.id,
		label: ctx.nodeOptions.length > 0 ? `${options.label} [node ${ctx.nodeOptions.join(' ')}]` : options.label,
		ours: true,
		shipped: options.fromSource !== true,
		sync: options.sync,
		serverId: options.serverId,
		outputDir,
		firstFile: options.firstFile,
		spec: {
			command: OUR_CLI,
			args: [...ourStreamArgs(ctx, outputDir, options.sync, options.serverId, options.extraArgs ?? [])],
			env: {
				MYSQL_PWD: ctx.password,
				...(options.fromSource ? {DBBACKUP_FROM_SOURCE: '1'} : {}),
				...(ctx.nodeOptions.length > 0 ? {NODE_OPTIONS: ctx.nodeOptions.join(' ')} : {}),
			},
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
