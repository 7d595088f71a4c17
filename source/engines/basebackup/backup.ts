/**
 * The base backup: BASE_BACKUP over a replication connection (PostgreSQL 15's syntax and its one CopyOut
 * of typed messages: 'n' a new archive, 'd' data, 'p' progress, 'm' the manifest follows), each tar
 * stream parsed as it arrives (tar-parser.ts), its files' bytes cut into members compressed on every
 * core (packer.ts), the files listed in the manifest's physical section, the server's own
 * backup_manifest kept as a member. The WAL from the backup's start to its end is inside the data
 * directory's archive (pg_wal/), so the archive restores and starts on its own.
 */
import {PassThrough, Readable} from 'node:stream';
import {once} from 'node:events';
import {availableParallelism} from 'node:os';
import type pg from 'pg';
import {connectPostgres} from '../../core/connect.ts';
import {manifestHost, type ConnectionSettings} from '../../core/connection-settings.ts';
import {DbBackupError, EngineUnavailableError, UsageError, WorkError} from '../../core/errors.ts';
import {ProgressReporter, type EventBus} from '../../core/events.ts';
import {parseLsn} from '../../core/pg-replication/lsn.ts';
import {ReplicationSession, type ResultSet} from '../../core/pg-replication/session.ts';
import {VERSION} from '../../core/tool-version.ts';
import type {ManifestMember} from '../../storage/archive/manifest.ts';
import {physicalPathProblem, type PhysicalArchive, type PhysicalEntry} from '../../storage/archive/physical-layout.ts';
import {parseCompression} from '../../storage/compression.ts';
import {openDumpArchive, type DumpArchive} from '../dump-archive.ts';
import type {BackupOptions, BackupResult} from '../types.ts';
import {describeBaseBackupCoordinates, type BaseBackupCoordinates} from './coordinates.ts';
import {ContentPacker, PackBuffers} from '../physical/packer.ts';
import {MAX_RATE_RANGE, parseMaxRate} from './options.ts';
import {TarParser, type TarHeader} from './tar-parser.ts';

const MiB = 1024 * 1024;
/** Raw pack bytes held at once, all packs together; each pack is at most 16 MiB and at least 4 MiB. */
const PACK_BUDGET = 32 * MiB;

export const BACKUP_MANIFEST_MEMBER = 'backup_manifest';

function quoteLiteral(text: string): string {
	return `'${text.replace(/'/g, "''")}'`;
}

/** The BASE_BACKUP command (PostgreSQL 15 option syntax). */
export function baseBackupCommand(label: string, options: {checkpoint: 'fast' | 'spread'; maxRateKbps?: number}): string {
	const parts = [
		`LABEL ${quoteLiteral(label)}`,
		'PROGRESS',
		`CHECKPOINT ${quoteLiteral(options.checkpoint)}`,
		// the WAL from start to end goes into the data directory's tar: the archive is self-contained
		'WAL',
		// we take the WAL ourselves: no waiting for the server's archiver
		'WAIT false',
		"MANIFEST 'yes'",
		"MANIFEST_CHECKSUMS 'SHA256'",
		'TABLESPACE_MAP',
		...(options.maxRateKbps === undefined ? [] : [`MAX_RATE ${options.maxRateKbps}`]),
	];
	return `BASE_BACKUP (${parts.join(', ')})`;
}

function serverMessage(error: unknown): string {
	return error instanceof Error ? error.message : String(error);
}

