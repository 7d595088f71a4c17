import {createHash} from 'node:crypto';
import {createReadStream} from 'node:fs';
import {open, readFile} from 'node:fs/promises';
import path from 'node:path';
import {Readable, Transform, pipeline, type TransformCallback} from 'node:stream';
import {isDeepStrictEqual} from 'node:util';
import {DbBackupError, IntegrityError, UsageError, WorkError} from '../../core/errors.ts';
import {decompressStream} from '../compression.ts';
import {MeterStream} from '../hash.ts';
import {parseManifest, type Manifest, type ManifestMember} from './manifest.ts';
import {MANIFEST_NAME, sidecarPathOf} from './member-path.ts';
import {indexTar, type TarEntry} from './tar-index.ts';

/** A manifest larger than this is not something dbbackup writes (it would describe millions of members). */
const MAX_MANIFEST_BYTES = 256 * 1024 * 1024;

const DAMAGED_HINT = 'The archive is damaged or incomplete; restore from another copy.';

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
}

export interface OpenArchive {
	path: string;
	manifest: Manifest;
	/** the tar entries other than the manifest, in archive order */
	entries: TarEntry[];
	/**
	 * Checks every member against the manifest: present, no extras, size and SHA-256 of the stored
	 * bytes; and the sidecar, when there is one, against the manifest. Throws an IntegrityError for the
	 * first bad member, naming it and the archive.
	 */
	verify(options?: VerifyOptions): Promise<VerifyReport>;
	/**
	 * The decompressed content of member `memberPath` (as listed in the manifest). The stored bytes are
	 * hashed as they stream; a mismatch or a corrupt compressed frame errors the stream with an
	 * IntegrityError before it ends, so a consumer that waits for the end never takes bad data as whole.
	 */
	readMember(memberPath: string): Readable;
}

function damaged(code: string, message: string): IntegrityError {
	return new IntegrityError({code, message, hint: DAMAGED_HINT});
}

/** Passes the stored bytes of one member through, and fails at the end unless size and SHA-256 match. */
class StoredBytesCheck extends Transform {
	private readonly hash = createHash('sha256');
	private bytes = 0;

	constructor(
		private readonly member: ManifestMember,
		private readonly archive: string,
	) {
		super();
	}

	override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
		this.hash.update(chunk);
		this.bytes += chunk.length;
		callback(null, chunk);
	}

	override _flush(callback: TransformCallback): void {
		callback(storedBytesProblem(this.member, this.bytes, this.hash.digest('hex'), this.archive));
	}
}

function storedBytesProblem(member: ManifestMember, bytes: number, sha256: string, archive: string): IntegrityError | null {
	if (bytes !== member.bytes) {
		return damaged('ARCHIVE_SIZE_MISMATCH', `${member.path}: ${bytes} bytes stored, the manifest says ${member.bytes} (archive ${archive})`);
	}
	if (sha256 !== member.sha256) {
		return damaged('ARCHIVE_CHECKSUM_MISMATCH', `${member.path}: sha256 mismatch (archive ${archive}): expected ${member.sha256}, found ${sha256}`);
	}
	return null;
}

class TarArchive implements OpenArchive {
	private readonly byPath: Map<string, TarEntry>;

	constructor(
		readonly path: string,
		readonly manifest: Manifest,
		readonly entries: TarEntry[],
	) {
		this.byPath = new Map(entries.map((entry) => [entry.name, entry]));
	}

	async verify(options: VerifyOptions = {}): Promise<VerifyReport> {
		const listed = new Set<string>();
		let bytes = 0;
		let rawBytes = 0;
		for (const member of this.manifest.members) {
			listed.add(member.path);
			const entry = this.entryOf(member);
			if (entry.size !== member.bytes) {
				throw damaged('ARCHIVE_SIZE_MISMATCH', `${member.path}: ${entry.size} bytes in the archive, the manifest says ${member.bytes} (archive ${this.path})`);
			}
			if (options.deep) {
				for await (const chunk of this.readMember(member.path)) rawBytes += (chunk as Buffer).length;
			} else {
				const meter = new MeterStream();
				await new Promise<void>((resolve, reject) => {
					pipeline(this.storedBytes(entry), meter, (error) => (error ? reject(this.readFailure(error)) : resolve()));
					meter.resume();
				});
				const problem = storedBytesProblem(member, meter.bytes, meter.sha256(), this.path);
				if (problem) throw problem;
			}
			bytes += member.bytes;
		}
		const extra = this.entries.find((entry) => !listed.has(entry.name));
		if (extra) throw damaged('ARCHIVE_MEMBER_UNEXPECTED', `${extra.name}: in the archive but not in its manifest (archive ${this.path})`);
		await this.verifySidecar();
		return {members: this.manifest.members.length, bytes, ...(options.deep ? {rawBytes} : {})};
	}

