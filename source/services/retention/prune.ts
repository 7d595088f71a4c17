/**
 * `dbbackup prune`: applies a retention policy (policy.ts) to the backups of a directory or an s3://
 * prefix, by the start time each one records, and works out which closed binlog files of the streams
 * there no backup that stays needs. A dry run unless confirmed. One code path for every location: the
 * catalog reads it through the storage target interface, and deletes go through the same interface,
 * without the encryption stage (no key is needed to delete).
 *
 * What is never deleted: the newest complete backup, a pinned one, a backup that is not complete or could
 * not be read, the binlog files from the oldest backup that stays (per stream, in that backup's series)
 * on, the newest file of a series and the file the checkpoint names (the one being copied), and
 * binlog-index.json itself (a running streamer rewrites it; readers skip the files it lists that are gone).
 *
 * WAL stores (wal-stream) the same way: the segments before the one holding the start of the oldest base
 * backup that stays (of the store's cluster, by system identifier) go; that segment and every later one,
 * the newest segment, the one being filled, timeline history files, the checkpoint and wal-index.json
 * stay. A store with no base backup of its cluster that stays keeps everything.
 */
import {compareBinlogNames} from '../../binlog/file/binlog-dir.ts';
import {binlogBase} from '../../binlog/replay/binlog-files.ts';
import {readBinlogIndex} from '../../binlog/stream/binlog-index.ts';
import {isBinlogName} from '../../binlog/stream/checkpoint.ts';
import {toDbBackupError} from '../../core/errors.ts';
import {parseLsn, parseSegmentFileName, segmentFileName, segmentOf} from '../../core/pg-replication/lsn.ts';
import {listStore, parseStoredName} from '../../wal/store/layout.ts';
import type {EventBus} from '../../core/events.ts';
import {directoryTarget, type StorageOptions} from '../../storage/target/index.ts';
import type {ArtifactStat, ArtifactTarget} from '../../storage/target/types.ts';
import {buildCatalog} from '../catalog.ts';
import type {CatalogBackup, CatalogStream, CatalogWalStream} from '../catalog/types.ts';
import {heldSegments} from '../catalog/wal-streams.ts';
import {ofStreamSeries} from '../catalog/window.ts';
import {backupFileNames, deleteBackup} from './backup-files.ts';
import {applyPolicy, describePolicy, hasRule, noPolicyError, type KeepReason, type RetentionPolicy} from './policy.ts';

export type {KeepReason, RetentionPolicy} from './policy.ts';

/** One backup and what prune does with it. */
export interface PruneBackup {
	name: string;
	url: string;
	format: 'archive' | 'sql';
	at: string;
	atSource: CatalogBackup['atSource'];
	/** with atSource 'file time': why the file's time is all there is */
	atNote?: string;
	/** stored bytes of its files (the artifact and its sidecar) */
	bytes: number;
	complete: boolean;
	pinned: boolean;
	verdict: 'keep' | 'delete' | 'leave';
	reasons: KeepReason[];
	/** with leave: why it is left alone */
	leftAlone?: string;
	coordinates?: string;
	binlogFile?: string;
	/** what its deletion removes, in that order (the sidecar first) */
	files: string[];
	/** --confirm: it was deleted */
	deleted?: boolean;
}

/** A closed binlog file that goes, and the stored files that hold it. */
export interface PruneBinlogFile {
	name: string;
	/** the names removed: the compressed copy and/or the raw file, whichever are there */
	stored: string[];
	bytes: number;
	deleted?: boolean;
}

export interface PruneStream {
	url: string;
	/** the file from which everything stays, and the backup that needs it */
	keptFrom?: {file: string; backup: string; coordinates?: string};
	remove: PruneBinlogFile[];
	/** why the rest stays (or why nothing goes) */
	why: string;
}

export interface PruneReport {
	location: string;
	/** the moment the policy was applied at (keep-within counts back from it) */
	at: string;
	/** false: a dry run, nothing was deleted */
	confirmed: boolean;
	policy: {text: string; source: string; rules: RetentionPolicy};
	/** newest first */
	backups: PruneBackup[];
	streams: PruneStream[];
	/** wal-stream stores: the segments that go (keptFrom names the first segment that stays) */
	walStores: PruneStream[];
	totals: {kept: number; deleted: number; leftAlone: number; deletedBytes: number; binlogFiles: number; binlogBytes: number; walFiles: number; walBytes: number};
	notes: string[];
	/** --confirm that stopped: the failure; what is not marked deleted is still there */
	failure?: {code: string; message: string; hint?: string};
}

