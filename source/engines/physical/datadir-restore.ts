/**
 * `restore ARCHIVE --datadir DIR`: a physical archive (a PostgreSQL base backup, a MySQL clone or a
 * filesystem snapshot's files) back into a data directory (and a PostgreSQL cluster's tablespaces at
 * their recorded locations), ready for a server to start on. What differs between servers — the OS user
 * the files belong to, the entries an archive may hold, how a running server is recognised, the
 * directories it needs, how to start it — is the caller's DataDirectoryProfile. Everything that can
 * refuse is checked before anything is written: the directory is new or empty (or replaced with
 * --drop-existing, never under a running server), every tablespace location is absent or empty, the
 * owner exists, and every member's SHA-256 matches the manifest. Then the entries are re-created in the
 * order they were stored — directories and files with their recorded modes, owned by the OS user the
 * server runs as — then the tablespace links, a backup manifest and the required directories. Each file
 * is fsync'd, then each directory, and a marker file says the directory is incomplete until the last
 * step removes it.
 */
import {constants as fsConstants} from 'node:fs';
import {chmod, chown, lchown, lstat, mkdir, open, readdir, readFile, rm, stat, symlink, type FileHandle} from 'node:fs/promises';
import path from 'node:path';
import {IntegrityError, UsageError, WorkError, type DbBackupError} from '../../core/errors.ts';
import {ProgressReporter, type EventBus} from '../../core/events.ts';
import type {Manifest} from '../../storage/archive/manifest.ts';
import type {PhysicalArchive, PhysicalEntry, PhysicalLayout} from '../../storage/archive/physical-layout.ts';
import {openArchiveIn, type MemberPiece, type OpenArchive} from '../../storage/archive/reader.ts';
import {identifyArtifact} from '../../storage/artifact.ts';
import type {DataDirectoryRestore, RestoreOptions, RestoreResult} from '../types.ts';
import {resolveOwner, unreachableParent, type FileOwner, type ServerAccount} from './owner.ts';

/** Present while a restore writes the directory; removed by its last step. */
export const INCOMPLETE_MARKER = '.dbbackup-restore-incomplete';

/** What a restore into a data directory needs to know about the server that will start on it. */
export interface DataDirectoryProfile {
	/** for messages: "a whole PostgreSQL cluster", "a MySQL server's data directory" */
	what: string;
	/** the OS user the server runs as, and whether root may own its files */
	account: ServerAccount;
	/** refuses an archive holding entries this server's data directory must not get (throws IntegrityError) */
	checkEntries(layout: PhysicalLayout, where: string): void;
	/** the refusal's message when a live server uses `dir`, else undefined */
	runningServer(dir: string): Promise<string | undefined>;
	/** how to stop that server, for the refusal's hint */
	stopHint: string;
	/** directories the server needs that a backup may leave out, created empty (0700) when missing */
	requiredDirectories: readonly string[];
	/** the symlink in the data directory that points at a tablespace archive's location */
	tablespaceLink(archive: PhysicalArchive): string;
	/** how to start a server on the restored directory, and what to know first */
	startAdvice(manifest: Manifest, layout: PhysicalLayout, dir: string, owner: FileOwner): {startCommand: string; notes: string[]};
}

/** Files fsync'd and closed in the background at once, while the next ones are written. */
const SYNCS_AT_ONCE = 8;

function errnoOf(error: unknown): string | undefined {
	return (error as NodeJS.ErrnoException | undefined)?.code;
}

/** The archive's physical section, or a refusal naming why this archive cannot go into a data directory. */
export function physicalLayoutOf(manifest: Manifest, where: string): PhysicalLayout {
	if (!manifest.physical) {
		throw new UsageError({
			code: 'PHYSICAL_ARCHIVE_INVALID',
			message: `${where} was written by ${manifest.engine} but holds no list of files (no "physical" section in its manifest): it cannot be restored into a data directory`,
			hint: 'Restore it with the engine that wrote it, into a running server (without --datadir).',
		});
	}
	return manifest.physical;
}

/** The major version a manifest's server version names ("15.18 (Debian 15.18-0+deb12u1)" → 15). */
export function serverMajorOf(manifest: Manifest): number {
	const major = Number(/^(\d+)/.exec(manifest.server.version)?.[1]);
	return Number.isSafeInteger(major) && major > 0 ? major : 0;
}

interface DirectoryState {
	exists: boolean;
	entries: string[];
}

