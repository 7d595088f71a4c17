import {stat} from 'node:fs/promises';
import path from 'node:path';
import {pipeline} from 'node:stream';
import type {Readable} from 'node:stream';
import {DbBackupError, IntegrityError, UsageError} from '../core/errors.ts';
import {isObjectStoreUrl} from '../core/object-store-url.ts';
import {binaryReason, magicOf, scriptHeaderOf, SNIFF_BYTES, tarFirstMember, type ScriptHeader} from './artifact-sniff.ts';
import {decompressStream, type Compression} from './compression.ts';
import {targetFor, type ArtifactTarget, type StorageOptions} from './target/index.ts';
import {readBytes} from './target/read-bytes.ts';
import {encryptedWithoutKey} from './crypto/errors.ts';
import {isEncryptedArtifact} from './crypto/header.ts';

export type ArtifactKind = 'archive' | 'sql';

export type {ScriptHeader} from './artifact-sniff.ts';

export interface ArtifactFile {
	/** where it is, as messages name it (target.describe(name)) */
	path: string;
	target: ArtifactTarget;
	name: string;
	kind: ArtifactKind;
	/** for a plain script: how the whole file is compressed */
	compression: Compression;
	/** for a plain script: the dump tool its header names; absent for a script without one (hand-written) */
	script?: ScriptHeader;
	bytes: number;
	modifiedAt: Date;
}

const ANY_BACKUP = 'Give the path of a backup made by dbbackup, or of a plain SQL script (plain, .gz or .zst).';

/** pg_dump's own formats (-Fc, -Fd, -Ft), which only pg_restore reads. */
function pgDumpArchive(where: string, format: string): UsageError {
	return new UsageError({
		code: 'ARTIFACT_WRONG_KIND',
		message: `${where} is a pg_dump ${format}; dbbackup restores plain SQL dumps: convert it with \`pg_restore -f dump.sql ${where}\` first`,
		hint: 'pg_restore writes the plain script without a server (add --no-owner when the roles differ); then restore dump.sql with --db-type postgres.',
	});
}

function notABackup(where: string, why: string): UsageError {
	return new UsageError({code: 'ARTIFACT_NOT_A_BACKUP', message: `${where} is not a backup: it is binary data (${why}), neither a SQL script nor a dbbackup archive`, hint: ANY_BACKUP});
}

/** A pg_dump -Fd directory is refused by name; any other directory is left to the target, which says it is not a file. */
async function refusePgDumpDirectory(file: string): Promise<void> {
	if (isObjectStoreUrl(file)) return;
	const info = await stat(file).catch(() => undefined);
	if (!info?.isDirectory()) return;
	if (await stat(path.join(file, 'toc.dat')).then((toc) => toc.isFile(), () => false)) throw pgDumpArchive(path.resolve(file), 'directory-format archive (toc.dat)');
}

/**
 * What the decompressed head of a plain script says: another container inside the compression (a tar, a
 * pg_dump archive) is refused, and so is a file that is no text at all; the dump tool its header names
 * is returned for the restore to check against the target.
 */
function scriptHeader(where: string, head: Buffer, compression: Compression): ScriptHeader | undefined {
	const inside = magicOf(head);
	if (inside === 'pg-custom') throw pgDumpArchive(where, `custom-format archive (PGDMP)${compression === 'none' ? '' : ` compressed with ${compression}`}`);
	if (inside === 'tar' && compression !== 'none') {
		if (tarFirstMember(head) === 'toc.dat') throw pgDumpArchive(where, `tar-format archive (toc.dat) compressed with ${compression}`);
		throw new UsageError({
			code: 'ARTIFACT_WRONG_KIND',
			message: `${where} is a tar archive compressed whole with ${compression}; dbbackup archives are tars whose members are compressed, never compressed whole`,
			hint: `Decompress it first (${{zstd: 'zstd -d', gzip: 'gunzip', lz4: 'lz4 -d', none: 'cat'}[compression]} ${where}) and restore the .tar.`,
		});
	}
	const header = scriptHeaderOf(head);
	if (header) return header;
	const binary = inside === 'other' ? binaryReason(head) : `${inside} data inside the ${compression} compression`;
	if (binary) throw notABackup(where, binary);
	return undefined;
}