export interface PruneOptions {
	location: string;
	storage?: StorageOptions;
	policy: RetentionPolicy;
	/** where the policy comes from, for the report ("the command line", "retention.* in .dbbackuprc") */
	policySource: string;
	confirm: boolean;
	now?: Date;
	bus?: EventBus;
}

/** The deletes' targets: the location and each stream, as stored (no encryption stage). */
export interface PruneTargets {
	backups: ArtifactTarget;
	/** binlog streams and WAL stores, by URL */
	streams: Map<string, ArtifactTarget>;
}

/** Storage options without the key: the stored bytes, for listing sizes and deleting. */
function storedOnly(storage: StorageOptions): StorageOptions {
	const {encryption: _encryption, ...rest} = storage;
	return rest;
}

function closeTarget(target: ArtifactTarget): void {
	const store = (target as {inner?: ArtifactTarget}).inner ?? target;
	(store as {connection?: {client?: {destroy?: () => void}}}).connection?.client?.destroy?.();
}

/** Why a backup's start time is its file's: the reason the report gives. */
function fileTimeNote(backup: CatalogBackup): string {
	if (!backup.readable) return 'encrypted, and no key was given';
	if (backup.problem !== undefined) return 'it could not be read';
	return backup.format === 'sql' ? 'the script records no start time' : 'it records no start time';
}

function pruneBackup(backup: CatalogBackup, decision: ReturnType<typeof applyPolicy>[number], sizes: ReadonlyMap<string, number>): PruneBackup {
	const files = backupFileNames(backup.name, backup.format).filter((name) => sizes.has(name));
	return {
		name: backup.name,
		url: backup.url,
		format: backup.format,
		at: backup.at,
		atSource: backup.atSource,
		...(backup.atSource === 'file time' ? {atNote: fileTimeNote(backup)} : {}),
		bytes: files.reduce((sum, name) => sum + (sizes.get(name) ?? 0), 0),
		complete: backup.complete,
		pinned: backup.pinned === true,
		verdict: decision.verdict,
		reasons: decision.reasons,
		...(decision.leftAlone === undefined ? {} : {leftAlone: decision.leftAlone}),
		...(backup.coordinates ? {coordinates: backup.coordinates} : {}),
		...(backup.binlog?.file ? {binlogFile: backup.binlog.file} : {}),
		files,
	};
}

/** Backups that stay whose binlog coordinates cannot be known: binlog files are then not pruned at all. */
function unknownCoordinates(staying: readonly CatalogBackup[]): Array<{backup: CatalogBackup; why: string}> {
	return staying.flatMap((backup) => {
		if (!backup.readable) return [{backup, why: 'encrypted, and no key was given'}];
		if (backup.problem !== undefined) return [{backup, why: 'it could not be read'}];
		if (backup.binlog && backup.binlog.file === undefined) return [{backup, why: 'it records a GTID but no binlog file'}];
		return [];
	});
}

