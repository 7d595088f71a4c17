import {join} from 'node:path';
import {OUR_CLI, REPO_ROOT} from './ours.ts';
import type {Step} from './steps.ts';

/** The bench server and where one run's outputs go. */
export interface PhysicalContext {
	host: string;
	port: number;
	/** a role with REPLICATION: every tool connects as it over TCP */
	user: string;
	/** reaches the tools only as PGPASSWORD */
	password: string;
	/** the cluster's own bin directory (pg_basebackup, pg_receivewal, pgbench, pg_ctl) */
	binDir: string;
	workers: number;
	workDir: string;
}

/** Our base backups, one per compression: gzip for the like-for-like line, zstd (our default) for its own two. */
export const OUR_BASEBACKUP_COMPRESSIONS = ['none', 'gzip', 'zstd'] as const;
export type BaseBackupCompression = (typeof OUR_BASEBACKUP_COMPRESSIONS)[number];

export function ourBaseBackupFile(ctx: PhysicalContext, compression: BaseBackupCompression): string {
	return join(ctx.workDir, `dbbackup-basebackup-${compression}.tar`);
}

export function peerBaseBackupDir(ctx: PhysicalContext, id: string): string {
	return join(ctx.workDir, id);
}

/** Our connection flags; the password only in PGPASSWORD. */
export function ourConnectionArgs(ctx: PhysicalContext): string[] {
	return ['--db-type', 'postgres', '--host', ctx.host, '--port', String(ctx.port), '--user', ctx.user];
}

/** libpq's, for pg_basebackup, pg_receivewal and pgbench; --no-password: fail rather than prompt. */
export function libpqArgs(ctx: PhysicalContext): string[] {
	return ['--host', ctx.host, '--port', String(ctx.port), '--username', ctx.user, '--no-password'];
}

/** `dbbackup physical-backup --engine basebackup` as a user runs it (its default fast checkpoint, every core). */
export function ourBaseBackupStep(ctx: PhysicalContext, compression: BaseBackupCompression): Step {
	const output = ourBaseBackupFile(ctx, compression);
	return {
		id: `ours-${compression}`,
		label: `dbbackup physical-backup --compress ${compression}`,
		kind: 'dump',
		ours: true,
		spec: {
			command: OUR_CLI,
			args: ['physical-backup', ...ourConnectionArgs(ctx), '--engine', 'basebackup', '--output', output, '--compress', compression, '--workers', String(ctx.workers), '--yes'],
			env: {PGPASSWORD: ctx.password},
			cwd: REPO_ROOT,
		},
		output,
	};
}

/**
 * pg_basebackup -Ft -X stream with what ours does by default made explicit: a fast checkpoint (its
 * default is spread) and SHA-256 manifest checksums (its default is CRC32C); both fsync what they write.
 * Each peer is compared with our backup of the same codec class.
 */
export function peerBaseBackupSteps(ctx: PhysicalContext): Step[] {
	const step = (id: string, label: string, compress: string[], comparedWith: string): Step => {
		const dir = peerBaseBackupDir(ctx, id);
		return {
			id,
			label,
			kind: 'dump',
			ours: false,
			comparedWith,
			spec: {
				command: join(ctx.binDir, 'pg_basebackup'),
				args: [...libpqArgs(ctx), '--pgdata', dir, '--format=tar', '--wal-method=stream', '--checkpoint=fast', '--manifest-checksums=SHA256', '--label=bench', ...compress],
				env: {PGPASSWORD: ctx.password},
			},
			output: dir,
		};
	};
	return [
		step('pg_basebackup', 'pg_basebackup -Ft -X stream', [], 'ours-none'),
		step('pg_basebackup-z', 'pg_basebackup -Ft -X stream -z (client gzip 6)', ['--gzip'], 'ours-gzip'),
		step('pg_basebackup-server-gzip', 'pg_basebackup -Ft -X stream --compress=server-gzip', ['--compress=server-gzip'], 'ours-gzip'),
		// our zstd default is level 1; zstd's (and pg_basebackup's) is 3: the same level here, one thread as pg_basebackup has by default
		step('pg_basebackup-zstd', 'pg_basebackup -Ft -X stream --compress=client-zstd:level=1', ['--compress=client-zstd:level=1'], 'ours-zstd'),
	];
}

/** The order they run in: each of ours right before its peers, so both meet the server and the page cache alike. */
export function baseBackupSteps(ctx: PhysicalContext): Step[] {
	const peers = peerBaseBackupSteps(ctx);
	const ours = OUR_BASEBACKUP_COMPRESSIONS.map((compression) => ourBaseBackupStep(ctx, compression));
	return ours.flatMap((step) => [step, ...peers.filter((peer) => peer.comparedWith === step.id)]);
}

/** The extra ratio line: our zstd against pg_basebackup's gzip (the codec each tool defaults to; it favours us). */
export const CROSS_CODEC_LINE = {ours: 'ours-zstd', peer: 'pg_basebackup-z'} as const;