/** A refused replication connection, worded as what is missing for a base backup. */
function replicationRefusal(error: unknown, settings: ConnectionSettings): unknown {
	const cause = error instanceof DbBackupError && error.cause !== undefined ? error.cause : error;
	const code = (cause as {code?: string}).code;
	const message = serverMessage(cause);
	const who = settings.user ?? 'the role';
	if (code === '42501' || /superuser or replication role/i.test(message)) {
		return new EngineUnavailableError({
			code: 'BASEBACKUP_NOT_PERMITTED',
			message: `${who} may not open a replication connection (${message}): a base backup needs the REPLICATION attribute or SUPERUSER`,
			hint: `ALTER ROLE ${who} REPLICATION; then run again.`,
			cause,
		});
	}
	if (code === '53300' || /max_wal_senders|wal sender/i.test(message)) {
		return new EngineUnavailableError({
			code: 'BASEBACKUP_NO_WAL_SENDER',
			message: `no free WAL sender on the server (${message})`,
			hint: 'Raise max_wal_senders (a restart), or wait for a base backup or WAL stream to end.',
			cause,
		});
	}
	if (/pg_hba\.conf/.test(message) && /replication/i.test(message)) {
		return new EngineUnavailableError({
			code: 'BASEBACKUP_NOT_PERMITTED',
			message: `the server refuses replication connections from here (${message})`,
			hint: `Add a line for the replication pseudo-database to pg_hba.conf (e.g. "host replication ${who} 10.0.0.0/8 scram-sha-256") and reload.`,
			cause,
		});
	}
	return error;
}

interface DatabaseFacts {
	databases: string[];
	/** the bootstrap superuser (OID 10): the role a check of the restored cluster connects as */
	superuser?: string;
}

/** Database names and the bootstrap superuser over an ordinary connection; a role that may only replicate gets none, with a log line. */
async function readDatabaseFacts(settings: ConnectionSettings, bus: EventBus): Promise<DatabaseFacts> {
	let client: pg.Client | undefined;
	try {
		client = await connectPostgres(settings);
		const {rows} = await client.query<{datname: string}>('SELECT datname FROM pg_catalog.pg_database WHERE NOT datistemplate ORDER BY datname');
		const {rows: [owner]} = await client.query<{rolname: string}>('SELECT rolname FROM pg_catalog.pg_roles WHERE oid = 10');
		return {databases: rows.map((row) => row.datname), superuser: owner?.rolname};
	} catch (error) {
		bus.log('warn', `the databases of the cluster could not be listed for the manifest (${serverMessage(error)}); the backup holds them all the same`);
		return {databases: []};
	} finally {
		await client?.end().catch(() => undefined);
	}
}

interface ArchiveState {
	name: string;
	location?: string;
	parser: TarParser;
	packer: ContentPacker;
	entries: PhysicalEntry[];
}

/** What arrives in the CopyOut, taken apart: tar streams into packs and entries, the backup manifest into its member. */
class BaseBackupReceiver {
	readonly archives: ArchiveState[] = [];
	private current: ArchiveState | undefined;
	private manifestStream: PassThrough | undefined;
	manifestMember: Promise<ManifestMember> | undefined;
	private received = 0;
	private readonly progress: ProgressReporter;
	private readonly where: string;

	constructor(
		private readonly archive: DumpArchive,
		private readonly buffers: PackBuffers,
		private readonly bus: EventBus,
		server: string,
	) {
		this.where = server;
		this.progress = new ProgressReporter(bus, 'base backup', 'bytes');
	}

	/** the total progress is measured against: the server's estimate, and at least one WAL segment */
	private total = 0;

	started(resultSets: readonly ResultSet[], walSegmentBytes: number): void {
		// before the copy: the start position, then one row per tablespace with its size in kB (the data directory's has no OID)
		const tablespaces = resultSets[1]?.rows ?? [];
		const estimate = tablespaces.reduce((sum, row) => sum + Number(row[2] ?? 0) * 1024, 0);
		this.total = estimate + walSegmentBytes;
		this.progress.setTotal(this.total);
		this.progress.begin();
		this.bus.stage('copy', `${tablespaces.length - 1} tablespace(s) besides the data directory, about ${Math.round(estimate / MiB)} MiB before the WAL`);
	}

	data(payload: Buffer): void | Promise<void> {
		switch (payload[0]) {
			case 0x6e: // 'n': name\0 location\0
				return this.newArchive(payload);
			case 0x64: {
				// 'd'
				const data = payload.subarray(1);
				if (this.manifestStream) return this.manifestData(data);
				if (!this.current) throw this.protocol('data arrived before any archive started');
				this.received += data.length;
				// more WAL than one segment: the total grows with what arrives
				if (this.received > this.total) this.progress.setTotal((this.total = this.received));
				this.progress.set(this.received);
				return this.current.parser.write(data);
			}
			case 0x70: // 'p': bytes done, by the server's count
				return;
			case 0x6d: // 'm': the backup manifest follows
				return this.startManifest();
			default:
				throw this.protocol(`a CopyData message of type ${JSON.stringify(String.fromCharCode(payload[0] ?? 0))}`);
		}
	}