/** Which closed files of one stream go: those of the series before the oldest staying backup's file. */
async function planStream(stream: CatalogStream, staying: readonly CatalogBackup[], held: string | undefined, storage: StorageOptions): Promise<PruneStream> {
	const base = {url: stream.url, remove: []};
	if (!stream.readable) return {...base, why: 'nothing goes: the stream is encrypted and no key was given, so its index and checkpoint cannot be read'};
	if (held !== undefined) return {...base, why: `nothing goes: ${held}`};
	if (stream.problem !== undefined) return {...base, why: `nothing goes: part of the stream cannot be read (${stream.problem})`};
	const matching = staying.filter((backup) => ofStreamSeries(backup, stream));
	if (matching.length === 0) {
		return {...base, why: `nothing goes: no backup that stays records a binlog file of this stream's series (${stream.firstFile === undefined ? 'no files' : `${binlogBase(stream.firstFile)}.*`})`};
	}
	const oldest = matching.reduce((best, backup) => {
		const order = compareBinlogNames(backup.binlog!.file!, best.binlog!.file!);
		return order < 0 || (order === 0 && Date.parse(backup.at) < Date.parse(best.at)) ? backup : best;
	});
	const from = oldest.binlog!.file!;
	const series = binlogBase(from);
	const keptFrom = {file: from, backup: oldest.name, ...(oldest.coordinates ? {coordinates: oldest.coordinates} : {})};
	const keyed = await directoryTarget(stream.url, storage);
	const stored = await directoryTarget(stream.url, storedOnly(storage));
	try {
		const index = await readBinlogIndex(keyed).catch((error: unknown) => toDbBackupError(error));
		if (index instanceof Error) return {...base, keptFrom, why: `nothing goes: ${index.message}`};
		const listed = new Map((await stored.list()).map((stat: ArtifactStat) => [stat.name, stat.bytes]));
		// the file being copied: the newest of the series (listed, indexed or the checkpoint's), and the checkpoint's own
		const names = [...index.files.map((file) => file.name), ...[...listed.keys()].filter(isBinlogName), ...(stream.checkpoint ? [stream.checkpoint.file] : [])];
		const newest = names.filter((name) => binlogBase(name) === series).sort(compareBinlogNames).at(-1);
		const guarded = new Set([newest, stream.checkpoint?.file].filter((name): name is string => name !== undefined));
		const remove: PruneBinlogFile[] = [];
		for (const file of index.files) {
			if (binlogBase(file.name) !== series || compareBinlogNames(file.name, from) >= 0 || guarded.has(file.name)) continue;
			const present = [...new Set([file.stored, file.name])].filter((name) => listed.has(name));
			if (present.length === 0) continue;
			remove.push({name: file.name, stored: present, bytes: present.reduce((sum, name) => sum + (listed.get(name) ?? 0), 0)});
		}
		const others = names.some((name) => binlogBase(name) !== series);
		const why =
			`everything from ${from} on stays: it holds the coordinates of ${oldest.name}${oldest.coordinates ? ` (${oldest.coordinates})` : ''}, the oldest backup that stays of this series; ` +
			(remove.length === 0 ? 'no closed file before it is left to go' : `${remove.length} closed file${remove.length === 1 ? '' : 's'} before it ${remove.length === 1 ? 'goes' : 'go'}`) +
			(guarded.size > 0 ? `; ${[...guarded].join(' and ')} (the newest of the series, the checkpoint's) never ${guarded.size === 1 ? 'goes' : 'go'}` : '') +
			(others ? '; files of other series are not touched' : '');
		return {url: stream.url, keptFrom, remove, why};
	} finally {
		closeTarget(keyed);
		closeTarget(stored);
	}
}

const DEFAULT_SEGMENT_BYTES = 16 * 1024 * 1024;

