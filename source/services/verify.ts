import {stat} from 'node:fs/promises';
import {Writable} from 'node:stream';
import {pipeline} from 'node:stream/promises';
import {DbBackupError, IntegrityError, UsageError} from '../core/errors.ts';
import type {EventBus} from '../core/events.ts';
import {isObjectStoreUrl} from '../core/object-store-url.ts';
import {binlogBase, locateBinlogs} from '../binlog/replay/binlog-files.ts';
import {readBinlogSequence} from '../binlog/replay/event-sequence.ts';
import {isBinlogName} from '../binlog/stream/checkpoint.ts';
import {INDEX_NAME} from '../binlog/stream/binlog-index.ts';
import {openArchiveIn} from '../storage/archive/reader.ts';
import {findEngine} from '../engines/registry.ts';
import {identifyArtifact, readScriptArtifact, type ArtifactFile} from '../storage/artifact.ts';
import {HEADER_BYTES, isEncryptedArtifact, parseHeader} from '../storage/crypto/header.ts';
import {plaintextSize} from '../storage/crypto/layout.ts';
import {directoryTarget, targetFor, type StorageOptions} from '../storage/target/index.ts';
import {looksLikeWalStore} from './catalog/wal-streams.ts';
import {chainProblem, ofStreamSeries, walChainProblem} from './catalog/window.ts';
import {verifyWalStore} from './verify-wal.ts';
import {restoreTest, type RestoreTestOptions, type RestoreTestReport} from './restore-test.ts';
import {readBytes} from '../storage/target/read-bytes.ts';

/** What one artifact's check found; a failure is not an item but the IntegrityError naming it (exit 5). */
export interface VerifiedItem {
	/** where it is, as messages name it */
	location: string;
	kind: 'archive' | 'sql' | 'encrypted' | 'binlogs' | 'wal';
	/** what was checked, in words */
	checked: string;
	/** stored bytes read */
	bytes: number;
	members?: number;
	/** bytes after decompression (and decryption) */
	rawBytes?: number;
	/** a SQL script of ours without its closing line: cut short */
	complete?: boolean;
	files?: number;
	events?: number;
	/** with --restore-test: the drill's figures (a failed drill is the IntegrityError instead) */
	restoreTest?: RestoreTestReport;
}

export interface VerifyOptions {
	/** also restore every archive into a throwaway server and compare its tables with the manifest */
	restoreTest?: boolean;
	/** restore workers for the drill */
	workers?: number;
	/** tests replace how the drill's server starts */
	startSandbox?: RestoreTestOptions['startSandbox'];
}

export interface VerifyReport {
	location: string;
	items: VerifiedItem[];
	startedAt: string;
	finishedAt: string;
}

const BACKUP_NAME = /\.(?:tar|sql(?:\.(?:gz|zst|lz4))?)$/;
/** our own scripts end with this line (engines' script-text); another tool's may not */
const OUR_SCRIPT_END = '-- dump complete';

/**
 * `verify`: re-reads a backup, every backup of a directory (or S3 prefix), or a binlog store, and checks
 * everything that can be checked without a server. Archives: every member's size and SHA-256 against
 * the manifest, the sidecar, and every member decompressed (its framing). Encrypted artifacts: with the
 * key, all of that on the plaintext (every segment's tag); without it, the header and the size the
 * segment layout allows. SQL scripts: decompressed to the end; ours must end with their closing line.
 * Binlog stores: every event's CRC32, every closed file's size and SHA-256 against binlog-index.json,
 * and the sequence (each file leads to the next, none missing). The first failure is thrown, naming the
 * artifact and member or file.
 */
export async function verifyLocation(location: string, storage: StorageOptions, bus: EventBus, options: VerifyOptions = {}): Promise<VerifyReport> {
	const startedAt = new Date().toISOString();
	const items: VerifiedItem[] = [];
	if (await isDirectory(location)) {
		const target = await directoryTarget(location, storage);
		const names = (await target.list()).map((artifact) => artifact.name);
		if (names.includes(INDEX_NAME) || names.some(isBinlogName)) items.push(await verifyBinlogStore(location, storage, bus));
		if (looksLikeWalStore(names.map((name) => ({name, bytes: 0, modifiedAt: new Date(0)})))) items.push(await walItem(location, storage, bus));
		const backups = names.filter((name) => BACKUP_NAME.test(name)).sort();
		for (const name of backups) items.push(await verifyArtifact(target.describe(name), storage, bus, options));
		await verifyChains(location, storage, bus, items);
		if (items.length === 0) {
			throw new UsageError({code: 'VERIFY_NOTHING', message: `${location} holds no backup and no binlog files to verify`, hint: 'Give a backup file, a directory (or s3:// prefix) of backups, or a binlog-stream directory.'});
		}
	} else {
		items.push(await verifyArtifact(location, storage, bus, {...options, single: true}));
	}
	return {location, items, startedAt, finishedAt: new Date().toISOString()};
}