	/** The server ended the copy. */
	done(): void {
		this.closeCurrent();
		this.manifestStream?.end();
	}

	/** The copy failed: packs go back, the manifest stream stops. */
	discard(): void {
		for (const state of this.archives) state.packer.discard();
		this.manifestStream?.destroy();
	}

	finishProgress(): void {
		this.progress.setItem(undefined);
		this.progress.setTotal(this.received);
		this.progress.finish();
	}

	private protocol(what: string): WorkError {
		return new WorkError({code: 'BASEBACKUP_PROTOCOL', message: `${this.where}: unexpected in the base backup stream: ${what}`, hint: 'Run again; report it if it repeats.'});
	}

	private newArchive(payload: Buffer): void {
		this.closeCurrent();
		const nameEnd = payload.indexOf(0, 1);
		const locationEnd = nameEnd === -1 ? -1 : payload.indexOf(0, nameEnd + 1);
		if (locationEnd === -1) throw this.protocol('a new-archive message without its name and location');
		const file = payload.toString('utf8', 1, nameEnd);
		const location = payload.toString('utf8', nameEnd + 1, locationEnd);
		const match = /^(base|[1-9][0-9]*)\.tar$/.exec(file);
		if (!match) throw this.protocol(`an archive named ${JSON.stringify(file)} (expected base.tar or <tablespace oid>.tar)`);
		const name = match[1]!;
		if ((name === 'base') !== (location === '')) throw this.protocol(`archive ${file} with location ${JSON.stringify(location)}`);
		if (name !== 'base' && !location.startsWith('/')) throw this.protocol(`tablespace ${name} at ${JSON.stringify(location)}, not an absolute path`);
		if (this.archives.some((archive) => archive.name === name)) throw this.protocol(`archive ${file} a second time`);
		const entries: PhysicalEntry[] = [];
		const packer = new ContentPacker(this.buffers, (member, slices) => this.archive.track(this.archive.writer.addMember(member, Readable.from(slices))), `files/${name}`);
		const where = `${file} from ${this.where}`;
		const parser = new TarParser(
			{
				onEntry: (header) => {
					const entry = entryOf(header, where);
					entries.push(entry);
					// the file being received, for progress (tablespace files under their tablespace's name)
					if (entry.type === 'file') this.progress.setItem({name: name === 'base' ? entry.path : `${name}/${entry.path}`, total: entry.size ?? 0});
				},
				onData: (chunk) => {
					this.progress.addToItem(chunk.length);
					return packer.write(chunk);
				},
			},
			where,
		);
		const state: ArchiveState = {name, ...(name === 'base' ? {} : {location}), parser, packer, entries};
		this.archives.push(state);
		this.current = state;
		this.bus.log('info', name === 'base' ? 'receiving the data directory' : `receiving tablespace ${name} (${location})`);
	}

	private closeCurrent(): void {
		if (!this.current) return;
		this.current.parser.end();
		this.current.packer.flush();
		this.current = undefined;
	}

	private startManifest(): void {
		this.closeCurrent();
		if (this.manifestStream) throw this.protocol('a second backup manifest');
		this.manifestStream = new PassThrough({highWaterMark: MiB});
		this.manifestMember = this.archive.track(this.archive.writer.addMember(BACKUP_MANIFEST_MEMBER, this.manifestStream));
	}

	private async manifestData(data: Buffer): Promise<void> {
		if (this.manifestStream!.write(Buffer.from(data))) return;
		await Promise.race([once(this.manifestStream!, 'drain'), this.manifestMember!.then(() => undefined)]);
	}
}

