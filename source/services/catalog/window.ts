import {compareBinlogNames} from '../../binlog/file/binlog-dir.ts';
import {binlogBase} from '../../binlog/replay/binlog-files.ts';
import {parseLsn, parseSegmentFileName, segmentOf} from '../../core/pg-replication/lsn.ts';
import type {CatalogBackup, CatalogStream, CatalogWalStream, RecoveryWindow, WindowEnd} from './types.ts';

/**
 * The moment a backup restores to: a logical dump is consistent at the snapshot it opens as it starts
 * (its coordinates are read then), a physical copy at its end.
 */
function momentOf(backup: CatalogBackup): {at: string; how: string} {
	if (backup.kind === 'physical' && backup.finishedAt) return {at: backup.finishedAt, how: 'consistent at its end (a physical copy)'};
	if (backup.startedAt) return {at: backup.startedAt, how: 'consistent at its start (the snapshot it dumps)'};
	return {at: backup.at, how: 'taken by its file\'s time (it records no start)'};
}

function byMoment(a: CatalogBackup, b: CatalogBackup): number {
	return Date.parse(momentOf(a).at) - Date.parse(momentOf(b).at);
}

/** The flavor a manifest records, where it is one the stream's identity can name. */
function flavorOf(backup: CatalogBackup): string | undefined {
	const flavor = backup.server?.flavor;
	return flavor === 'mariadb' || flavor === 'mysql' ? flavor : undefined;
}

/**
 * Whether `backup`'s binlog file is of `stream`'s series: same server as far as can be told (flavor and
 * file names; the manifest records no server id). Prune keeps a stream's files from such a backup on.
 */
export function ofStreamSeries(backup: CatalogBackup, stream: CatalogStream): boolean {
	const file = backup.binlog?.file;
	if (file === undefined || stream.firstFile === undefined) return false;
	if (binlogBase(file) !== binlogBase(stream.firstFile)) return false;
	const flavor = flavorOf(backup);
	return !(flavor !== undefined && stream.source && stream.source.flavor !== flavor);
}

/**
 * Why a replay from `backup` cannot run through `stream` to its checkpoint, or undefined when it can: the
 * backup's binlog file must be of the stream's series, at or after the stream's first file, with no file
 * missing from there on, and the checkpoint at or past it.
 */
export function chainProblem(backup: CatalogBackup, stream: CatalogStream): string | undefined {
	const file = backup.binlog?.file;
	const checkpoint = stream.checkpoint;
	if (file === undefined) return `${backup.name} records no binlog coordinates`;
	if (!ofStreamSeries(backup, stream)) return `${backup.name}'s binlog file ${file} is not of the stream's series`;
	if (!checkpoint) return `the stream ${stream.url} has no checkpoint`;
	if (compareBinlogNames(file, stream.firstFile!) < 0) return `the stream ${stream.url} starts at ${stream.firstFile}, after ${backup.name}'s binlog file ${file}`;
	const gap = stream.gaps.find((candidate) => binlogBase(candidate.to) === binlogBase(file) && compareBinlogNames(candidate.to, file) >= 0);
	if (gap) return `${gap.from === gap.to ? gap.from : `${gap.from} to ${gap.to}`} ${gap.files === 1 ? 'is' : 'are'} missing from the stream ${stream.url} after ${backup.name}'s binlog file ${file}`;
	const order = compareBinlogNames(checkpoint.file, file);
	if (order > 0 || (order === 0 && checkpoint.position >= (backup.binlog?.position ?? 4))) return undefined;
	return `the stream's checkpoint ${checkpoint.file}:${checkpoint.position} is before ${backup.name}'s coordinates ${file}:${backup.binlog?.position ?? 4}`;
}

function reachable(backup: CatalogBackup, stream: CatalogStream): boolean {
	return chainProblem(backup, stream) === undefined;
}