/**
 * The binlog streams in directories under the location (the one at the location itself is verified
 * above), and whether the newest backup of each stream's series can be rolled forward through it: its
 * binlog file in the stream, no file missing after it, the checkpoint past it (or the streamer running,
 * about to be). Older backups the stream no longer reaches are said in a warning; that is what a stream
 * started later, or pruned, looks like.
 */
async function verifyChains(location: string, storage: StorageOptions, bus: EventBus, items: VerifiedItem[]): Promise<void> {
	const {buildCatalog} = await import('./catalog.ts');
	const catalog = await buildCatalog(location, storage);
	for (const stream of catalog.streams) {
		if (stream.relative !== '' && stream.readable) items.push(await verifyBinlogStore(stream.url, storage, bus));
	}
	for (const store of catalog.walStreams) {
		if (store.relative !== '') items.push(await walItem(store.url, storage, bus));
		const newest = catalog.backups.filter((backup) => backup.complete && backup.readable && backup.wal !== undefined && (backup.wal.systemId === undefined || backup.wal.systemId === store.systemId)).at(-1);
		if (!newest) continue;
		const problem = walChainProblem(newest, store);
		const catchingUp = problem !== undefined && store.running.state === 'running' && problem.startsWith("the WAL store's checkpoint");
		if (problem !== undefined && !catchingUp) {
			throw new IntegrityError({
				code: 'WAL_CHAIN_BROKEN',
				message: `the newest base backup cannot be rolled forward: ${problem}`,
				hint: 'A point-in-time restore from it would stop short. Keep wal-stream running (with its slot, the server keeps the WAL it has not stored), or take a new base backup while it runs.',
			});
		}
	}
	for (const stream of catalog.streams) {
		const backups = catalog.backups.filter((backup) => backup.complete && backup.readable && ofStreamSeries(backup, stream));
		const newest = backups.at(-1);
		if (!newest) continue;
		const problem = chainProblem(newest, stream);
		const catchingUp = problem !== undefined && stream.running.state === 'running' && stream.checkpoint !== undefined && problem.startsWith("the stream's checkpoint");
		if (problem !== undefined && !catchingUp) {
			throw new IntegrityError({
				code: 'BINLOG_CHAIN_BROKEN',
				message: `the newest backup cannot be rolled forward: ${problem}`,
				hint: 'A point-in-time restore from it would stop short. Start binlog-stream from that backup (--from-backup), or take a new backup while the stream runs.',
			});
		}
		const unreached = backups.filter((backup) => chainProblem(backup, stream) !== undefined).length;
		if (unreached > 0) bus.warn(`${unreached} older backup(s) of this series cannot be rolled forward through ${stream.url}`, {code: 'BINLOG_CHAIN_PARTIAL'});
	}
}

async function walItem(location: string, storage: StorageOptions, bus: EventBus): Promise<VerifiedItem> {
	const report = await verifyWalStore(location, storage, bus);
	return {
		location: report.location,
		kind: 'wal',
		checked: `every segment and history file read to its end, its size and SHA-256 against wal-index.json${report.unindexed > 0 ? ` (${report.unindexed} not listed there yet: header only)` : ''}, each segment's header (cluster, position, timeline), and no segment missing`,
		bytes: report.bytes,
		files: report.segments + report.histories,
	};
}

/** A local directory, or an s3:// URL ending in `/` (a prefix). */
async function isDirectory(location: string): Promise<boolean> {
	if (isObjectStoreUrl(location)) return location.endsWith('/');
	return (await stat(location).catch(() => undefined))?.isDirectory() ?? false;
}

async function verifyArtifact(location: string, storage: StorageOptions, bus: EventBus, options: VerifyOptions & {single?: boolean}): Promise<VerifiedItem> {
	bus.stage('verify', location);
	let artifact: ArtifactFile;
	try {
		artifact = await identifyArtifact(location, storage);
	} catch (error) {
		// encrypted, and no key given: what can be checked is how it is stored
		// (a drill restores the plaintext: it needs the key, and says so)
		const encrypted = !options.restoreTest && !storage.encryption && error instanceof DbBackupError && error.code === 'ENCRYPTION_KEY_MISSING' ? await encryptedLayout(location, storage) : undefined;
		if (encrypted) return encrypted;
		throw error;
	}
	if (artifact.kind !== 'archive') {
		const item = await verifyScript(artifact);
		if (options.restoreTest && options.single) await restoreTest(artifact, storage, bus);
		if (options.restoreTest) bus.warn(`${artifact.path} was not drilled: --restore-test drills archives, and a SQL script records no table checksums`, {code: 'RESTORE_TEST_SKIPPED'});
		return item;
	}
	const item = await verifyArchive(artifact, bus);
	if (!options.restoreTest) return item;
	if (!options.single && (await writtenForDataDirectory(artifact))) {
		// one physical backup among others is no reason to refuse the drill of the rest
		bus.warn(`${artifact.path} was not drilled: it is a physical backup; \`dbbackup restore ARCHIVE --datadir DIR --verify-start\` starts a server on it`, {code: 'RESTORE_TEST_SKIPPED'});
		return item;
	}
	return {...item, restoreTest: await restoreTest(artifact, storage, bus, {workers: options.workers, startSandbox: options.startSandbox})};
}

