import {pipeline} from 'node:stream';
import type {Readable} from 'node:stream';
import {DbBackupError, UsageError} from '../core/errors.ts';
import {decompressStream, type Compression} from './compression.ts';
import {targetFor, type ArtifactTarget, type StorageOptions} from './target/index.ts';
import {readBytes} from './target/read-bytes.ts';
import {encryptedWithoutKey} from './crypto/errors.ts';
import {isEncryptedArtifact} from './crypto/header.ts';

export type ArtifactKind = 'archive' | 'sql';

export interface ArtifactFile {
	/** where it is, as messages name it (target.describe(name)) */
	path: string;
	target: ArtifactTarget;
	name: string;
	kind: ArtifactKind;
	/** for a plain script: how the whole file is compressed */
	compression: Compression;
	bytes: number;
	modifiedAt: Date;
}

const ZSTD_MAGIC = Buffer.from([0x28, 0xb5, 0x2f, 0xfd]);
const GZIP_MAGIC = Buffer.from([0x1f, 0x8b]);

/**
 * What a backup file is, from its first bytes: a tar (our archive: "ustar" at offset 257), or a SQL
 * script, plain or compressed whole with zstd or gzip (`mariadb-dump | zstd`). An encrypted artifact is
 * read through the storage's key (its first bytes are then the plaintext's); without one it is refused.
 */
export async function identifyArtifact(file: string, storage: StorageOptions = {}): Promise<ArtifactFile> {
	const {target, name} = await targetFor(file, storage);
	const where = target.describe(name);
	const unreadable = (error: unknown) =>
		error instanceof DbBackupError
			? error
			: new UsageError({
					code: 'ARTIFACT_UNREADABLE',
					message: `cannot open ${where}: ${(error as Error).message}`,
					hint: 'Give the path of a backup made by dbbackup, or of a SQL script (plain, .gz or .zst).',
					cause: error,
				});
	let stats;
	let start: Buffer;
	try {
		stats = await target.stat(name);
		if (!stats) throw new Error('no such file');
		if (stats.bytes === 0) throw new UsageError({code: 'ARTIFACT_EMPTY', message: `${where} is empty`, hint: 'The backup that wrote it did not finish; use another one.'});
		start = await readBytes(target, name, 0, 512);
	} catch (error) {
		throw unreadable(error);
	}
	if (isEncryptedArtifact(start)) throw encryptedWithoutKey(where);
	const base = {path: where, target, name, bytes: stats.bytes, modifiedAt: stats.modifiedAt};
	if (start.length >= 262 && start.subarray(257, 262).toString('latin1') === 'ustar') return {...base, kind: 'archive', compression: 'none'};
	if (start.subarray(0, 4).equals(ZSTD_MAGIC)) return {...base, kind: 'sql', compression: 'zstd'};
	if (start.subarray(0, 2).equals(GZIP_MAGIC)) return {...base, kind: 'sql', compression: 'gzip'};
	return {...base, kind: 'sql', compression: 'none'};
}

/** The decompressed text of a SQL script artifact; a corrupt or cut compressed file errors the stream. */
export function readScriptArtifact(artifact: ArtifactFile): Readable {
	const raw = artifact.target.readRange(artifact.name, 0);
	if (artifact.compression === 'none') return raw;
	const decompress = decompressStream(artifact.compression);
	return pipeline(raw, decompress, () => undefined) as unknown as Readable;
}

/** The first `bytes` bytes of a SQL script artifact (decompressed), as text: where its header says things. */
export async function readScriptHead(artifact: ArtifactFile, bytes: number): Promise<string> {
	const chunks: Buffer[] = [];
	let length = 0;
	const stream = readScriptArtifact(artifact);
	for await (const chunk of stream) {
		chunks.push(chunk as Buffer);
		length += (chunk as Buffer).length;
		if (length >= bytes) break;
	}
	stream.destroy();
	return Buffer.concat(chunks).subarray(0, bytes).toString('utf8');
}