	readMember(memberPath: string): Readable {
		const found = this.manifest.members.find((candidate) => candidate.path === memberPath);
		if (!found) {
			throw new UsageError({code: 'MEMBER_UNKNOWN', message: `${memberPath} is not a member of ${this.path}`, hint: 'List the members with `tar tf`.'});
		}
		const member = found;
		const entry = this.entryOf(member);
		const decompressor = decompressStream(member.compression);
		let decompressError: unknown;
		decompressor.once('error', (error) => (decompressError = error));
		const stages = pipeline(this.storedBytes(entry), new StoredBytesCheck(member, this.path), decompressor, () => undefined);
		const archive = this.path;
		const readFailure = (error: unknown) => this.readFailure(error);
		let rawBytes = 0;
		async function* verified(): AsyncGenerator<Buffer> {
			try {
				for await (const chunk of stages) {
					rawBytes += (chunk as Buffer).length;
					yield chunk as Buffer;
				}
			} catch (error) {
				if (error instanceof DbBackupError) throw error;
				if (error === decompressError) {
					throw damaged('ARCHIVE_MEMBER_CORRUPT', `${member.path}: the ${member.compression} data is corrupt (${(error as Error).message}) (archive ${archive})`);
				}
				throw readFailure(error);
			}
			if (rawBytes !== member.rawBytes) {
				throw damaged('ARCHIVE_SIZE_MISMATCH', `${member.path}: decompresses to ${rawBytes} bytes, the manifest says ${member.rawBytes} (archive ${archive})`);
			}
		}
		return Readable.from(verified(), {objectMode: false});
	}

	private entryOf(member: ManifestMember): TarEntry {
		const entry = this.byPath.get(member.path);
		if (!entry) throw damaged('ARCHIVE_MEMBER_MISSING', `${member.path}: listed in the manifest but missing from the archive (archive ${this.path})`);
		return entry;
	}

	private storedBytes(entry: TarEntry): Readable {
		if (entry.size === 0) return Readable.from([], {objectMode: false});
		return createReadStream(this.path, {start: entry.dataOffset, end: entry.dataOffset + entry.size - 1, highWaterMark: 1024 * 1024});
	}

	private readFailure(error: unknown): DbBackupError {
		if (error instanceof DbBackupError) return error;
		return new WorkError({code: 'ARCHIVE_READ_FAILED', message: `could not read ${this.path}: ${(error as Error).message}`, cause: error});
	}

	private async verifySidecar(): Promise<void> {
		const sidecar = sidecarPathOf(this.path);
		let text: string;
		try {
			text = await readFile(sidecar, 'utf8');
		} catch (error) {
			if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
			throw this.readFailure(error);
		}
		const copy = parseManifest(text, sidecar);
		if (!isDeepStrictEqual(copy, this.manifest)) {
			throw damaged('SIDECAR_MISMATCH', `${sidecar} does not match the manifest inside ${this.path}`);
		}
	}
}

/**
 * Opens the archive at `archivePath`: indexes its tar headers (no data is read), reads and validates
 * manifest.json, which must be the last member. A cut, a corrupt header or a missing or invalid
 * manifest is an IntegrityError naming the archive.
 */
export async function openArchive(archivePath: string): Promise<OpenArchive> {
	const resolved = path.resolve(archivePath);
	let file;
	try {
		file = await open(resolved, 'r');
	} catch (error) {
		const code = (error as NodeJS.ErrnoException).code;
		if (code === 'ENOENT' || code === 'EACCES' || code === 'EISDIR') {
			throw new UsageError({code: 'ARCHIVE_UNREADABLE', message: `cannot open ${resolved}: ${(error as Error).message}`, cause: error});
		}
		throw error;
	}
	try {
		const {size} = await file.stat();
		const index = await indexTar(file, size, resolved);
		const last = index.entries[index.entries.length - 1];
		if (!last || last.name !== MANIFEST_NAME) {
			const elsewhere = index.entries.some((entry) => entry.name === MANIFEST_NAME);
			throw elsewhere
				? damaged('ARCHIVE_MANIFEST_NOT_LAST', `${resolved}: manifest.json is not the last member (something was appended after it)`)
				: damaged('ARCHIVE_NO_MANIFEST', `${resolved} has no manifest.json: it is incomplete or not a dbbackup archive`);
		}
		if (last.size > MAX_MANIFEST_BYTES) throw damaged('MANIFEST_INVALID', `${resolved}: manifest.json is ${last.size} bytes, too large to be a manifest`);
		const text = Buffer.alloc(last.size);
		let done = 0;
		while (done < last.size) {
			const {bytesRead} = await file.read(text, done, last.size - done, last.dataOffset + done);
			if (bytesRead === 0) throw damaged('ARCHIVE_TRUNCATED', `${resolved} is truncated inside manifest.json`);
			done += bytesRead;
		}
		const manifest = parseManifest(text.toString('utf8'), `${resolved} (manifest.json)`);
		return new TarArchive(resolved, manifest, index.entries.slice(0, -1));
	} finally {
		await file.close();
	}
}