async function directoryState(dir: string, what: string): Promise<DirectoryState> {
	let stats;
	try {
		stats = await stat(dir);
	} catch (error) {
		if (errnoOf(error) === 'ENOENT') return {exists: false, entries: []};
		throw new UsageError({code: 'DATADIR_NOT_A_DIRECTORY', message: `${what} ${dir} cannot be read: ${(error as Error).message}`, cause: error});
	}
	if (!stats.isDirectory()) {
		throw new UsageError({code: 'DATADIR_NOT_A_DIRECTORY', message: `${what} ${dir} exists and is not a directory`, hint: 'Name a new or empty directory.'});
	}
	return {exists: true, entries: (await readdir(dir)).sort()};
}

function sample(entries: string[]): string {
	return entries.length > 4 ? `${entries.slice(0, 4).join(', ')}, …` : entries.join(', ');
}

function processAlive(pid: number): boolean {
	try {
		process.kill(pid, 0);
		return true;
	} catch (error) {
		return errnoOf(error) === 'EPERM';
	}
}

/** The live process a pid file names (its first line), or undefined: no file, no number, or that process is gone. */
export async function livePidIn(file: string): Promise<number | undefined> {
	let text: string;
	try {
		text = await readFile(file, 'utf8');
	} catch {
		return undefined;
	}
	const pid = Number.parseInt(text.split('\n')[0] ?? '', 10);
	return Number.isSafeInteger(pid) && pid > 0 && processAlive(pid) ? pid : undefined;
}

/** Reads an archive's content (its members in order) as pieces, the next member opened while the current one is written. */
class ContentCursor {
	private piece: MemberPiece | undefined;
	private offset = 0;
	private index = 0;
	private current: AsyncIterator<MemberPiece> | undefined;
	private upcoming: {iterator: AsyncIterator<MemberPiece>; first: Promise<IteratorResult<MemberPiece>>} | undefined;
	private pendingFirst: Promise<IteratorResult<MemberPiece>> | undefined;

	constructor(
		private readonly archive: OpenArchive,
		private readonly members: string[],
		private readonly where: string,
	) {
		this.upcoming = this.open(0);
	}

	private open(index: number): {iterator: AsyncIterator<MemberPiece>; first: Promise<IteratorResult<MemberPiece>>} | undefined {
		const member = this.members[index];
		if (member === undefined) return undefined;
		const iterator = this.archive.readMemberPieces(member)[Symbol.asyncIterator]();
		const first = iterator.next();
		// observed when its turn comes; a failure meanwhile is not unhandled
		first.catch(() => undefined);
		return {iterator, first};
	}

	/** Up to `max` bytes of content, valid until the next call. */
	async next(max: number): Promise<Buffer> {
		for (;;) {
			if (this.piece && this.offset < this.piece.data.length) {
				const view = this.piece.data.subarray(this.offset, Math.min(this.piece.data.length, this.offset + max));
				this.offset += view.length;
				return view;
			}
			this.releasePiece();
			const result = await this.nextPiece();
			if (result === undefined) {
				throw new IntegrityError({code: 'PHYSICAL_ARCHIVE_INVALID', message: `${this.where}: the members end before the files they hold`, hint: 'The archive is damaged; restore from another copy.'});
			}
			this.piece = result;
			this.offset = 0;
		}
	}

	/** Every byte was taken: nothing may be left over. */
	async finish(): Promise<void> {
		const left = this.piece ? this.piece.data.length - this.offset : 0;
		this.releasePiece();
		if (left > 0 || (await this.nextPiece()) !== undefined) {
			this.close();
			throw new IntegrityError({code: 'PHYSICAL_ARCHIVE_INVALID', message: `${this.where}: the members hold more bytes than its files`, hint: 'The archive is damaged; restore from another copy.'});
		}
	}

	/** Stops reading (after a failure). */
	close(): void {
		this.releasePiece();
		void this.current?.return?.();
		if (this.upcoming) {
			const {iterator, first} = this.upcoming;
			this.upcoming = undefined;
			void first.then((result) => {
				if (!result.done) result.value.release();
				return iterator.return?.();
			}, () => undefined);
		}
	}

	private releasePiece(): void {
		this.piece?.release();
		this.piece = undefined;
		this.offset = 0;
	}

	private async nextPiece(): Promise<MemberPiece | undefined> {
		for (;;) {
			if (!this.current) {
				if (!this.upcoming) return undefined;
				this.current = this.upcoming.iterator;
				this.pendingFirst = this.upcoming.first;
				this.index += 1;
				this.upcoming = this.open(this.index);
			}
			const result = this.pendingFirst ? await this.pendingFirst : await this.current.next();
			this.pendingFirst = undefined;
			if (!result.done) return result.value;
			this.current = undefined;
		}
	}
}

