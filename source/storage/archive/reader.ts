import type {ErrorCode} from '../../core/error-codes.ts';
import {createHash} from 'node:crypto';
import {statSync, type Stats} from 'node:fs';
import {open} from 'node:fs/promises';
import {Readable, Transform, pipeline, type TransformCallback} from 'node:stream';
import {isDeepStrictEqual} from 'node:util';
import {DbBackupError, IntegrityError, UsageError, WorkError} from '../../core/errors.ts';
import {decodingStream, stagesOf, threadCodec} from './member-stages.ts';
import {parseManifest, type Manifest, type ManifestMember} from './manifest.ts';
import {MANIFEST_NAME, sidecarPathOf} from './member-path.ts';
import {readPieces, type MemberPiece, type MemberProblem} from './reader-threads.ts';
import {hashFileRanges} from './range-hashes.ts';
import {indexTar, type PositionedReader, type TarEntry} from './tar-index.ts';
import {hashRangesOf, rangeReader} from './target-reads.ts';
import {targetFor, type ArtifactTarget, type StorageOptions} from '../target/index.ts';
import {readBytes} from '../target/read-bytes.ts';
import {ensureZstdLoadable} from '../zstd-available.ts';

/** A manifest larger than this is not something dbbackup writes (it would describe millions of members). */
const MAX_MANIFEST_BYTES = 256 * 1024 * 1024;

const DAMAGED_HINT = 'The archive is damaged or incomplete; restore from another copy.';

export type {MemberPiece} from './reader-threads.ts';

export interface VerifyOptions {
	/** also decompress every member and check its size before compression (slower) */
	deep?: boolean;
}

export interface VerifyReport {
	members: number;
	/** stored bytes checked */
	bytes: number;
	/** bytes after decompression, when deep */
	rawBytes?: number;
	/** whether a sidecar was there (and matched the manifest) */
	sidecar: boolean;
}

export interface OpenArchive {
	/** where the archive is, as messages name it */
	path: string;
	manifest: Manifest;
	/** the tar entries other than the manifest, in archive order */
	entries: TarEntry[];
	/**
	 * Checks every member against the manifest: present, no extras, size and SHA-256 of the stored
	 * bytes; and the sidecar, when there is one, against the manifest. Throws an IntegrityError for the
	 * first bad member in manifest order, naming it and the archive. The members are hashed on every
	 * core when there are enough bytes to repay it.
	 */
	verify(options?: VerifyOptions): Promise<VerifyReport>;
	/**
	 * The decompressed content of member `memberPath` (as listed in the manifest). Its stored bytes are
	 * counted, and hashed as they stream unless verify() found them good in this process and the file is
	 * unchanged since (a local file: same inode, size and modification time); a mismatch, a cut or a corrupt compressed
	 * frame errors the stream with an IntegrityError before it ends, so a consumer that waits for the end
	 * never takes bad data as whole.
	 */
	readMember(memberPath: string): Readable;
	/**
	 * The same content, checked the same way, as pieces of reused memory that the caller releases once
	 * done with each: zstd and uncompressed members of a local archive are read, checked and decompressed
	 * on a worker thread, so streaming them costs the main thread neither copies nor garbage. The iterator throws
	 * the member's IntegrityError in place of its end.
	 */
	readMemberPieces(memberPath: string): AsyncIterable<MemberPiece>;
}

function damaged(code: ErrorCode, message: string): IntegrityError {
	return new IntegrityError({code, message, hint: DAMAGED_HINT});
}

/**
 * Passes the stored bytes of one member through, and fails at the end unless their size matches the
 * manifest and, when `hashed`, their SHA-256 too.
 */
class StoredBytesCheck extends Transform {
	private readonly hash;
	private bytes = 0;

	constructor(
		private readonly member: ManifestMember,
		private readonly archive: string,
		hashed: boolean,
	) {
		super();
		this.hash = hashed ? createHash('sha256') : null;
	}

	override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
		this.hash?.update(chunk);
		this.bytes += chunk.length;
		callback(null, chunk);
	}

	override _flush(callback: TransformCallback): void {
		callback(storedBytesProblem(this.member, this.bytes, this.hash?.digest('hex'), this.archive));
	}
}