function backupEnd(backup: CatalogBackup, role: 'earliest' | 'latest'): WindowEnd {
	const moment = momentOf(backup);
	return {
		at: moment.at,
		how: `${backup.name}, the ${role === 'earliest' ? 'oldest' : 'newest'} complete backup of it, ${moment.how}`,
		backup: backup.name,
		...(backup.coordinates ? {coordinates: backup.coordinates} : {}),
	};
}

/** The PITR window one stream gives from the oldest backup it can replay from. */
function throughStream(backups: CatalogBackup[], stream: CatalogStream): {earliest: CatalogBackup; stream: CatalogStream} | undefined {
	const earliest = backups.find((backup) => reachable(backup, stream));
	return earliest ? {earliest, stream} : undefined;
}

function streamEnd(stream: CatalogStream): WindowEnd {
	const checkpoint = stream.checkpoint!;
	const at = checkpoint.eventTime ?? checkpoint.updatedAt;
	const how = checkpoint.eventTime
		? `the stream's checkpoint: the last transaction copied, at ${checkpoint.file}:${checkpoint.position}`
		: `the stream's checkpoint, written at ${checkpoint.updatedAt} (it records no event time) at ${checkpoint.file}:${checkpoint.position}`;
	return {at, how, stream: stream.url, coordinates: `${checkpoint.file}:${checkpoint.position}${checkpoint.gtid ? `, GTID ${checkpoint.gtid}` : ''}`};
}

/**
 * Why WAL replay from base backup `backup` cannot run through WAL store `store` to its checkpoint, or
 * undefined when it can: same cluster (system identifier), the segment holding the backup's start held,
 * no segment missing after it, and the checkpoint at or past the backup's end.
 */
export function walChainProblem(backup: CatalogBackup, store: CatalogWalStream): string | undefined {
	const wal = backup.wal;
	if (!wal) return `${backup.name} is not a base backup (it records no WAL position)`;
	if (!store.systemId || !store.checkpoint) return `the WAL store ${store.url} has no checkpoint`;
	if (wal.systemId !== undefined && wal.systemId !== store.systemId) return `${backup.name} is of cluster ${wal.systemId}, the WAL store ${store.url} of ${store.systemId}`;
	const segmentBytes = store.segmentBytes ?? 16 * 1024 * 1024;
	const start = segmentOf(parseLsn(wal.startLsn), segmentBytes);
	const first = store.firstSegment === undefined ? undefined : parseSegmentFileName(store.firstSegment, segmentBytes)?.segment;
	if (first === undefined || first > start) return `the WAL store ${store.url} starts at ${store.firstSegment ?? 'nothing'}, after ${backup.name}'s start (LSN ${wal.startLsn})`;
	const gap = store.gaps.find((candidate) => (parseSegmentFileName(candidate.to, segmentBytes)?.segment ?? 0n) >= start);
	if (gap) return `WAL segments ${gap.from === gap.to ? gap.from : `${gap.from} to ${gap.to}`} are missing from ${store.url} after ${backup.name}'s start`;
	if (parseLsn(store.checkpoint.flushLsn) < parseLsn(wal.endLsn)) return `the WAL store's checkpoint (LSN ${store.checkpoint.flushLsn}) is before ${backup.name}'s end (LSN ${wal.endLsn})`;
	return undefined;
}

function walStoreEnd(store: CatalogWalStream): WindowEnd {
	const checkpoint = store.checkpoint!;
	return {
		at: checkpoint.updatedAt,
		how: `the WAL store's checkpoint, written at ${checkpoint.updatedAt} with everything up to LSN ${checkpoint.flushLsn} stored (WAL carries commit times only inside its records: a restore --until TIME near the end may stop a little earlier)`,
		stream: store.url,
		coordinates: `LSN ${checkpoint.flushLsn}, timeline ${checkpoint.timeline}`,
	};
}

