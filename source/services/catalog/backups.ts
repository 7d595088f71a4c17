import {SCRIPT_HEAD_BYTES} from '../../binlog/replay/start-point.ts';
import {toDbBackupError} from '../../core/errors.ts';
import {findEngine, logicalEngineFor} from '../../engines/registry.ts';
import {parseManifest, type Manifest} from '../../storage/archive/manifest.ts';
import {sidecarPathOf} from '../../storage/archive/member-path.ts';
import {openArchiveIn} from '../../storage/archive/reader.ts';
import {readScriptHead, type ArtifactFile} from '../../storage/artifact.ts';
import {magicOf, scriptHeaderOf, SNIFF_BYTES} from '../../storage/artifact-sniff.ts';
import {HEADER_BYTES, isEncryptedArtifact} from '../../storage/crypto/header.ts';
import {readBytes} from '../../storage/target/read-bytes.ts';
import type {ArtifactStat, ArtifactTarget} from '../../storage/target/types.ts';
import {pinNameOf} from '../retention/backup-files.ts';
import {scriptFacts} from './script-head.ts';
import type {CatalogBackup} from './types.ts';

/** A location as the catalog reads it: through the encryption stage when a key is given, and as stored. */
export interface CatalogTarget {
	target: ArtifactTarget;
	/** the same artifacts without the encryption stage: their stored bytes, readable without a key */
	stored: ArtifactTarget;
	keyGiven: boolean;
}

export function catalogTarget(target: ArtifactTarget, keyGiven: boolean): CatalogTarget {
	const inner = (target as {inner?: ArtifactTarget}).inner;
	return {target, stored: inner ?? target, keyGiven};
}

const ARCHIVE_NAME = /\.tar$/i;
const SCRIPT_NAME = /\.sql(?:\.gz|\.zst|\.lz4)?$/i;

/** Whether the catalog counts an artifact of this name as a backup, and which kind. */
export function backupFormatOf(name: string): CatalogBackup['format'] | undefined {
	return ARCHIVE_NAME.test(name) ? 'archive' : SCRIPT_NAME.test(name) ? 'sql' : undefined;
}

/** Sidecars and manifests are read a few at a time: an S3 location answers each with a round trip. */
const READS_AT_ONCE = 8;

async function mapLimited<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
	const results: R[] = new Array(items.length);
	let next = 0;
	const worker = async () => {
		while (next < items.length) {
			const index = next++;
			results[index] = await work(items[index]!);
		}
	};
	await Promise.all(Array.from({length: Math.min(limit, items.length)}, worker));
	return results;
}

function baseOf(location: CatalogTarget, stat: ArtifactStat, format: CatalogBackup['format']): CatalogBackup {
	const modifiedAt = stat.modifiedAt.toISOString();
	return {
		name: stat.name,
		url: location.target.describe(stat.name),
		format,
		bytes: stat.bytes,
		modifiedAt,
		at: modifiedAt,
		atSource: 'file time',
		encrypted: false,
		readable: true,
		complete: format === 'sql',
		facts: 'none',
	};
}

function fromManifest(entry: CatalogBackup, manifest: Manifest): CatalogBackup {
	const engine = (() => {
		try {
			return findEngine(manifest.engine, manifest.dbType);
		} catch {
			return undefined;
		}
	})();
	const coordinates = manifest.coordinates;
	const binlogFile = typeof coordinates.binlogFile === 'string' && coordinates.binlogFile !== '' ? coordinates.binlogFile : undefined;
	const gtid = typeof coordinates.gtid === 'string' && coordinates.gtid !== '' ? coordinates.gtid : undefined;
	const compressions = [...new Set(manifest.members.map((member) => member.compression))];
	return {
		...entry,
		at: manifest.startedAt,
		atSource: 'manifest',
		engine: manifest.engine,
		...(engine ? {kind: engine.capabilities.kind, coordinates: engine.describeCoordinates(coordinates)} : {}),
		dbType: manifest.dbType,
		server: {version: manifest.server.version, flavor: manifest.server.flavor, host: manifest.server.host},
		databases: manifest.databases.map((database) => database.name),
		startedAt: manifest.startedAt,
		finishedAt: manifest.finishedAt,
		compression: compressions.join(', ') || 'none',
		...(binlogFile !== undefined || gtid !== undefined
			? {binlog: {file: binlogFile, position: typeof coordinates.binlogPosition === 'number' ? coordinates.binlogPosition : undefined, gtid}}
			: {}),
		...(typeof coordinates.startLsn === 'string' && typeof coordinates.endLsn === 'string' && typeof coordinates.timeline === 'number'
			? {wal: {startLsn: coordinates.startLsn, endLsn: coordinates.endLsn, timeline: coordinates.timeline, ...(typeof coordinates.systemId === 'string' ? {systemId: coordinates.systemId} : {})}}
			: {}),
		...(manifest.lockMs === undefined ? {} : {lockMs: manifest.lockMs}),
	};
}

