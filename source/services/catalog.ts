/**
 * `dbbackup status`: a catalog of a location (a directory or an s3:// prefix) built from the artifacts
 * themselves — sidecars, script headers, the binlog streams' own files — through the storage target
 * interface, so a local directory, an S3 prefix and an encrypted copy of either read alike. There is no
 * database of our own that could drift from what is stored.
 */
import {readdir} from 'node:fs/promises';
import path from 'node:path';
import {DbBackupError, toDbBackupError, UsageError} from '../core/errors.ts';
import {isObjectStoreUrl} from '../core/object-store-url.ts';
import {directoryTarget, type StorageOptions} from '../storage/target/index.ts';
import type {ArtifactStat, ArtifactTarget} from '../storage/target/types.ts';
import {catalogTarget, readBackups} from './catalog/backups.ts';
import {looksLikeStream, readStream, type StreamCandidate} from './catalog/streams.ts';
import type {Catalog, CatalogWork} from './catalog/types.ts';
import {looksLikeWalStore, readWalStream} from './catalog/wal-streams.ts';
import {recoveryWindows} from './catalog/window.ts';
import {localWork, whatOf} from './catalog/work.ts';

export type {BackupBinlogPoint, BinlogGap, Catalog, CatalogBackup, CatalogStream, CatalogWalStream, CatalogWork, RecoveryWindow, StreamRunState, WalGap, WindowEnd} from './catalog/types.ts';

/** An upload this old belongs to a run that died (storage/s3/target.ts sweeps it at the next backup). */
const DEAD_UPLOAD_AGE_MS = 24 * 60 * 60 * 1000;

async function listed(target: ArtifactTarget, where: string): Promise<ArtifactStat[]> {
	try {
		return await target.list();
	} catch (error) {
		// a target's own errors already name the location and say what to do (S3_UNREACHABLE, S3_BUCKET_NOT_FOUND)
		if (error instanceof DbBackupError) throw error;
		throw new UsageError({
			code: 'ARTIFACT_DIR_UNREADABLE',
			message: `cannot list ${where}: ${(error as Error).message}`,
			hint: 'Give the directory (or s3://bucket/prefix/) the backups are written to; without one, status and prune look at output.path, else the current directory.',
			cause: error,
		});
	}
}

/** The directories (prefixes) directly under the location, where a binlog stream may be. */
async function subLocations(root: string, target: ArtifactTarget): Promise<Array<{url: string; relative: string}>> {
	if (isObjectStoreUrl(root)) {
		const {s3TargetOf, subPrefixes} = await import('./catalog/s3-listing.ts');
		return (await subPrefixes(s3TargetOf(target))).map((url) => ({url, relative: url.slice(root.length)}));
	}
	const entries = await readdir(root, {withFileTypes: true});
	// hidden directories are a backup's scratch (`.NAME.parts-*`), not streams
	return entries
		.filter((entry) => entry.isDirectory() && !entry.name.startsWith('.'))
		.map((entry) => entry.name)
		.sort()
		.map((name) => ({url: path.join(root, name), relative: `${name}/`}));
}

/** Multipart uploads in progress under an S3 prefix; the server may not list them (s3rver), which is noted. */
async function s3Work(target: ArtifactTarget, now: Date, notes: string[]): Promise<CatalogWork[]> {
	const {s3TargetOf, unfinishedUploads} = await import('./catalog/s3-listing.ts');
	const uploads = await unfinishedUploads(s3TargetOf(target));
	if (uploads === undefined) {
		notes.push('this S3 server cannot list multipart uploads (ListMultipartUploads), so backups being uploaded are not shown');
		return [];
	}
	return uploads.map((upload) => ({
		name: upload.name,
		url: upload.url,
		what: whatOf(upload.name) === 'other' ? 'upload' : whatOf(upload.name),
		at: (upload.initiated ?? now).toISOString(),
		// a day old: its run died (a live one sends a part far more often); younger: cannot be told from here
		...(upload.initiated && now.getTime() - upload.initiated.getTime() >= DEAD_UPLOAD_AGE_MS ? {running: false} : {}),
	}));
}

/** Frees the S3 clients the catalog made (a local target has none). */
function closeTargets(targets: ArtifactTarget[]): void {
	for (const target of targets) {
		const store = (target as {inner?: ArtifactTarget}).inner ?? target;
		(store as {connection?: {client?: {destroy?: () => void}}}).connection?.client?.destroy?.();
	}
}

/**
 * The catalog of `location`: every backup (sorted by its recorded start time), every binlog stream at
 * the location or directly under it, the recovery window of each database, and the work in progress.
 * With a key in `storage`, encrypted artifacts are read; without one they are listed by name, size and
 * time only. Nothing is written.
 */
export async function buildCatalog(location: string, storage: StorageOptions = {}, now: Date = new Date()): Promise<Catalog> {
	const objectStore = isObjectStoreUrl(location);
	const root = objectStore ? (location.endsWith('/') ? location : `${location}/`) : path.resolve(location);
	const keyGiven = storage.encryption !== undefined;
	const opened: ArtifactTarget[] = [];
	const open = async (url: string) => {
		const target = await directoryTarget(url, storage);
		opened.push(target);
		return catalogTarget(target, keyGiven);
	};
	try {
		const main = await open(root);
		const artifacts = await listed(main.target, root);
		const notes: string[] = [];
		const backups = await readBackups(main, artifacts);
		const candidates: StreamCandidate[] = looksLikeStream(artifacts) ? [{url: root, relative: '', location: main, listed: artifacts}] : [];
		const walCandidates: StreamCandidate[] = looksLikeWalStore(artifacts) ? [{url: root, relative: '', location: main, listed: artifacts}] : [];
		for (const sub of await subLocations(root, main.target)) {
			const subTarget = await open(sub.url);
			const subListed = await subTarget.target.list().catch((error: unknown) => {
				notes.push(`${sub.url} was not looked at: ${toDbBackupError(error).message}`);
				return undefined;
			});
			if (subListed && looksLikeStream(subListed)) candidates.push({...sub, location: subTarget, listed: subListed});
			else if (subListed && looksLikeWalStore(subListed)) walCandidates.push({...sub, location: subTarget, listed: subListed});
		}
		const walStreams = [];
		for (const candidate of walCandidates) walStreams.push(await readWalStream(candidate, now));
		const streams = [];
		for (const candidate of candidates) streams.push(await readStream(candidate, storage, now));
		const work = objectStore ? await s3Work(main.target, now, notes) : await localWork(root);
		const locked = backups.filter((backup) => !backup.readable).length + streams.filter((stream) => !stream.readable).length;
		if (locked > 0) {
			notes.push(
				`${locked} encrypted artifact${locked === 1 ? '' : 's'} shown by name, size and time only: give the key (--encryption-key-file, DBBACKUP_ENCRYPTION_KEY or DBBACKUP_PASSPHRASE) to read ${locked === 1 ? 'it' : 'them'}`,
			);
		}
		return {location: root, generatedAt: now.toISOString(), keyGiven, backups, streams, walStreams, windows: recoveryWindows(backups, streams, walStreams), work, notes};
	} finally {
		closeTargets(opened);
	}
}