/** Files fsync'd and closed in the background, a few at a time; the first failure is thrown by the next add or by drain. */
class BackgroundSync {
	private readonly pending = new Set<Promise<void>>();
	private failure: unknown;

	async add(handle: FileHandle, file: string): Promise<void> {
		if (this.failure !== undefined) throw this.failure;
		const task = (async () => {
			try {
				await handle.sync();
			} finally {
				await handle.close();
			}
		})().catch((error: unknown) => {
			this.failure ??= Object.assign(error as object, {file});
		});
		this.pending.add(task);
		void task.finally(() => this.pending.delete(task));
		while (this.pending.size >= SYNCS_AT_ONCE) await Promise.race(this.pending);
		if (this.failure !== undefined) throw this.failure;
	}

	async drain(): Promise<void> {
		await Promise.all(this.pending);
		if (this.failure !== undefined) throw this.failure;
	}
}

/** Writes one archive's entries under `root`. */
class Extractor {
	readonly directories = new Set<string>();
	files = 0;
	bytes = 0;

	constructor(
		private readonly owner: FileOwner,
		private readonly syncs: BackgroundSync,
		private readonly progress: ProgressReporter,
	) {}

	/** `dir` with `mode`, owned by the owner; its missing parents inside `root` too (0700). */
	async directory(root: string, relative: string, mode: number): Promise<void> {
		const segments = relative.split('/');
		for (let depth = 1; depth <= segments.length; depth++) {
			const dir = path.join(root, ...segments.slice(0, depth));
			const last = depth === segments.length;
			if (this.directories.has(dir) && !last) continue;
			try {
				await mkdir(dir, {mode: 0o700});
			} catch (error) {
				if (errnoOf(error) !== 'EEXIST') throw error;
				if (!(await lstat(dir)).isDirectory()) throw Object.assign(new Error(`${dir} exists and is not a directory`), {code: 'ENOTDIR'});
			}
			if (!this.directories.has(dir) || last) {
				await chmod(dir, last ? mode : 0o700);
				if (this.owner.chown) await chown(dir, this.owner.uid, this.owner.gid);
			}
			this.directories.add(dir);
		}
	}

	async file(root: string, entry: PhysicalEntry, content: ContentCursor): Promise<void> {
		const parent = path.posix.dirname(entry.path);
		if (parent !== '.' && !this.directories.has(path.join(root, parent))) await this.directory(root, parent, 0o700);
		const file = path.join(root, entry.path);
		// O_EXCL: never through a link, never over a file
		const handle = await open(file, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL | fsConstants.O_NOFOLLOW, 0o600);
		try {
			let left = entry.size ?? 0;
			let position = 0;
			while (left > 0) {
				const view = await content.next(left);
				let done = 0;
				while (done < view.length) {
					const {bytesWritten} = await handle.write(view, done, view.length - done, position);
					done += bytesWritten;
					position += bytesWritten;
				}
				left -= view.length;
				this.bytes += view.length;
				this.progress.add(view.length);
			}
			await handle.chmod(entry.mode);
			if (this.owner.chown) await handle.chown(this.owner.uid, this.owner.gid);
		} catch (error) {
			await handle.close().catch(() => undefined);
			throw Object.assign(error as object, {file});
		}
		this.files += 1;
		await this.syncs.add(handle, file);
	}

	async extract(root: string, archive: PhysicalArchive, content: ContentCursor): Promise<void> {
		for (const entry of archive.entries) {
			if (entry.type === 'directory') await this.directory(root, entry.path, entry.mode);
			else if (entry.type === 'file') await this.file(root, entry, content);
			// symlink: only a tablespace link (the profile's checkEntries refuses others), made from the tablespace's archive afterwards
		}
		await content.finish();
	}
}

async function fsyncDirectory(dir: string): Promise<void> {
	const handle = await open(dir, fsConstants.O_RDONLY | fsConstants.O_DIRECTORY);
	try {
		await handle.sync();
	} finally {
		await handle.close();
	}
}

async function syncDirectories(dirs: Iterable<string>): Promise<void> {
	const list = [...dirs];
	let next = 0;
	await Promise.all(
		Array.from({length: Math.min(SYNCS_AT_ONCE, list.length)}, async () => {
			while (next < list.length) await fsyncDirectory(list[next++]!);
		}),
	);
}