function windowFor(
	dbType: CatalogBackup['dbType'] & string,
	database: string,
	backups: CatalogBackup[],
	streams: readonly CatalogStream[],
	anyStream: boolean,
	walStores: readonly CatalogWalStream[] = [],
): RecoveryWindow {
	const sorted = [...backups].sort(byMoment);
	const oldest = sorted[0]!;
	const newest = sorted.at(-1)!;
	const base = {dbType, database, backups: sorted.length};
	if (dbType === 'postgres') {
		for (const store of walStores) {
			const earliest = sorted.find((backup) => walChainProblem(backup, store) === undefined);
			if (!earliest) continue;
			return {
				...base,
				pointInTime: true,
				earliest: {...backupEnd(earliest, 'earliest'), how: `${earliest.name}, the oldest base backup of it whose WAL from its start the store ${store.url} holds with no segment missing, ${momentOf(earliest).how}`},
				latest: walStoreEnd(store),
			};
		}
	}
	if (dbType === 'mysql') {
		const paths = streams.map((stream) => throughStream(sorted, stream)).filter((found) => found !== undefined);
		paths.sort((a, b) => byMoment(a.earliest, b.earliest) || Date.parse(streamEnd(b.stream).at) - Date.parse(streamEnd(a.stream).at));
		const best = paths[0];
		if (best) {
			const earliest = {
				...backupEnd(best.earliest, 'earliest'),
				how: `${best.earliest.name}, the oldest complete backup of it whose binlog file (${best.earliest.binlog!.file}) the stream ${best.stream.url} holds with no file missing after it, ${momentOf(best.earliest).how}`,
			};
			// the checkpoint's event time has whole seconds: a backup the stream covers may look a little newer
			const fromStream = streamEnd(best.stream);
			const beyond = !reachable(newest, best.stream) && Date.parse(momentOf(newest).at) > Date.parse(fromStream.at);
			const latest = beyond ? {...backupEnd(newest, 'latest'), how: `${backupEnd(newest, 'latest').how}, past the stream's checkpoint`} : fromStream;
			return {...base, pointInTime: true, earliest, latest};
		}
	}
	const why =
		dbType === 'postgres'
			? walStores.length === 0
				? 'no WAL store here (dbbackup wal-stream), so a restore reaches only the moments the backups were taken'
				: 'no WAL store here holds the WAL from any of its base backups onwards without a gap, so a restore reaches only the moments the backups were taken'
			: !anyStream
				? 'no binlog stream here, so a restore reaches only the moments the backups were taken'
				: 'no binlog stream here holds the binlogs from any of its backups onwards without a gap, so a restore reaches only the moments the backups were taken';
	return {
		...base,
		pointInTime: false,
		earliest: {...backupEnd(oldest, 'earliest'), how: `${backupEnd(oldest, 'earliest').how}; ${why}`},
		latest: backupEnd(newest, 'latest'),
	};
}

/**
 * For each database of a readable, complete backup: the earliest and latest moment a restore reaches.
 * MySQL/MariaDB: from the oldest backup a stream can replay from to the stream's checkpoint; otherwise,
 * and for PostgreSQL, the backups' own moments.
 */
export function recoveryWindows(backups: readonly CatalogBackup[], streams: readonly CatalogStream[], walStores: readonly CatalogWalStream[] = []): RecoveryWindow[] {
	const groups = new Map<string, {dbType: 'mysql' | 'postgres'; database: string; backups: CatalogBackup[]}>();
	for (const backup of backups) {
		if (!backup.readable || !backup.complete || backup.problem !== undefined || !backup.dbType) continue;
		for (const database of backup.databases ?? []) {
			const key = `${backup.dbType}\u0000${database}`;
			const group = groups.get(key) ?? {dbType: backup.dbType, database, backups: []};
			group.backups.push(backup);
			groups.set(key, group);
		}
	}
	const usable = streams.filter((stream) => stream.readable && stream.checkpoint);
	return [...groups.values()]
		.map((group) => windowFor(group.dbType, group.database, group.backups, usable, streams.length > 0, walStores))
		.sort((a, b) => (a.dbType === b.dbType ? (a.database < b.database ? -1 : a.database > b.database ? 1 : 0) : a.dbType < b.dbType ? -1 : 1));
}