/** A size setting as SHOW prints it ("16MB", "1GB", "8192kB"), in bytes. */
export function settingBytes(text: string | null | undefined): number | undefined {
	const match = /^(\d+)\s*(B|kB|MB|GB|TB)?$/.exec(text?.trim() ?? '');
	if (!match) return undefined;
	const unit = {B: 1, kB: 1024, MB: MiB, GB: 1024 * MiB, TB: 1024 * 1024 * MiB}[match[2] ?? 'B']!;
	return Number(match[1]) * unit;
}

function entryOf(header: TarHeader, where: string): PhysicalEntry {
	const path = header.name.replace(/^(\.\/)+/, '').replace(/\/+$/, '');
	const problem = physicalPathProblem(path);
	if (problem) {
		throw new WorkError({code: 'BASEBACKUP_TAR_INVALID', message: `${where}: the entry ${JSON.stringify(header.name)} ${problem}`, hint: 'A data directory entry must stay inside it.'});
	}
	switch (header.type) {
		case 'file':
			return {path, type: 'file', mode: header.mode, size: header.size};
		case 'directory':
			return {path, type: 'directory', mode: header.mode};
		case 'symlink':
			return {path, type: 'symlink', mode: header.mode, target: header.linkname};
	}
}

function positionOf(set: ResultSet | undefined, what: string, where: string): {lsn: string; timeline: number} {
	const row = set?.rows[0];
	const lsn = row?.[0] ?? '';
	const timeline = Number(row?.[1]);
	try {
		parseLsn(lsn);
	} catch {
		throw new WorkError({code: 'BASEBACKUP_PROTOCOL', message: `${where}: the base backup's ${what} position is ${JSON.stringify(lsn)}, not a WAL position`});
	}
	if (!Number.isSafeInteger(timeline) || timeline < 1) throw new WorkError({code: 'BASEBACKUP_PROTOCOL', message: `${where}: the base backup's ${what} timeline is ${JSON.stringify(row?.[1])}`});
	return {lsn, timeline};
}