/** The first `bytes` bytes of a compressed script, decompressed; a file that does not decompress is damaged (exit 5). */
async function decompressedHead(artifact: ArtifactFile, bytes: number): Promise<Buffer> {
	try {
		return await readScriptHeadBytes(artifact, bytes);
	} catch (error) {
		if (error instanceof DbBackupError) throw error;
		throw new IntegrityError({
			code: 'SCRIPT_UNREADABLE',
			message: `${artifact.path} starts like a ${artifact.compression} file but does not decompress: ${(error as Error).message}`,
			hint: 'The file is damaged or cut short; nothing was restored from it.',
			cause: error,
		});
	}
}

/**
 * What a backup file is, from its first bytes: a tar (our archive: "ustar" at offset 257), or a SQL
 * script, plain or compressed whole with zstd or gzip (`mariadb-dump | zstd`), whose header may name the
 * tool that wrote it. pg_dump's custom, directory and tar formats and files that are no text are refused
 * here, before anything is restored. An encrypted artifact is read through the storage's key (its first
 * bytes are then the plaintext's); without one it is refused.
 */
export async function identifyArtifact(file: string, storage: StorageOptions = {}): Promise<ArtifactFile> {
	await refusePgDumpDirectory(file);
	const {target, name} = await targetFor(file, storage);
	const where = target.describe(name);
	const unreadable = (error: unknown) =>
		error instanceof DbBackupError
			? error
			: new UsageError({
					code: 'ARTIFACT_UNREADABLE',
					message: `cannot open ${where}: ${(error as Error).message}`,
					hint: ANY_BACKUP,
					cause: error,
				});
	let stats;
	let start: Buffer;
	try {
		stats = await target.stat(name);
		if (!stats) throw new Error('no such file');
		if (stats.bytes === 0) throw new UsageError({code: 'ARTIFACT_EMPTY', message: `${where} is empty`, hint: 'The backup that wrote it did not finish; use another one.'});
		start = await readBytes(target, name, 0, SNIFF_BYTES);
	} catch (error) {
		throw unreadable(error);
	}
	if (isEncryptedArtifact(start)) throw encryptedWithoutKey(where);
	const base = {path: where, target, name, bytes: stats.bytes, modifiedAt: stats.modifiedAt};
	const magic = magicOf(start);
	if (magic === 'tar') {
		if (tarFirstMember(start) === 'toc.dat') throw pgDumpArchive(where, 'tar-format archive (toc.dat)');
		return {...base, kind: 'archive', compression: 'none'};
	}
	if (magic === 'zstd' || magic === 'gzip' || magic === 'lz4') {
		const artifact: ArtifactFile = {...base, kind: 'sql', compression: magic};
		const script = scriptHeader(where, await decompressedHead(artifact, SNIFF_BYTES), magic);
		return script ? {...artifact, script} : artifact;
	}
	const script = scriptHeader(where, start, 'none');
	return {...base, kind: 'sql', compression: 'none', ...(script ? {script} : {})};
}

/** The decompressed text of a SQL script artifact; a corrupt or cut compressed file errors the stream. */
export function readScriptArtifact(artifact: ArtifactFile): Readable {
	const raw = artifact.target.readRange(artifact.name, 0);
	if (artifact.compression === 'none') return raw;
	const decompress = decompressStream(artifact.compression);
	return pipeline(raw, decompress, () => undefined) as unknown as Readable;
}

/** The first `bytes` bytes of a SQL script artifact, decompressed. */
async function readScriptHeadBytes(artifact: ArtifactFile, bytes: number): Promise<Buffer> {
	const chunks: Buffer[] = [];
	let length = 0;
	const stream = readScriptArtifact(artifact);
	try {
		for await (const chunk of stream) {
			chunks.push(chunk as Buffer);
			length += (chunk as Buffer).length;
			if (length >= bytes) break;
		}
	} finally {
		stream.destroy();
	}
	return Buffer.concat(chunks).subarray(0, bytes);
}

/** The first `bytes` bytes of a SQL script artifact (decompressed), as text: where its header says things. */
export async function readScriptHead(artifact: ArtifactFile, bytes: number): Promise<string> {
	return (await readScriptHeadBytes(artifact, bytes)).toString('utf8');
}
