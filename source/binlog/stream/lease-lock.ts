import {randomUUID} from 'node:crypto';
import {hostname} from 'node:os';
import {UsageError} from '../../core/errors.ts';
import type {ArtifactTarget} from '../../storage/target/types.ts';
import {readDirFile, writeDirFile} from './dir-file.ts';

export const LEASE_NAME = 'binlog-stream.lease.json';
const LEASE_VERSION = 1;
/** how often the holder writes its lease again */
export const LEASE_RENEW_SECONDS = 10;
/** a lease not renewed for this long belongs to a streamer that is gone */
export const LEASE_STALE_SECONDS = 60;

export interface Lease {
	version: 1;
	runId: string;
	host: string;
	pid: number;
	startedAt: string;
	renewedAt: string;
}

export interface LeaseOptions {
	renewSeconds?: number;
	staleSeconds?: number;
	/** how long to wait before reading the lease back (a rival that wrote at the same moment shows by then) */
	settleMs?: number;
}

/**
 * One streamer per object-store prefix. An object store has no flock, and conditional writes are not
 * on every S3-compatible server, so the claim is a lease object the holder rewrites every 10 s: a lease
 * renewed within the last minute is refused, unless it names a process of this host that no longer
 * exists (kill -9, then a restart, goes on at once). Two streamers started in the same second on two
 * hosts can both win the read-back check; the lease makes that unlikely, not impossible.
 */
export async function leaseOutput(target: ArtifactTarget, options: LeaseOptions = {}): Promise<() => Promise<void>> {
	const renewSeconds = options.renewSeconds ?? LEASE_RENEW_SECONDS;
	const staleSeconds = options.staleSeconds ?? LEASE_STALE_SECONDS;
	const where = target.describe(LEASE_NAME);
	const held = await readLease(target);
	if (held && isLive(held, staleSeconds)) throw leaseTaken(where, held, staleSeconds);
	const ours: Lease = {version: LEASE_VERSION, runId: randomUUID(), host: hostname(), pid: process.pid, startedAt: new Date().toISOString(), renewedAt: new Date().toISOString()};
	await writeLease(target, ours);
	await new Promise((resolve) => setTimeout(resolve, options.settleMs ?? 500));
	const after = await readLease(target);
	if (after && after.runId !== ours.runId) throw leaseTaken(where, after, staleSeconds);
	let renewing: Promise<void> = Promise.resolve();
	const timer = setInterval(() => {
		renewing = renewing.then(() => writeLease(target, {...ours, renewedAt: new Date().toISOString()})).catch(() => {
			// a failed renewal is retried at the next tick; the lease only goes stale after a minute
		});
	}, renewSeconds * 1000);
	timer.unref();
	return async () => {
		clearInterval(timer);
		await renewing;
		const current = await readLease(target).catch(() => undefined);
		if (current?.runId === ours.runId) await target.delete(LEASE_NAME).catch(() => {});
	};
}

/** The lease in `target`, undefined when there is none or it cannot be read (no claim). */
export async function readLease(target: ArtifactTarget): Promise<Lease | undefined> {
	// an unreadable lease is no claim: the next writer replaces it
	const parsed = await readDirFile<Lease>(target, LEASE_NAME, LEASE_VERSION, (file, why) => new Error(`${file}: ${why}`)).catch(() => undefined);
	if (!parsed || typeof parsed.runId !== 'string' || typeof parsed.renewedAt !== 'string') return undefined;
	return parsed as Lease;
}

async function writeLease(target: ArtifactTarget, lease: Lease): Promise<void> {
	await writeDirFile(target, LEASE_NAME, `${JSON.stringify(lease, null, 2)}\n`);
}

function isLive(lease: Lease, staleSeconds: number): boolean {
	const age = (Date.now() - Date.parse(lease.renewedAt)) / 1000;
	if (!(age < staleSeconds)) return false;
	if (lease.host === hostname() && Number.isSafeInteger(lease.pid)) return processExists(lease.pid);
	return true;
}

export function processExists(pid: number): boolean {
	try {
		process.kill(pid, 0);
		return true;
	} catch (error) {
		return (error as NodeJS.ErrnoException).code === 'EPERM';
	}
}

function leaseTaken(where: string, lease: Lease, staleSeconds: number): UsageError {
	const age = Math.max(0, Math.round((Date.now() - Date.parse(lease.renewedAt)) / 1000));
	return new UsageError({
		code: 'BINLOG_OUTPUT_LOCKED',
		message: `another binlog-stream (pid ${lease.pid} on ${lease.host}, renewed ${age} s ago) holds the lease ${where}`,
		hint: `Stop that streamer first, or choose another target. A streamer that died without a word loses its lease ${staleSeconds} s after its last renewal.`,
	});
}