/** What is wrong with a member's stored bytes (`sha256` undefined: the size alone is checked), or null. */
function storedBytesProblem(member: ManifestMember, bytes: number, sha256: string | undefined, archive: string): IntegrityError | null {
	if (bytes !== member.bytes) {
		return damaged('ARCHIVE_SIZE_MISMATCH', `${member.path}: ${bytes} bytes stored, the manifest says ${member.bytes} (archive ${archive})`);
	}
	if (sha256 !== undefined && sha256 !== member.sha256) {
		return damaged('ARCHIVE_CHECKSUM_MISMATCH', `${member.path}: sha256 mismatch (archive ${archive}): expected ${member.sha256}, found ${sha256}`);
	}
	return null;
}

/** Which file a path names, and whether it was written since: inode, size and modification time. */
function fileIdentity(stats: Stats): string {
	return `${stats.dev}:${stats.ino}:${stats.size}:${stats.mtimeMs}`;
}

class TarArchive implements OpenArchive {
	private readonly byPath: Map<string, TarEntry>;
	private readonly members: Map<string, ManifestMember>;
	/** members whose stored bytes verify() hashed and found good, while the file was `verifiedFile` */
	private readonly verified = new Set<string>();
	private verifiedFile: string | undefined;
	readonly path: string;
	/** the archive's file, when its target is a local directory: read by path on worker threads */
	private readonly localPath: string | undefined;

	constructor(
		private readonly target: ArtifactTarget,
		private readonly name: string,
		readonly manifest: Manifest,
		readonly entries: TarEntry[],
	) {
		this.path = target.describe(name);
		this.localPath = target.localPath(name);
		this.byPath = new Map(entries.map((entry) => [entry.name, entry]));
		this.members = new Map(manifest.members.map((member) => [member.path, member]));
	}

	async verify(options: VerifyOptions = {}): Promise<VerifyReport> {
		// what takes no reading of member data first, so that a bad archive fails before any is read
		const listed = new Set<string>();
		const entries: TarEntry[] = [];
		let bytes = 0;
		for (const member of this.manifest.members) {
			listed.add(member.path);
			const entry = this.entryOf(member);
			if (entry.size !== member.bytes) {
				throw damaged('ARCHIVE_SIZE_MISMATCH', `${member.path}: ${entry.size} bytes in the archive, the manifest says ${member.bytes} (archive ${this.path})`);
			}
			entries.push(entry);
			bytes += member.bytes;
		}
		const extra = this.entries.find((entry) => !listed.has(entry.name));
		if (extra) throw damaged('ARCHIVE_MEMBER_UNEXPECTED', `${extra.name}: in the archive but not in its manifest (archive ${this.path})`);
		const sidecar = await this.verifySidecar();

		const before = this.currentFile();
		const good: string[] = [];
		let problem: IntegrityError | null = null;
		let rawBytes = 0;
		if (options.deep) {
			for (const member of this.manifest.members) {
				for await (const chunk of this.readMember(member.path)) rawBytes += (chunk as Buffer).length;
				good.push(member.path);
			}
		} else {
			let hashes;
			const ranges = entries.map((entry) => ({start: entry.dataOffset, size: entry.size}));
			try {
				hashes = this.localPath === undefined ? await hashRangesOf(this.target, this.name, ranges) : await hashFileRanges(this.localPath, ranges);
			} catch (error) {
				throw this.readFailure(error);
			}
			this.manifest.members.forEach((member, index) => {
				const found = storedBytesProblem(member, hashes[index]!.bytes, hashes[index]!.sha256, this.path);
				if (!found) good.push(member.path);
				problem ??= found;
			});
		}
		// a file written to while it was read proves nothing about what a later read will find
		if (before !== undefined && before === this.currentFile()) {
			if (this.verifiedFile !== before) this.verified.clear();
			this.verifiedFile = before;
			for (const memberPath of good) this.verified.add(memberPath);
		}
		if (problem) throw problem;
		return {members: this.manifest.members.length, bytes, sidecar, ...(options.deep ? {rawBytes} : {})};
	}

