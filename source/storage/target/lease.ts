import {randomUUID} from 'node:crypto';
import {hostname} from 'node:os';
import {UsageError, type ErrorCode} from '../../core/errors.ts';
import {readDirFile, writeDirFile} from './dir-file.ts';
import type {ArtifactTarget} from './types.ts';

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

/** Whose lease it is: the lease object's name, the command that holds it (for the refusal) and the refusal's code. */
export interface LeaseKind {
	name: string;
	holder: string;
	code: ErrorCode;
}

/**
 * One streamer per object-store prefix. An object store has no flock, and conditional writes are not
 * on every S3-compatible server, so the claim is a lease object the holder rewrites every 10 s: a lease
 * renewed within the last minute is refused, unless it names a process of this host that no longer
 * exists (kill -9, then a restart, goes on at once). Two streamers started in the same second on two
 * hosts can both win the read-back check; the lease makes that unlikely, not impossible.
 */
export async function leaseStore(target: ArtifactTarget, kind: LeaseKind, options: LeaseOptions = {}): Promise<() => Promise<void>> {
	const renewSeconds = options.renewSeconds ?? LEASE_RENEW_SECONDS;
	const staleSeconds = options.staleSeconds ?? LEASE_STALE_SECONDS;
	const held = await readLeaseOf(target, kind.name);
	if (held && isLive(held, staleSeconds)) throw leaseTaken(target, kind, held, staleSeconds);
	const ours: Lease = {version: LEASE_VERSION, runId: randomUUID(), host: hostname(), pid: process.pid, startedAt: new Date().toISOString(), renewedAt: new Date().toISOString()};
	await writeLease(target, kind.name, ours);
	await new Promise((resolve) => setTimeout(resolve, options.settleMs ?? 500));
	const after = await readLeaseOf(target, kind.name);
	if (after && after.runId !== ours.runId) throw leaseTaken(target, kind, after, staleSeconds);
	let renewing: Promise<void> = Promise.resolve();
	const timer = setInterval(() => {
		renewing = renewing.then(() => writeLease(target, kind.name, {...ours, renewedAt: new Date().toISOString()})).catch(() => {
			// a failed renewal is retried at the next tick; the lease only goes stale after a minute
		});
	}, renewSeconds * 1000);
	timer.unref();
	return async () => {
		clearInterval(timer);
		await renewing;
		const current = await readLeaseOf(target, kind.name).catch(() => undefined);
		if (current?.runId === ours.runId) await target.delete(kind.name).catch(() => {});
	};
}

/** The lease `name` in `target`, undefined when there is none or it cannot be read (no claim). */
export async function readLeaseOf(target: ArtifactTarget, name: string): Promise<Lease | undefined> {
	// an unreadable lease is no claim: the next writer replaces it
	const parsed = await readDirFile<Lease>(target, name, LEASE_VERSION, (file, why) => new Error(`${file}: ${why}`)).catch(() => undefined);
	if (!parsed || typeof parsed.runId !== 'string' || typeof parsed.renewedAt !== 'string') return undefined;
	return parsed as Lease;
}

async function writeLease(target: ArtifactTarget, name: string, lease: Lease): Promise<void> {
	await writeDirFile(target, name, `${JSON.stringify(lease, null, 2)}\n`);
}

/** Renewed within `staleSeconds`, by a process that (on this host) still exists. */
export function isLive(lease: Lease, staleSeconds: number = LEASE_STALE_SECONDS): boolean {
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

function leaseTaken(target: ArtifactTarget, kind: LeaseKind, lease: Lease, staleSeconds: number): UsageError {
	const age = Math.max(0, Math.round((Date.now() - Date.parse(lease.renewedAt)) / 1000));
	return new UsageError({
		code: kind.code,
		message: `another ${kind.holder} (pid ${lease.pid} on ${lease.host}, renewed ${age} s ago) holds the lease ${target.describe(kind.name)}`,
		hint: `Stop that streamer first, or choose another target. A streamer that died without a word loses its lease ${staleSeconds} s after its last renewal.`,
	});
}
