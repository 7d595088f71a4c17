/**
 * A directory of a server's files — a filesystem snapshot's copy of the data directory, or the
 * directory the clone plugin wrote — into our archive: the same container and manifest `physical`
 * section as a PostgreSQL base backup, so that one restore, verify and catalog serve every physical
 * engine. The tree is listed first (the total for progress, and nothing read twice), then each file is
 * read in order into packs that compress on every core (packer.ts). Memory is the packs, whatever the
 * size of the files; a sparse file's holes are read as zeros and compress to almost nothing. The copy's
 * progress events name the file being read and its own bytes of its size (`item`), at the reporter's
 * pace (10 a second at most), whatever the number of files.
 */
import {constants as fsConstants} from 'node:fs';
import {lstat, open, readdir, readlink} from 'node:fs/promises';
import {availableParallelism} from 'node:os';
import path from 'node:path';
import {Readable} from 'node:stream';
import {UsageError, WorkError} from '../../core/errors.ts';
import {ProgressReporter, type EventBus} from '../../core/events.ts';
import {VERSION} from '../../core/tool-version.ts';
import {physicalPathProblem, type PhysicalEntry} from '../../storage/archive/physical-layout.ts';
import {parseCompression} from '../../storage/compression.ts';
import {openDumpArchive, type DumpArchive} from '../dump-archive.ts';
import type {BackupOptions, EngineName} from '../types.ts';
import {ContentPacker, PackBuffers} from './packer.ts';

const MiB = 1024 * 1024;
/** Raw pack bytes held at once, all packs together (as the base backup holds them). */
const PACK_BUDGET = 32 * MiB;
const READ_BYTES = MiB;

export type DirectoryEntryType = 'file' | 'directory' | 'symlink';

export interface DirectoryBackupSource {
	/** the directory whose files are copied (a snapshot's copy of the data directory, a clone's directory); only read */
	root: string;
	/** true for a relative ("/"-separated) path to leave out; a directory left out takes everything under it */
	exclude?: (relativePath: string, type: DirectoryEntryType) => boolean;
	/** files that are not on disk, stored after the directory's own (PostgreSQL's backup_label and tablespace_map) */
	extraFiles?: ReadonlyArray<{path: string; content: Buffer; mode?: number}>;
}

export interface DirectoryBackupDescription {
	engine: EngineName;
	dbType: 'mysql' | 'postgres';
	server: {version: string; flavor: string; host: string};
	databases: string[];
	coordinates: Record<string, unknown>;
	/** recorded in the manifest beside the compression (e.g. the snapshot backend, the quiesce time) */
	options: Record<string, unknown>;
	startedAt: string;
}

export interface DirectoryBackupWritten {
	artifact: string;
	/** the archive's size */
	bytes: number;
	/** the files' bytes before compression */
	rawBytes: number;
	files: number;
	finishedAt: string;
}

interface Listed {
	entry: PhysicalEntry;
	/** files: where to read them; absent for extra files */
	absolute?: string;
	content?: Buffer;
}

function errnoOf(error: unknown): string | undefined {
	return (error as NodeJS.ErrnoException | undefined)?.code;
}

/** Every directory, file and symlink under `root`, parents before children, names in byte order. */
async function listTree(source: DirectoryBackupSource, bus: EventBus): Promise<Listed[]> {
	const listed: Listed[] = [];
	const skipped: string[] = [];
	const walk = async (relative: string): Promise<void> => {
		const dir = relative === '' ? source.root : path.join(source.root, relative);
		const names = (await readdir(dir)).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
		for (const name of names) {
			const childRelative = relative === '' ? name : `${relative}/${name}`;
			const absolute = path.join(dir, name);
			const stats = await lstat(absolute);
			const type: DirectoryEntryType | undefined = stats.isDirectory() ? 'directory' : stats.isFile() ? 'file' : stats.isSymbolicLink() ? 'symlink' : undefined;
			if (type === undefined) {
				// a socket (mysqld.sock in the data directory), a FIFO or a device: nothing a server needs back
				skipped.push(childRelative);
				continue;
			}
			if (source.exclude?.(childRelative, type)) continue;
			const problem = physicalPathProblem(childRelative);
			if (problem) {
				throw new WorkError({code: 'PHYSICAL_SOURCE_UNREADABLE', message: `${absolute}: its path inside ${source.root} ${problem}; it cannot be stored`, hint: 'Rename or remove the file, then run again.'});
			}
			const mode = stats.mode & 0o7777;
			if (type === 'directory') {
				listed.push({entry: {path: childRelative, type, mode}});
				await walk(childRelative);
			} else if (type === 'file') {
				listed.push({entry: {path: childRelative, type, mode, size: stats.size}, absolute});
			} else {
				listed.push({entry: {path: childRelative, type, mode, target: await readlink(absolute)}});
			}
		}
	};
	try {
		await walk('');
	} catch (error) {
		if (error instanceof WorkError) throw error;
		throw new WorkError({code: 'PHYSICAL_SOURCE_UNREADABLE', message: `${source.root} cannot be listed: ${(error as Error).message}`, hint: 'The backup must run as a user who can read every file of the data directory (root, or the server\'s OS user).', cause: error});
	}
	if (skipped.length > 0) bus.log('info', `left out ${skipped.length} socket(s) or special file(s): ${skipped.slice(0, 4).join(', ')}${skipped.length > 4 ? ', …' : ''}`);
	const onDisk = new Set(listed.map((item) => item.entry.path));
	for (const extra of source.extraFiles ?? []) {
		const problem = physicalPathProblem(extra.path);
		if (problem) throw new UsageError({code: 'PHYSICAL_SOURCE_UNREADABLE', message: `the extra file ${JSON.stringify(extra.path)} ${problem}`});
		if (onDisk.has(extra.path)) {
			throw new WorkError({code: 'PHYSICAL_SOURCE_UNREADABLE', message: `${path.join(source.root, extra.path)} exists on disk and is also given as an extra file`, hint: 'Leave the file on disk out (exclude) when the backup writes its own.'});
		}
		onDisk.add(extra.path);
		listed.push({entry: {path: extra.path, type: 'file', mode: extra.mode ?? 0o600, size: extra.content.length}, content: extra.content});
	}
	return listed;
}