	readMember(memberPath: string): Readable {
		const member = this.memberOf(memberPath);
		const entry = this.entryOf(member);
		const hashed = !this.isVerified(member);
		const decoder = decodingStream(stagesOf(member));
		let decompressError: unknown;
		decoder.once('error', (error) => (decompressError = error));
		const stages = pipeline(this.storedBytes(entry), new StoredBytesCheck(member, this.path, hashed), decoder, () => undefined);
		const archive = this.path;
		const readFailure = (error: unknown) => this.readFailure(error);
		let rawBytes = 0;
		async function* verified(): AsyncGenerator<Buffer> {
			try {
				for await (const chunk of stages) {
					rawBytes += (chunk as Buffer).length;
					// checked as it grows: a crafted member may inflate far past what the manifest promised
					if (rawBytes > member.rawBytes) break;
					yield chunk as Buffer;
				}
			} catch (error) {
				if (error instanceof DbBackupError) throw error;
				if (error === decompressError) {
					throw damaged('ARCHIVE_MEMBER_CORRUPT', `${member.path}: the ${member.compression} data is corrupt (${(error as Error).message}) (archive ${archive})`);
				}
				throw readFailure(error);
			}
			if (rawBytes > member.rawBytes) {
				stages.destroy();
				throw damaged('ARCHIVE_SIZE_MISMATCH', `${member.path}: decompresses to more than the ${member.rawBytes} bytes the manifest says (archive ${archive})`);
			}
			if (rawBytes !== member.rawBytes) {
				throw damaged('ARCHIVE_SIZE_MISMATCH', `${member.path}: decompresses to ${rawBytes} bytes, the manifest says ${member.rawBytes} (archive ${archive})`);
			}
		}
		return Readable.from(verified(), {objectMode: false});
	}

	readMemberPieces(memberPath: string): AsyncIterable<MemberPiece> {
		const member = this.memberOf(memberPath);
		const entry = this.entryOf(member);
		const codec = threadCodec(stagesOf(member));
		if (codec === undefined || this.localPath === undefined) return this.piecesOf(this.readMember(memberPath));
		if (codec === 'zstd') ensureZstdLoadable();
		const request = {
			path: this.localPath,
			start: entry.dataOffset,
			size: entry.size,
			compression: codec,
			rawBytes: member.rawBytes,
			...(this.isVerified(member) ? {} : {sha256: member.sha256}),
		};
		return readPieces(request, (problem) => this.pieceProblem(member, problem));
	}

	private async *piecesOf(stream: Readable): AsyncGenerator<MemberPiece> {
		for await (const chunk of stream) yield {data: chunk as Buffer, release: () => undefined};
	}

	private pieceProblem(member: ManifestMember, problem: MemberProblem): DbBackupError {
		switch (problem.kind) {
			case 'stored-size':
				return storedBytesProblem(member, problem.bytes, undefined, this.path)!;
			case 'sha256':
				return storedBytesProblem(member, member.bytes, problem.sha256, this.path)!;
			case 'raw-size':
				return damaged(
					'ARCHIVE_SIZE_MISMATCH',
					problem.bytes > member.rawBytes
						? `${member.path}: decompresses to more than the ${member.rawBytes} bytes the manifest says (archive ${this.path})`
						: `${member.path}: decompresses to ${problem.bytes} bytes, the manifest says ${member.rawBytes} (archive ${this.path})`,
				);
			case 'corrupt':
				return damaged('ARCHIVE_MEMBER_CORRUPT', `${member.path}: the ${member.compression} data is corrupt (${problem.message}) (archive ${this.path})`);
			case 'read': {
				const cause: NodeJS.ErrnoException = Object.assign(new Error(problem.message), problem.code ? {code: problem.code} : {});
				return this.readFailure(cause);
			}
		}
	}

	private memberOf(memberPath: string): ManifestMember {
		const member = this.members.get(memberPath);
		if (!member) {
			throw new UsageError({code: 'MEMBER_UNKNOWN', message: `${memberPath} is not a member of ${this.path}`, hint: 'List the members with `tar tf`.'});
		}
		return member;
	}

	/** verify() found the member good, and the file has not changed since. */
	private isVerified(member: ManifestMember): boolean {
		return this.verified.has(member.path) && this.verifiedFile !== undefined && this.currentFile() === this.verifiedFile;
	}

	private entryOf(member: ManifestMember): TarEntry {
		const entry = this.byPath.get(member.path);
		if (!entry) throw damaged('ARCHIVE_MEMBER_MISSING', `${member.path}: listed in the manifest but missing from the archive (archive ${this.path})`);
		return entry;
	}