/** Which segments of one WAL store go: those before the segment holding the oldest staying base backup's start. */
async function planWalStore(store: CatalogWalStream, staying: readonly CatalogBackup[], held: string | undefined, storage: StorageOptions): Promise<PruneStream> {
	const base = {url: store.url, remove: []};
	if (held !== undefined) return {...base, why: `nothing goes: ${held}`};
	if (store.problem !== undefined) return {...base, why: `nothing goes: part of the store cannot be read (${store.problem})`};
	if (store.systemId === undefined) return {...base, why: 'nothing goes: the store has no checkpoint, so the cluster it belongs to is unknown'};
	const matching = staying.filter((backup) => backup.wal !== undefined && backup.wal.systemId === store.systemId);
	if (matching.length === 0) return {...base, why: `nothing goes: no base backup that stays is of this store's cluster (system identifier ${store.systemId})`};
	const segmentBytes = store.segmentBytes ?? DEFAULT_SEGMENT_BYTES;
	const oldest = matching.reduce((best, backup) => (parseLsn(backup.wal!.startLsn) < parseLsn(best.wal!.startLsn) ? backup : best));
	const start = segmentOf(parseLsn(oldest.wal!.startLsn), segmentBytes);
	const first = segmentFileName(oldest.wal!.timeline, start, segmentBytes);
	const keptFrom = {file: first, backup: oldest.name, coordinates: `LSN ${oldest.wal!.startLsn}`};
	const stored = await directoryTarget(store.url, storedOnly(storage));
	try {
		const listed = await listStore(stored);
		const newest = [...heldSegments(listed, segmentBytes).held.keys()].reduce<bigint | undefined>((max, segment) => (max === undefined || segment > max ? segment : max), undefined);
		const going = new Map<string, PruneBinlogFile>();
		for (const stat of listed) {
			const parsed = parseStoredName(stat.name);
			if (parsed?.kind !== 'segment') continue;
			const segment = parseSegmentFileName(parsed.segment, segmentBytes)?.segment;
			if (segment === undefined || segment >= start || segment === newest) continue;
			const entry = going.get(parsed.segment) ?? {name: parsed.segment, stored: [], bytes: 0};
			entry.stored.push(stat.name);
			entry.bytes += stat.bytes;
			going.set(parsed.segment, entry);
		}
		const remove = [...going.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
		const why =
			`everything from ${first} on stays: it holds the start of ${oldest.name} (LSN ${oldest.wal!.startLsn}), the oldest base backup of this cluster that stays; ` +
			(remove.length === 0 ? 'no segment before it is left to go' : `${remove.length} segment${remove.length === 1 ? '' : 's'} before it ${remove.length === 1 ? 'goes' : 'go'}`) +
			'; timeline history files, the segment being filled and the newest segment never go';
		return {url: store.url, keptFrom, remove, why};
	} finally {
		closeTarget(stored);
	}
}

function totalsOf(report: Pick<PruneReport, 'backups' | 'streams' | 'walStores'>): PruneReport['totals'] {
	const going = report.backups.filter((backup) => backup.verdict === 'delete');
	const files = report.streams.flatMap((stream) => stream.remove);
	const segments = report.walStores.flatMap((store) => store.remove);
	return {
		kept: report.backups.filter((backup) => backup.verdict === 'keep').length,
		deleted: going.length,
		leftAlone: report.backups.filter((backup) => backup.verdict === 'leave').length,
		deletedBytes: going.reduce((sum, backup) => sum + backup.bytes, 0),
		binlogFiles: files.length,
		binlogBytes: files.reduce((sum, file) => sum + file.bytes, 0),
		walFiles: segments.length,
		walBytes: segments.reduce((sum, file) => sum + file.bytes, 0),
	};
}

/**
 * What prune would do at `location` with `policy`, at `now`: every backup (newest first) with its verdict
 * and reasons, and each binlog stream's files that would go and why the rest stay. Nothing is written.
 */
export async function planPrune(location: string, storage: StorageOptions, policy: RetentionPolicy, policySource: string, now: Date = new Date()): Promise<PruneReport> {
	if (!hasRule(policy)) throw noPolicyError();
	const catalog = await buildCatalog(location, storage, now);
	const stored = await directoryTarget(catalog.location, storedOnly(storage));
	let sizes: Map<string, number>;
	try {
		sizes = new Map((await stored.list()).map((stat) => [stat.name, stat.bytes]));
	} finally {
		closeTarget(stored);
	}
	const byName = new Map(catalog.backups.map((backup) => [backup.name, backup]));
	const decisions = applyPolicy(
		catalog.backups.map((backup) => ({
			name: backup.name,
			at: backup.at,
			complete: backup.complete,
			pinned: backup.pinned === true,
			...(backup.problem === undefined ? {} : {leftAlone: `it could not be read (${backup.problem})`}),
		})),
		now,
		policy,
	);
	const backups = decisions.map((decision) => pruneBackup(byName.get(decision.name)!, decision, sizes));
	const staying = catalog.backups.filter((backup) => backups.find((entry) => entry.name === backup.name)!.verdict !== 'delete');
	const unknown = unknownCoordinates(staying);
	const held =
		unknown.length === 0
			? undefined
			: `the binlog coordinates of ${unknown.map((entry) => `${entry.backup.name} (${entry.why})`).join(', ')} cannot be known, and ${unknown.length === 1 ? 'it stays' : 'they stay'}` +
				(unknown.some((entry) => !entry.backup.readable) ? '; give the key (--encryption-key-file, DBBACKUP_ENCRYPTION_KEY or DBBACKUP_PASSPHRASE) to prune binlogs' : '');
	const streams: PruneStream[] = [];
	for (const stream of catalog.streams) streams.push(await planStream(stream, staying, held, storage));
	const walStores: PruneStream[] = [];
	// only a backup that may be a base backup can hold WAL back: not one known to be MySQL
	const walUnknown = unknown.filter((entry) => entry.backup.dbType !== 'mysql' && entry.backup.binlog === undefined);
	const walHeld = walUnknown.length === 0 ? undefined : `the WAL positions of ${walUnknown.map((entry) => `${entry.backup.name} (${entry.why})`).join(', ')} cannot be known, and ${walUnknown.length === 1 ? 'it stays' : 'they stay'}`;
	for (const store of catalog.walStreams) walStores.push(await planWalStore(store, staying, walHeld, storage));
	const notes = [...catalog.notes];
	const byFileTime = new Map<string, string[]>();
	for (const backup of backups) if (backup.atNote !== undefined && backup.verdict !== 'leave') byFileTime.set(backup.atNote, [...(byFileTime.get(backup.atNote) ?? []), backup.name]);
	for (const [why, named] of byFileTime) {
		const shown = named.length <= 5 ? named.join(', ') : `${named.slice(0, 5).join(', ')} and ${named.length - 5} more`;
		notes.push(`judged by the file's time, not a recorded start (marked "file time"): ${why}: ${shown}`);
	}
	const report = {
		location: catalog.location,
		at: now.toISOString(),
		confirmed: false,
		policy: {text: describePolicy(policy), source: policySource, rules: policy},
		backups,
		streams,
		walStores,
		notes,
	};
	return {...report, totals: totalsOf(report)};
}

/** Opens the targets deletes go through: the location's and each stream's that has files to go, as stored. */
export async function openPruneTargets(report: PruneReport, storage: StorageOptions): Promise<PruneTargets & {close(): void}> {
	const plain = storedOnly(storage);
	const backups = await directoryTarget(report.location, plain);
	const streams = new Map<string, ArtifactTarget>();
	for (const stream of [...report.streams, ...report.walStores]) if (stream.remove.length > 0) streams.set(stream.url, await directoryTarget(stream.url, plain));
	return {
		backups,
		streams,
		close: () => {
			closeTarget(backups);
			for (const target of streams.values()) closeTarget(target);
		},
	};
}

/**
 * Deletes what `report` plans: the backups to go, oldest first (each sidecar first, so one deleted
 * half-way reads as not complete), then the binlog files and WAL segments. A backup pinned since the plan is kept, and
 * then no binlog file is deleted (the plan counted on it going). The first failure stops the run and is
 * put in the report; what was not reached is still there.
 */
export async function executePrune(report: PruneReport, targets: PruneTargets, bus?: EventBus): Promise<PruneReport> {
	const copy = (stream: PruneStream): PruneStream => ({...stream, remove: stream.remove.map((file) => ({...file}))});
	const done: PruneReport = {...report, confirmed: true, backups: report.backups.map((backup) => ({...backup})), streams: report.streams.map(copy), walStores: report.walStores.map(copy), notes: [...report.notes]};
	let planChanged = false;
	for (const backup of [...done.backups].reverse()) {
		if (backup.verdict !== 'delete') continue;
		try {
			await deleteBackup(targets.backups, backup.name, backup.format);
			backup.deleted = true;
			bus?.log('info', `deleted ${backup.url}`);
		} catch (error) {
			const failure = toDbBackupError(error);
			if (failure.code === 'BACKUP_PINNED') {
				backup.verdict = 'keep';
				backup.pinned = true;
				backup.reasons = [...backup.reasons, {rule: 'pinned'}];
				done.notes.push(`${backup.name} was pinned after the plan was made: it is kept, and no binlog file or WAL segment is deleted in this run`);
				planChanged = true;
				continue;
			}
			done.failure = {code: failure.code, message: `deleting ${backup.url}: ${failure.message}`, ...(failure.hint ? {hint: failure.hint} : {})};
			const left: string[] = [];
			for (const name of backup.files) if (await targets.backups.stat(name).catch(() => ({name}))) left.push(name);
			if (left.length > 0 && left.length < backup.files.length) {
				done.notes.push(`${backup.name}: ${left.join(', ')} is left, its sidecar is gone: it now reads as not complete and prune leaves it alone; remove what is left by hand once the cause is fixed`);
			}
			break;
		}
	}
	if (done.failure === undefined && !planChanged) {
		outer: for (const stream of [...done.streams, ...done.walStores]) {
			const target = targets.streams.get(stream.url);
			if (!target) {
				if (stream.remove.length > 0) done.notes.push(`${stream.url}: nothing deleted there (no target was opened for it)`);
				continue;
			}
			for (const file of stream.remove) {
				try {
					for (const name of file.stored) await target.delete(name);
					file.deleted = true;
					bus?.log('info', `deleted ${target.describe(file.stored.at(-1)!)}`);
				} catch (error) {
					const failure = toDbBackupError(error);
					done.failure = {code: failure.code, message: `deleting ${target.describe(file.stored[0]!)}: ${failure.message}`, ...(failure.hint ? {hint: failure.hint} : {})};
					break outer;
				}
			}
		}
	}
	return done;
}

/** Plans and, with `confirm`, deletes. */
export async function prune(options: PruneOptions): Promise<PruneReport> {
	const storage = options.storage ?? {};
	options.bus?.stage('prune', options.location);
	const report = await planPrune(options.location, storage, options.policy, options.policySource, options.now);
	if (!options.confirm) return report;
	const targets = await openPruneTargets(report, storage);
	try {
		return await executePrune(report, targets, options.bus);
	} finally {
		targets.close();
	}
}