/** Runs a base backup of the whole cluster into an archive at `options.output`. */
export async function runBaseBackup(options: BackupOptions, bus: EventBus): Promise<BackupResult> {
	const startedAt = new Date().toISOString();
	if (options.format !== 'archive') {
		throw new UsageError({
			code: 'BASEBACKUP_NEEDS_ARCHIVE',
			message: '--format sql: a base backup copies the server\'s files; it is written as an archive only',
			hint: 'Leave --format out (or set output.format: archive), or use --engine postgres-logical for a SQL script.',
		});
	}
	const checkpoint = options.checkpoint ?? 'fast';
	if (options.maxRateKbps !== undefined && !(Number.isSafeInteger(options.maxRateKbps) && options.maxRateKbps >= MAX_RATE_RANGE.min && options.maxRateKbps <= MAX_RATE_RANGE.max)) {
		parseMaxRate(String(options.maxRateKbps));
	}
	if (options.databases.length > 0) {
		bus.warn(`a base backup copies the whole cluster: every database, not only ${options.databases.join(', ')}`, {
			code: 'PHYSICAL_WHOLE_CLUSTER',
			hint: 'To back up single databases, use --engine postgres-logical.',
		});
	}
	const settings = options.settings;
	const facts = await readDatabaseFacts(settings, bus);
	const session = await ReplicationSession.open(settings, 'physical').catch((error: unknown) => {
		throw replicationRefusal(error, settings);
	});
	const server = manifestHost(settings);
	let archive: DumpArchive | undefined;
	let receiver: BaseBackupReceiver | undefined;
	try {
		const [versionSet] = await session.command('SHOW server_version_num');
		const versionNum = Number(versionSet?.rows[0]?.[0]);
		const [versionText] = await session.command('SHOW server_version');
		const serverVersion = versionText?.rows[0]?.[0] ?? String(versionNum);
		if (!(versionNum >= 150000)) {
			throw new EngineUnavailableError({
				code: 'BASEBACKUP_SERVER_TOO_OLD',
				message: `PostgreSQL ${serverVersion} is older than 15: this version of dbbackup speaks PostgreSQL 15's BASE_BACKUP only`,
				hint: 'Use --engine postgres-logical for this server.',
			});
		}
		const system = await session.identifySystem();
		const [segmentSet] = await session.command('SHOW wal_segment_size');
		const walSegmentBytes = settingBytes(segmentSet?.rows[0]?.[0]) ?? 16 * MiB;
		const workers = Math.max(1, Math.min(options.workers, availableParallelism()));
		archive = await openDumpArchive({path: options.output, storage: options.storage, compression: parseCompression(options.compress), level: options.level, workers, bus});
		// the writer compresses workers + 1 members at once; one more pack fills meanwhile
		const packCount = workers + 2;
		const packBytes = Math.max(4 * MiB, Math.min(16 * MiB, Math.floor(PACK_BUDGET / packCount / MiB) * MiB));
		receiver = new BaseBackupReceiver(archive, new PackBuffers(packBytes, packCount), bus, server);
		const label = `dbbackup ${startedAt}`;
		bus.stage('checkpoint', checkpoint === 'fast' ? 'the server checkpoints at once' : 'the server spreads its checkpoint (checkpoint_completion_target)');
		const active = receiver;
		const sets = await session
			.command(baseBackupCommand(label, {checkpoint, maxRateKbps: options.maxRateKbps}), {
				onCopyStart: (_kind, before) => active.started(before, walSegmentBytes),
				onCopyData: (payload) => active.data(payload),
				onCopyDone: () => active.done(),
			})
			.catch((error: unknown) => {
				if (error instanceof DbBackupError) throw error;
				throw new WorkError({code: 'BASEBACKUP_FAILED', message: `the base backup from ${server} failed: ${serverMessage(error)}`, hint: 'The server log says more; run again once the cause is fixed.', cause: error});
			});
		receiver.finishProgress();
		bus.stage('finish', 'the archive\'s manifest');
		const start = positionOf(sets[0], 'start', server);
		const end = positionOf(sets.at(-1), 'end', server);
		if (sets.length < 3 || receiver.archives.length === 0 || !receiver.archives.some((state) => state.name === 'base')) {
			throw new WorkError({code: 'BASEBACKUP_PROTOCOL', message: `${server}: the base backup ended without the data directory's archive`});
		}
		await archive.settled();
		const archives: PhysicalArchive[] = [];
		for (const state of receiver.archives) {
			archives.push({
				name: state.name,
				...(state.location === undefined ? {} : {location: state.location}),
				members: (await Promise.all(state.packer.members)).map((member) => member.path),
				entries: state.entries,
			});
		}
		const backupManifest = receiver.manifestMember ? (await receiver.manifestMember).path : undefined;
		const coordinates: BaseBackupCoordinates = {
			label,
			startLsn: start.lsn,
			endLsn: end.lsn,
			timeline: start.timeline,
			...(end.timeline === start.timeline ? {} : {endTimeline: end.timeline}),
			systemId: system.systemId,
			...(facts.superuser === undefined ? {} : {superuser: facts.superuser}),
		};
		const finished = await archive.writer.finish({
			tool: {name: 'dbbackup', version: VERSION},
			engine: 'basebackup',
			dbType: 'postgres',
			server: {version: serverVersion, flavor: 'postgresql', host: server},
			databases: facts.databases.map((name) => ({name, tables: []})),
			physical: {archives, ...(backupManifest === undefined ? {} : {backupManifest})},
			coordinates: {...coordinates},
			startedAt,
			options: {checkpoint, ...(options.maxRateKbps === undefined ? {} : {maxRateKbps: options.maxRateKbps}), wal: 'included', manifestChecksums: 'SHA256', tablespaceMap: true, compress: options.compress, ...(options.level === undefined ? {} : {level: options.level})},
		});
		return {
			artifact: finished.path,
			bytes: finished.bytes,
			format: 'archive',
			coordinates: describeBaseBackupCoordinates(coordinates),
			databases: facts.databases,
			tables: 0,
			rows: 0,
			files: archives.reduce((sum, entry) => sum + entry.entries.filter((item) => item.type === 'file').length, 0) + (backupManifest === undefined ? 0 : 1),
			startedAt,
			finishedAt: finished.manifest.finishedAt,
		};
	} catch (error) {
		receiver?.discard();
		await archive?.writer.abort();
		throw error;
	} finally {
		await session.end();
	}
}