	private storedBytes(entry: TarEntry): Readable {
		if (entry.size === 0) return Readable.from([], {objectMode: false});
		return this.target.readRange(this.name, entry.dataOffset, entry.dataOffset + entry.size);
	}

	/** The archive file's identity now, or undefined when it cannot be read or is not a local file (then no read skips its hash). */
	private currentFile(): string | undefined {
		if (this.localPath === undefined) return undefined;
		try {
			return fileIdentity(statSync(this.localPath));
		} catch {
			return undefined;
		}
	}

	private readFailure(error: unknown): DbBackupError {
		if (error instanceof DbBackupError) return error;
		return new WorkError({code: 'ARCHIVE_READ_FAILED', message: `could not read ${this.path}: ${(error as Error).message}`, cause: error});
	}

	/** false when there is no sidecar; throws when there is one that does not match */
	private async verifySidecar(): Promise<boolean> {
		const sidecar = sidecarPathOf(this.name);
		let text: string;
		try {
			if ((await this.target.stat(sidecar)) === undefined) return false;
			text = (await readBytes(this.target, sidecar)).toString('utf8');
		} catch (error) {
			if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
			throw this.readFailure(error);
		}
		const copy = parseManifest(text, this.target.describe(sidecar));
		if (!isDeepStrictEqual(copy, this.manifest)) {
			throw damaged('SIDECAR_MISMATCH', `${this.target.describe(sidecar)} does not match the manifest inside ${this.path}`);
		}
		return true;
	}
}

/**
 * Opens the archive at `archivePath` (a path; targetFor picks the target): indexes its tar headers (no
 * data is read), reads and validates manifest.json, which must be the last member. A cut, a corrupt
 * header or a missing or invalid manifest is an IntegrityError naming the archive.
 */
export async function openArchive(archivePath: string, storage?: StorageOptions): Promise<OpenArchive> {
	const {target, name} = await targetFor(archivePath, storage);
	return openArchiveIn(target, name);
}

/** Opens archive `name` of `target`, as openArchive does. */
export async function openArchiveIn(target: ArtifactTarget, name: string): Promise<OpenArchive> {
	const where = target.describe(name);
	const unreadable = (error: unknown) => new UsageError({code: 'ARCHIVE_UNREADABLE', message: `cannot open ${where}: ${(error as Error).message}`, cause: error});
	const stats = await target.stat(name);
	if (!stats) throw unreadable(new Error('no such file'));
	// a local archive is read through one descriptor; one positioned read per tar header
	const local = target.localPath(name);
	let file: PositionedReader & {close?(): Promise<void>};
	try {
		file = local === undefined ? rangeReader(target, name) : await open(local, 'r');
	} catch (error) {
		const code = (error as NodeJS.ErrnoException).code;
		if (code === 'ENOENT' || code === 'EACCES' || code === 'EISDIR') throw unreadable(error);
		throw error;
	}
	try {
		const index = await indexTar(file, stats.bytes, where);
		const last = index.entries[index.entries.length - 1];
		if (!last || last.name !== MANIFEST_NAME) {
			const elsewhere = index.entries.some((entry) => entry.name === MANIFEST_NAME);
			throw elsewhere
				? damaged('ARCHIVE_MANIFEST_NOT_LAST', `${where}: manifest.json is not the last member (something was appended after it)`)
				: damaged('ARCHIVE_NO_MANIFEST', `${where} has no manifest.json: it is incomplete or not a dbbackup archive`);
		}
		if (last.size > MAX_MANIFEST_BYTES) throw damaged('MANIFEST_INVALID', `${where}: manifest.json is ${last.size} bytes, too large to be a manifest`);
		const text = Buffer.alloc(last.size);
		let done = 0;
		while (done < last.size) {
			const {bytesRead} = await file.read(text, done, last.size - done, last.dataOffset + done);
			if (bytesRead === 0) throw damaged('ARCHIVE_TRUNCATED', `${where} is truncated inside manifest.json`);
			done += bytesRead;
		}
		const manifest = parseManifest(text.toString('utf8'), `${where} (manifest.json)`);
		return new TarArchive(target, name, manifest, index.entries.slice(0, -1));
	} finally {
		await file.close?.();
	}
}
