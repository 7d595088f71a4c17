import {existsSync} from 'node:fs';
import {readFile} from 'node:fs/promises';
import {hostname} from 'node:os';
import path from 'node:path';
import {binlogBase, locateBinlogs} from '../../binlog/replay/binlog-files.ts';
import {compareBinlogNames} from '../../binlog/file/binlog-dir.ts';
import {INDEX_NAME, readBinlogIndex, type IndexedBinlog} from '../../binlog/stream/binlog-index.ts';
import {CHECKPOINT_NAME, isBinlogName, readCheckpoint, type StreamCheckpoint} from '../../binlog/stream/checkpoint.ts';
import {LEASE_NAME, LEASE_STALE_SECONDS, processExists} from '../../binlog/stream/lease-lock.ts';
import {readLeaseOf} from '../../storage/target/lease.ts';
import {LOCK_NAME} from '../../binlog/stream/output-lock.ts';
import {IDENTITY_NAME, readSourceIdentity, type SourceIdentity} from '../../binlog/stream/source-identity.ts';
import {toDbBackupError} from '../../core/errors.ts';
import {isObjectStoreUrl} from '../../core/object-store-url.ts';
import {HEADER_BYTES, isEncryptedArtifact} from '../../storage/crypto/header.ts';
import {isRunLocked} from '../../storage/target/run-lock.ts';
import {readBytes} from '../../storage/target/read-bytes.ts';
import type {StorageOptions} from '../../storage/target/index.ts';
import type {ArtifactStat} from '../../storage/target/types.ts';
import type {CatalogTarget} from './backups.ts';
import type {BinlogGap, CatalogStream, StreamRunState} from './types.ts';

/** A directory (prefix) to look at for a binlog stream: the location itself, or one directly under it. */
export interface StreamCandidate {
	/** a path or an s3:// URL (ending in '/') */
	url: string;
	relative: string;
	location: CatalogTarget;
	listed: readonly ArtifactStat[];
}

const STREAM_FILES = [CHECKPOINT_NAME, INDEX_NAME, IDENTITY_NAME];
/** a closed file compressed beside itself, and an encrypted copy's open file (`.NAME.eseg-<offset>`) */
const STORED_BINLOG = /^(.+)\.(?:zst|gz|lz4)$/;
const ENCRYPTED_SEGMENT = /^\.(.+)\.eseg-\d{16}$/;

/** The binlog a listed name holds, if it holds one: the file itself, its compressed copy, a segment of it. */
function binlogOf(name: string): string | undefined {
	if (isBinlogName(name)) return name;
	const stored = STORED_BINLOG.exec(name)?.[1] ?? ENCRYPTED_SEGMENT.exec(name)?.[1];
	return stored !== undefined && isBinlogName(stored) ? stored : undefined;
}

/** Whether the listing looks like a binlog stream: its own files, or files named like binlogs. */
export function looksLikeStream(listed: readonly ArtifactStat[]): boolean {
	return listed.some((stat) => STREAM_FILES.includes(stat.name) || binlogOf(stat.name) !== undefined);
}

function numberOf(name: string): bigint {
	return BigInt(name.slice(name.lastIndexOf('.') + 1));
}

function nameAt(base: string, number: bigint, width: number): string {
	return `${base}.${number.toString().padStart(width, '0')}`;
}

/**
 * The files missing from the sequence the copy should hold: between the first and the last name known
 * (present, listed in the index, or the checkpoint's), per series of names, every number not present.
 */
export function binlogGaps(present: ReadonlySet<string>, known: Iterable<string>): BinlogGap[] {
	const series = new Map<string, string[]>();
	for (const name of new Set([...present, ...known])) {
		const base = binlogBase(name);
		series.set(base, [...(series.get(base) ?? []), name]);
	}
	const gaps: BinlogGap[] = [];
	for (const [base, all] of series) {
		all.sort(compareBinlogNames);
		// what the index still lists before the first file present was pruned (or never copied): not a gap
		const first = all.findIndex((name) => present.has(name));
		if (first < 0) continue;
		const names = all.slice(first);
		const width = names[0]!.length - base.length - 1;
		const missing: Array<[bigint, bigint]> = [];
		names.forEach((name, index) => {
			const number = numberOf(name);
			if (index > 0 && number - numberOf(names[index - 1]!) > 1n) missing.push([numberOf(names[index - 1]!) + 1n, number - 1n]);
			if (!present.has(name)) missing.push([number, number]);
		});
		missing.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
		const runs: Array<[bigint, bigint]> = [];
		for (const run of missing) {
			const last = runs.at(-1);
			if (last && run[0] <= last[1] + 1n) last[1] = run[1] > last[1] ? run[1] : last[1];
			else runs.push([...run]);
		}
		for (const [from, to] of runs) gaps.push({from: nameAt(base, from, width), to: nameAt(base, to, width), files: Number(to - from + 1n)});
	}
	return gaps;
}


/**
 * Whether a streamer holds the copy now. A directory: the kernel flock on binlog-stream.lock, probed
 * without waiting (the pid in the file only names the holder). An S3 prefix: the lease object, live while
 * renewed within the last minute (and, on this host, while its process exists), as lease-lock.ts judges it.
 */
async function runState(candidate: StreamCandidate, now: Date): Promise<StreamRunState> {
	return storeRunState(candidate, now, {lock: LOCK_NAME, lease: LEASE_NAME});
}