/** A physical engine's archive (it restores into a data directory, not into a server a drill can start). */
async function writtenForDataDirectory(artifact: ArtifactFile): Promise<boolean> {
	const {manifest} = await openArchiveIn(artifact.target, artifact.name);
	try {
		return findEngine(manifest.engine, manifest.dbType).restoreTarget === 'data-directory';
	} catch {
		return false;
	}
}

async function verifyArchive(artifact: ArtifactFile, bus: EventBus): Promise<VerifiedItem> {
	const archive = await openArchiveIn(artifact.target, artifact.name);
	const report = await archive.verify({deep: true});
	if (!report.sidecar) {
		bus.warn(`${artifact.path} has no sidecar (${artifact.name}.meta.json): the run that wrote it ended before the sidecar, or the archive was copied alone; status lists it as not complete`, {code: 'SIDECAR_MISSING'});
	}
	return {
		location: artifact.path,
		kind: 'archive',
		checked: `every member: size and SHA-256 against the manifest, ${report.sidecar ? 'the sidecar' : 'no sidecar to check'}, and decompressed to its end`,
		bytes: report.bytes,
		members: report.members,
		rawBytes: report.rawBytes,
	};
}

async function verifyScript(artifact: ArtifactFile): Promise<VerifiedItem> {
	let rawBytes = 0;
	let tail = '';
	await pipeline(
		readScriptArtifact(artifact),
		new Writable({
			write(chunk: Buffer, _encoding, done) {
				rawBytes += chunk.length;
				tail = (tail + chunk.toString('latin1')).slice(-256);
				done();
			},
		}),
	);
	const ours = artifact.script?.writer.includes('dbbackup') ?? false;
	const complete = ours ? tail.trimEnd().endsWith(OUR_SCRIPT_END) : undefined;
	if (complete === false) {
		throw new IntegrityError({
			code: 'SCRIPT_INCOMPLETE',
			message: `${artifact.path} is cut short: a dbbackup SQL script ends with "${OUR_SCRIPT_END}", this one does not (${rawBytes} bytes)`,
			hint: 'The script was not written to its end (a full disk, a copy cut off). Take the backup again; restoring it would leave databases half made.',
		});
	}
	return {
		location: artifact.path,
		kind: 'sql',
		checked: `read to its end${artifact.compression === 'none' ? '' : ` (${artifact.compression} framing)`}${ours ? ', with its closing line' : '; a script carries no checksums'}`,
		bytes: artifact.bytes,
		rawBytes,
		complete,
	};
}

/** Without a key an encrypted artifact can only be checked as stored: its header, and a size its segments can have. */
async function encryptedLayout(location: string, storage: StorageOptions): Promise<VerifiedItem | undefined> {
	const {target, name} = await targetFor(location, {...storage, encryption: undefined});
	const info = await target.stat(name);
	if (!info) return undefined;
	const head = await readBytes(target, name, 0, Math.min(info.bytes, HEADER_BYTES));
	if (!isEncryptedArtifact(head)) return undefined;
	const header = parseHeader(head, target.describe(name));
	plaintextSize(info.bytes, header, target.describe(name));
	return {
		location: target.describe(name),
		kind: 'encrypted',
		checked: 'as stored, without the key: its header and a size its segments allow (give the key to check every member)',
		bytes: info.bytes,
	};
}

/** Every series of binlog files in the store, read from its first file to its last. */
async function verifyBinlogStore(location: string, storage: StorageOptions, bus: EventBus): Promise<VerifiedItem> {
	bus.stage('verify', `binlog files in ${location}`);
	const catalog = await locateBinlogs(location, storage);
	let events = 0;
	let bytes = 0;
	const firsts = [...new Set(catalog.names.map(binlogBase))].map((base) => catalog.names.find((name) => binlogBase(name) === base)!);
	for (const first of firsts) {
		const sequence = readBinlogSequence(catalog, first);
		for (;;) {
			const step = await sequence.next();
			if (step.done) break;
			events += 1;
			bytes += step.value.raw.length;
		}
	}
	return {
		location: catalog.dir,
		kind: 'binlogs',
		checked: 'every event\'s CRC32, every closed file\'s size and SHA-256 against binlog-index.json, and the sequence of files (none missing)',
		bytes,
		files: catalog.names.length,
		events,
	};
}