/** A failure once writing began: the directory is incomplete, and the message says so and where. */
function incomplete(error: unknown, dir: string): DbBackupError {
	const file = (error as {file?: string}).file;
	const cause = error instanceof Error ? error.message : String(error);
	const message = `the restore into ${dir} stopped${file ? ` at ${file}` : ''}: ${cause}. ${dir} is INCOMPLETE (marked by ${INCOMPLETE_MARKER}); do not start a server on it`;
	const hint = 'Remove it, or run the restore again with --drop-existing once the cause is fixed.';
	if (error instanceof IntegrityError) return new IntegrityError({code: error.code, message, hint, cause: error});
	return new WorkError({code: 'PHYSICAL_RESTORE_FAILED', message, hint, cause: error});
}

export function shellQuote(text: string): string {
	return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, "'\\''")}'`;
}

/** Restores a physical archive into `options.dataDirectory` for the server `profile` describes. */
export async function restorePhysicalArchive(options: RestoreOptions, bus: EventBus, profile: DataDirectoryProfile): Promise<RestoreResult> {
	const startedAt = new Date().toISOString();
	if (!options.dataDirectory) {
		throw new UsageError({
			code: 'PHYSICAL_NEEDS_DATADIR',
			message: `${options.artifact} is a physical backup of ${profile.what}: it restores into a data directory, not into a running server`,
			hint: 'Give --datadir DIR (a new or empty directory); the restore prints how to start a server on it.',
		});
	}
	const dir = path.resolve(options.dataDirectory);
	const artifact = await identifyArtifact(options.artifact, options.storage);
	if (artifact.kind !== 'archive') {
		throw new UsageError({code: 'DATADIR_NEEDS_PHYSICAL', message: `${artifact.path} is a SQL script: --datadir restores physical backups`, hint: 'Restore it into a running server, without --datadir.'});
	}
	const archive = await openArchiveIn(artifact.target, artifact.name);
	const manifest = archive.manifest;
	const layout = physicalLayoutOf(manifest, artifact.path);
	profile.checkEntries(layout, artifact.path);

	// what can refuse, before anything is written
	const owner = await resolveOwner(options.dataDirectoryOwner, profile.account);
	const target = await directoryState(dir, 'the data directory');
	if (target.entries.length > 0) {
		if (!options.dropExisting) {
			throw new UsageError({
				code: 'DATADIR_NOT_EMPTY',
				message: `${dir} is not empty (${target.entries.length} entr${target.entries.length === 1 ? 'y' : 'ies'}: ${sample(target.entries)}): a data directory is restored into a new or empty directory`,
				hint: 'Name a new or empty directory, or give --drop-existing to replace what is there.',
			});
		}
		const running = await profile.runningServer(dir);
		if (running) {
			throw new UsageError({code: 'DATADIR_IN_USE', message: `${running}: it is not replaced, even with --drop-existing`, hint: `${profile.stopHint}, or restore into another directory.`});
		}
	}
	const tablespaces = layout.archives.filter((entry) => entry.location !== undefined);
	if (owner.chown) {
		for (const place of [dir, ...tablespaces.map((tablespace) => tablespace.location!)]) {
			const blocked = await unreachableParent(place, owner);
			if (blocked) {
				throw new UsageError({
					code: 'DATADIR_NOT_REACHABLE',
					message: `${owner.name}, the OS user the server runs as, cannot reach ${place}: ${blocked.path} (mode ${blocked.mode.toString(8).padStart(4, '0')}, owner uid ${blocked.uid}) does not let it in`,
					hint: `Restore under a directory ${owner.name} can enter, or allow it (e.g. chmod o+x ${blocked.path}).`,
				});
			}
		}
	}
	for (const tablespace of tablespaces) {
		const location = tablespace.location!;
		if (location === dir || location.startsWith(`${dir}/`) || dir.startsWith(`${location}/`)) {
			throw new UsageError({code: 'TABLESPACE_LOCATION_NOT_EMPTY', message: `tablespace ${tablespace.name}'s location ${location} and the data directory ${dir} overlap`, hint: 'Restore into a data directory outside the tablespace locations.'});
		}
		const state = await directoryState(location, `tablespace ${tablespace.name}'s location`);
		if (state.entries.length > 0) {
			throw new UsageError({
				code: 'TABLESPACE_LOCATION_NOT_EMPTY',
				message: `tablespace ${tablespace.name} is restored to its recorded location ${location}, which is not empty (${sample(state.entries)})`,
				hint: 'A tablespace goes back where it was (its link in pg_tblspc and tablespace_map name it). If that is the source\'s own tablespace on this machine, restore on another machine; otherwise move or empty the directory.',
			});
		}
	}
	bus.stage('verify', `every member's SHA-256 of ${artifact.path}`);
	const verified = await archive.verify();
	bus.log('info', `${verified.members} members checked (${verified.bytes} bytes)`);

	bus.stage('restore', `${artifact.path} → ${dir}`);
	const total = manifest.members.reduce((sum, member) => sum + member.rawBytes, 0);
	const progress = new ProgressReporter(bus, `restore ${dir}`, 'bytes', total);
	const syncs = new BackgroundSync();
	const extractor = new Extractor(owner, syncs, progress);
	try {
		if (target.entries.length > 0) {
			bus.log('info', `--drop-existing: removing the ${target.entries.length} entries of ${dir}`);
			for (const entry of target.entries) await rm(path.join(dir, entry), {recursive: true, force: true});
		}
		// missing parents as mkdir -p makes them (the umask's mode, so the server's user can pass), the directory itself 0700
		await mkdir(path.dirname(dir), {recursive: true});
		await mkdir(dir, {mode: 0o700}).catch((error: unknown) => {
			if (errnoOf(error) !== 'EEXIST') throw error;
		});
		await chmod(dir, 0o700);
		if (owner.chown) await chown(dir, owner.uid, owner.gid);
		extractor.directories.add(dir);
		const marker = await open(path.join(dir, INCOMPLETE_MARKER), 'wx', 0o600);
		await marker.writeFile(`a dbbackup restore of ${artifact.path} is writing this directory (started ${startedAt}); until this file is gone it is incomplete\n`);
		await marker.sync();
		await marker.close();

		for (const entry of layout.archives) {
			const root = entry.location ?? dir;
			if (entry.location !== undefined) {
				await mkdir(path.dirname(root), {recursive: true});
				await mkdir(root, {mode: 0o700}).catch((error: unknown) => {
					if (errnoOf(error) !== 'EEXIST') throw error;
				});
				await chmod(root, 0o700);
				if (owner.chown) await chown(root, owner.uid, owner.gid);
				extractor.directories.add(root);
			}
			const content = new ContentCursor(archive, entry.members, `${artifact.path} (${entry.name})`);
			try {
				await extractor.extract(root, entry, content);
			} finally {
				content.close();
			}
		}
		for (const tablespace of tablespaces) {
			const relativeLink = profile.tablespaceLink(tablespace);
			const link = path.join(dir, relativeLink);
			await extractor.directory(dir, path.posix.dirname(relativeLink), 0o700);
			await symlink(tablespace.location!, link);
			if (owner.chown) await lchown(link, owner.uid, owner.gid);
		}
		if (layout.backupManifest) {
			const file = path.join(dir, 'backup_manifest');
			const handle = await open(file, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL | fsConstants.O_NOFOLLOW, 0o600);
			try {
				for await (const chunk of archive.readMember(layout.backupManifest)) await handle.write(chunk as Buffer);
				await handle.chmod(0o600);
				if (owner.chown) await handle.chown(owner.uid, owner.gid);
			} catch (error) {
				await handle.close().catch(() => undefined);
				throw Object.assign(error as object, {file});
			}
			await syncs.add(handle, file);
		}
		for (const required of profile.requiredDirectories) {
			if (!extractor.directories.has(path.join(dir, required))) await extractor.directory(dir, required, 0o700);
		}
		await syncs.drain();
		await syncDirectories(extractor.directories);
		await rm(path.join(dir, INCOMPLETE_MARKER));
		await fsyncDirectory(dir);
	} catch (error) {
		await syncs.drain().catch(() => undefined);
		throw incomplete(error, dir);
	}
	progress.finish();
	const advice = profile.startAdvice(manifest, layout, dir, owner);
	const dataDirectory: DataDirectoryRestore = {
		path: dir,
		owner: owner.name,
		serverMajor: serverMajorOf(manifest),
		files: extractor.files,
		tablespaces: tablespaces.map((tablespace) => ({oid: tablespace.name, location: tablespace.location!})),
		...advice,
	};
	return {
		artifact: artifact.path,
		databases: manifest.databases.map((database) => database.name),
		tables: 0,
		rows: 0,
		bytes: extractor.bytes,
		failedStatements: 0,
		startedAt,
		finishedAt: new Date().toISOString(),
		dataDirectory,
	};
}