/**
 * An archive from its sidecar, which repeats the manifest and exists only once the archive is committed;
 * without one, from the manifest inside (the archive is then not counted complete: its run is still
 * finishing, or its sidecar could not be written).
 */
async function archiveEntry(location: CatalogTarget, stat: ArtifactStat, hasSidecar: boolean): Promise<CatalogBackup> {
	const entry = baseOf(location, stat, 'archive');
	try {
		if (hasSidecar) {
			const sidecar = sidecarPathOf(stat.name);
			const stored = await readBytes(location.stored, sidecar);
			const encrypted = isEncryptedArtifact(stored);
			const known = {...entry, encrypted, complete: true};
			if (encrypted && !location.keyGiven) return {...known, readable: false};
			const text = (encrypted ? await readBytes(location.target, sidecar) : stored).toString('utf8');
			return {...fromManifest(known, parseManifest(text, location.target.describe(sidecar))), facts: 'sidecar'};
		}
		const encrypted = isEncryptedArtifact(await readBytes(location.stored, stat.name, 0, HEADER_BYTES));
		if (encrypted && !location.keyGiven) return {...entry, encrypted, readable: false};
		const {manifest} = await openArchiveIn(location.target, stat.name);
		return {...fromManifest({...entry, encrypted}, manifest), facts: 'manifest'};
	} catch (error) {
		return {...entry, problem: toDbBackupError(error).message};
	}
}

/** A SQL script from its first lines: the tool that wrote it, and what our header (or mysqldump's) records. */
async function scriptEntry(location: CatalogTarget, stat: ArtifactStat): Promise<CatalogBackup> {
	const entry = baseOf(location, stat, 'sql');
	try {
		const stored = await readBytes(location.stored, stat.name, 0, SNIFF_BYTES);
		const encrypted = isEncryptedArtifact(stored);
		if (encrypted && !location.keyGiven) return {...entry, encrypted, readable: false};
		const start = encrypted ? await readBytes(location.target, stat.name, 0, SNIFF_BYTES) : stored;
		const magic = magicOf(start);
		const compression = magic === 'zstd' || magic === 'gzip' || magic === 'lz4' ? magic : 'none';
		const artifact: ArtifactFile = {path: entry.url, target: location.target, name: stat.name, kind: 'sql', compression, bytes: stat.bytes, modifiedAt: stat.modifiedAt};
		const head = await readScriptHead(artifact, SCRIPT_HEAD_BYTES);
		const header = scriptHeaderOf(Buffer.from(head, 'utf8').subarray(0, SNIFF_BYTES));
		const facts = scriptFacts(head, header?.dbType);
		const ours = header?.writer.includes('dbbackup') === true;
		return {
			...entry,
			encrypted,
			compression,
			facts: header ? 'script header' : 'none',
			...(header ? {dbType: header.dbType, writer: header.writer} : {}),
			...(ours && header ? {engine: logicalEngineFor(header.dbType).name, kind: 'logical' as const} : {}),
			...(facts.databases ? {databases: facts.databases} : {}),
			...(facts.coordinates ? {coordinates: facts.coordinates} : {}),
			...(facts.binlog ? {binlog: facts.binlog} : {}),
			...(facts.startedAt ? {startedAt: facts.startedAt, at: facts.startedAt, atSource: 'script header' as const} : {}),
		};
	} catch (error) {
		return {...entry, problem: toDbBackupError(error).message};
	}
}

function byStartTime(a: CatalogBackup, b: CatalogBackup): number {
	return Date.parse(a.at) - Date.parse(b.at) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
}

/** Every archive and SQL script among `listed`, read from its sidecar or its head, sorted by recorded start time. */
export async function readBackups(location: CatalogTarget, listed: readonly ArtifactStat[]): Promise<CatalogBackup[]> {
	const names = new Set(listed.map((stat) => stat.name));
	const backups = listed.filter((stat) => ARCHIVE_NAME.test(stat.name) || SCRIPT_NAME.test(stat.name));
	const entries = await mapLimited(backups, READS_AT_ONCE, (stat) =>
		ARCHIVE_NAME.test(stat.name) ? archiveEntry(location, stat, names.has(sidecarPathOf(stat.name))) : scriptEntry(location, stat),
	);
	for (const entry of entries) if (names.has(pinNameOf(entry.name))) entry.pinned = true;
	return entries.sort(byStartTime);
}