/** Whether a streamer holds a store (binlog or WAL) now, by its flock file in a directory or its lease object in S3. */
export async function storeRunState(candidate: StreamCandidate, now: Date, names: {lock: string; lease: string}): Promise<StreamRunState> {
	const {lock: lockName, lease: leaseName} = names;
	if (!isObjectStoreUrl(candidate.url)) {
		const lock = path.join(candidate.url, lockName);
		if (!existsSync(lock)) return {state: 'stopped', how: `no ${lockName}: no streamer has held this directory`};
		const locked = await isRunLocked(lock);
		if (locked === undefined) return {state: 'unknown', how: `the flock on ${lockName} could not be probed (flock(1) from util-linux is needed)`};
		if (!locked) return {state: 'stopped', how: `nobody holds the flock on ${lockName}`};
		const pid = Number((await readFile(lock, 'utf8').catch(() => '')).trim());
		return {state: 'running', how: `a process holds the flock on ${lockName}`, ...(Number.isSafeInteger(pid) && pid > 0 ? {pid} : {})};
	}
	const lease = await readLeaseOf(candidate.location.stored, leaseName);
	if (!lease) return {state: 'stopped', how: `no ${leaseName}`};
	const age = Math.max(0, Math.round((now.getTime() - Date.parse(lease.renewedAt)) / 1000));
	const holder = {...(typeof lease.pid === 'number' ? {pid: lease.pid} : {}), ...(typeof lease.host === 'string' ? {host: lease.host} : {}), leaseAgeSeconds: age};
	if (!(age < LEASE_STALE_SECONDS)) return {state: 'stopped', how: `the lease was last renewed ${age} s ago (stale after ${LEASE_STALE_SECONDS} s)`, ...holder};
	if (lease.host === hostname() && typeof lease.pid === 'number' && !processExists(lease.pid)) {
		return {state: 'stopped', how: `the lease names process ${lease.pid} of this host, which is gone`, ...holder};
	}
	return {state: 'running', how: `the lease was renewed ${age} s ago`, ...holder};
}

/** What an encrypted stream shows without its key: its file names (and so its range and gaps), nothing from inside. */
function encryptedWithoutKey(candidate: StreamCandidate, running: StreamRunState): CatalogStream {
	const names = new Set(candidate.listed.map((stat) => binlogOf(stat.name)).filter((name): name is string => name !== undefined));
	const sorted = [...names].sort(compareBinlogNames);
	return {
		url: candidate.url,
		relative: candidate.relative,
		encrypted: true,
		readable: false,
		...(sorted.length > 0 ? {firstFile: sorted[0], lastFile: sorted.at(-1)} : {}),
		files: names.size,
		closedFiles: 0,
		closedBytes: 0,
		gaps: binlogGaps(names, []),
		running,
	};
}

/** Each step reads one file of the stream; a damaged one is said, and the rest still read. */
async function attempt<T>(problems: string[], read: () => Promise<T>): Promise<T | undefined> {
	try {
		return await read();
	} catch (error) {
		problems.push(toDbBackupError(error).message);
		return undefined;
	}
}

/**
 * A binlog-stream directory or prefix: its source server (identity file, else the checkpoint's), the
 * files it holds as point-in-time recovery sees them (locateBinlogs), the closed ones from the index, the
 * checkpoint and its age, the gaps, and whether a streamer holds it now.
 */
export async function readStream(candidate: StreamCandidate, storage: StorageOptions, now: Date): Promise<CatalogStream> {
	const {location} = candidate;
	const running = await runState(candidate, now);
	const own = STREAM_FILES.find((name) => candidate.listed.some((stat) => stat.name === name));
	const problems: string[] = [];
	const encrypted = own !== undefined && isEncryptedArtifact((await attempt(problems, () => readBytes(location.stored, own, 0, HEADER_BYTES))) ?? Buffer.alloc(0));
	if (encrypted && !location.keyGiven) return encryptedWithoutKey(candidate, running);
	const identity: SourceIdentity | undefined = await attempt(problems, () => readSourceIdentity(location.target));
	const checkpoint: StreamCheckpoint | undefined = await attempt(problems, () => readCheckpoint(location.target));
	const indexed: IndexedBinlog[] = (await attempt(problems, () => readBinlogIndex(location.target)))?.files ?? [];
	const located = await attempt(problems, () => locateBinlogs(candidate.url, storage));
	const present = new Set(located?.names ?? []);
	const closed = indexed.filter((file) => present.has(file.name));
	const known = [...indexed.map((file) => file.name), ...(checkpoint ? [checkpoint.file] : [])];
	const source = identity
		? {flavor: identity.flavor, serverId: identity.serverId, ...(identity.serverUuid ? {serverUuid: identity.serverUuid} : {}), host: identity.host}
		: checkpoint?.source;
	return {
		url: candidate.url,
		relative: candidate.relative,
		encrypted,
		readable: true,
		...(source ? {source} : {}),
		...(present.size > 0 ? {firstFile: located!.names[0], lastFile: located!.names.at(-1)} : {}),
		files: present.size,
		closedFiles: closed.length,
		closedBytes: closed.reduce((sum, file) => sum + file.storedSize, 0),
		...(checkpoint
			? {
					checkpoint: {
						file: checkpoint.file,
						position: checkpoint.position,
						gtid: checkpoint.gtid,
						...(checkpoint.eventTime ? {eventTime: checkpoint.eventTime} : {}),
						updatedAt: checkpoint.updatedAt,
						ageSeconds: Math.max(0, Math.round((now.getTime() - Date.parse(checkpoint.updatedAt)) / 1000)),
					},
				}
			: {}),
		gaps: binlogGaps(present, known),
		running,
		...(problems.length > 0 ? {problem: problems.join('; ')} : {}),
	};
}