/** Reads exactly `entry.size` bytes of a file into the packer; a file that is shorter than it was listed is an error. */
async function packFile(item: Listed, packer: ContentPacker, buffer: Buffer, progress: ProgressReporter): Promise<void> {
	const size = item.entry.size ?? 0;
	// the file the copy is on rides on the task's (throttled) progress events
	progress.setItem({name: item.entry.path, total: size});
	if (item.content) {
		const wait = packer.write(item.content);
		if (wait) await wait;
		progress.addToItem(size);
		progress.add(size);
		return;
	}
	const file = item.absolute!;
	let handle;
	try {
		handle = await open(file, fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW);
	} catch (error) {
		throw new WorkError({code: 'PHYSICAL_SOURCE_UNREADABLE', message: `${file} cannot be opened: ${(error as Error).message}`, hint: errnoOf(error) === 'EACCES' ? 'Run the backup as root or as the server\'s OS user.' : 'The file changed under the backup; the source must not change while it is read.', cause: error});
	}
	try {
		let position = 0;
		while (position < size) {
			const {bytesRead} = await handle.read(buffer, 0, Math.min(buffer.length, size - position), position);
			if (bytesRead === 0) {
				throw new WorkError({
					code: 'PHYSICAL_SOURCE_CHANGED',
					message: `${file} ended after ${position} of its ${size} bytes: it changed while it was read`,
					hint: 'A physical backup reads a frozen copy (a snapshot, a finished clone); nothing may write to it meanwhile.',
				});
			}
			const wait = packer.write(buffer.subarray(0, bytesRead));
			if (wait) await wait;
			position += bytesRead;
			progress.addToItem(bytesRead);
			progress.add(bytesRead);
		}
	} finally {
		await handle.close();
	}
}

/** Copies `source.root` into an archive at `options.output` (local or s3://) with a manifest built from `description`. */
export async function writeDirectoryBackup(options: BackupOptions, source: DirectoryBackupSource, description: DirectoryBackupDescription, bus: EventBus): Promise<DirectoryBackupWritten> {
	if (options.format !== 'archive') {
		throw new UsageError({
			code: 'PHYSICAL_NEEDS_ARCHIVE',
			message: `--format sql: the ${description.engine} engine copies the server's files; it is written as an archive only`,
			hint: 'Leave --format out (or set output.format: archive), or choose a logical engine for a SQL script.',
		});
	}
	bus.stage('list', `the files under ${source.root}`);
	const listed = await listTree(source, bus);
	const files = listed.filter((item) => item.entry.type === 'file');
	const total = files.reduce((sum, item) => sum + (item.entry.size ?? 0), 0);
	bus.log('info', `${files.length} files, ${(total / MiB).toFixed(1)} MiB`);
	const workers = Math.max(1, Math.min(options.workers, availableParallelism()));
	let archive: DumpArchive | undefined;
	let packer: ContentPacker | undefined;
	try {
		archive = await openDumpArchive({path: options.output, storage: options.storage, compression: parseCompression(options.compress), level: options.level, workers, bus});
		const opened = archive;
		// the writer compresses workers + 1 members at once; one more pack fills meanwhile
		const packCount = workers + 2;
		const packBytes = Math.max(4 * MiB, Math.min(16 * MiB, Math.floor(PACK_BUDGET / packCount / MiB) * MiB));
		packer = new ContentPacker(new PackBuffers(packBytes, packCount), (member, slices) => opened.track(opened.writer.addMember(member, Readable.from(slices))), 'files/base');
		bus.stage('copy', `${files.length} files from ${source.root}`);
		const progress = new ProgressReporter(bus, `copy ${source.root}`, 'bytes', total);
		progress.begin();
		const buffer = Buffer.allocUnsafe(READ_BYTES);
		for (const item of files) await packFile(item, packer, buffer, progress);
		packer.flush();
		// the last figure is the whole copy's, on no file
		progress.setItem(undefined);
		progress.finish();
		await archive.settled();
		const members = (await Promise.all(packer.members)).map((member) => member.path);
		bus.stage('finish', 'the archive\'s manifest');
		const finished = await archive.writer.finish({
			tool: {name: 'dbbackup', version: VERSION},
			engine: description.engine,
			dbType: description.dbType,
			server: description.server,
			databases: description.databases.map((name) => ({name, tables: []})),
			physical: {archives: [{name: 'base', members, entries: listed.map((item) => item.entry)}]},
			coordinates: description.coordinates,
			startedAt: description.startedAt,
			options: {...description.options, compress: options.compress, ...(options.level === undefined ? {} : {level: options.level})},
		});
		return {artifact: finished.path, bytes: finished.bytes, rawBytes: total, files: files.length, finishedAt: finished.manifest.finishedAt};
	} catch (error) {
		packer?.discard();
		await archive?.writer.abort();
		throw error;
	}
}
