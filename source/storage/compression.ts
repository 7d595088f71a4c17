import {PassThrough, type Duplex} from 'node:stream';
import zlib from 'node:zlib';
import {UsageError} from '../core/errors.ts';
import {Lz4CompressStream, Lz4DecompressStream} from './lz4-stream.ts';
import {ZstdWorkerStream} from './zstd-stream.ts';

import {COMPRESSIONS, type Compression} from '../core/compression-names.ts';

export {COMPRESSIONS, type Compression};

export interface LevelRange {
	min: number;
	max: number;
	default: number;
}

/**
 * zstd defaults to level 1, as XtraBackup's compressed backups do: on the bench's sysbench rows level 1
 * compresses about 3× faster than level 3 and smaller; on ordinary text its output is about 20% larger.
 * lz4 has the one level 1: its library (lz4_flex, lz4-stream.ts) has only LZ4's fast compressor, with
 * neither the slower HC levels (3-12 of the `lz4` command) nor the faster acceleration levels.
 */
export const LEVEL_RANGES: Readonly<Record<Exclude<Compression, 'none'>, LevelRange>> = {
	zstd: {min: 1, max: 19, default: 1},
	gzip: {min: 1, max: 9, default: 6},
	lz4: {min: 1, max: 1, default: 1},
};

const EXTENSIONS: Readonly<Record<Compression, string>> = {zstd: '.zst', gzip: '.gz', lz4: '.lz4', none: ''};

const COMPRESS_HINT = 'Pass --compress zstd (the default), gzip, lz4 or none.';

export function isCompression(value: unknown): value is Compression {
	return typeof value === 'string' && (COMPRESSIONS as readonly string[]).includes(value);
}

/** The compression named by a flag or config value; a UsageError naming `--compress` otherwise. */
export function parseCompression(value: unknown): Compression {
	if (isCompression(value)) return value;
	throw new UsageError({
		code: 'COMPRESSION_UNKNOWN',
		message: `--compress ${JSON.stringify(value)} is not a compression this version knows (${COMPRESSIONS.join(', ')})`,
		hint: COMPRESS_HINT,
	});
}

/**
 * The level to use for `kind`: the codec default when `level` is undefined, else `level` when it is an
 * integer inside the codec's range. `none` takes no level. Wrong values are a UsageError naming `--level`.
 */
export function resolveLevel(kind: Compression, level?: number): number | undefined {
	if (kind === 'none') {
		if (level === undefined) return undefined;
		throw new UsageError({
			code: 'COMPRESSION_LEVEL_INVALID',
			message: `--level ${level} was given but --compress is none`,
			hint: 'Drop --level, or choose --compress zstd (levels 1-19) or gzip (levels 1-9).',
		});
	}
	const range = LEVEL_RANGES[kind];
	if (level === undefined) return range.default;
	if (range.min === range.max && level !== range.min) {
		throw new UsageError({
			code: 'COMPRESSION_LEVEL_INVALID',
			message: `--level ${level} is out of range for ${kind}, which has the one level ${range.min}`,
			hint: `Leave --level out with --compress ${kind}, or choose zstd (levels 1-19) or gzip (levels 1-9).`,
		});
	}
	if (!Number.isInteger(level) || level < range.min || level > range.max) {
		throw new UsageError({
			code: 'COMPRESSION_LEVEL_INVALID',
			message: `--level ${level} is out of range for ${kind}: use an integer from ${range.min} to ${range.max}`,
			hint: `Leave --level out for the ${kind} default (${range.default}).`,
		});
	}
	return level;
}

/** The file-name extension of a member stored with `kind`: `.zst`, `.gz`, `.lz4`, or none. */
export function extensionFor(kind: Compression): string {
	return EXTENSIONS[kind];
}

/**
 * A through stream that compresses what is written to it. zlib and lz4 work on libuv's thread pool and
 * zstd on the worker threads of zstd-stream.ts, so several streams compress on several cores.
 */
export function compressStream(kind: Compression, level?: number): Duplex {
	const resolved = resolveLevel(kind, level);
	switch (kind) {
		case 'zstd':
			return new ZstdWorkerStream('compress', resolved);
		case 'gzip':
			return zlib.createGzip({level: resolved});
		case 'lz4':
			return new Lz4CompressStream();
		case 'none':
			return new PassThrough();
	}
}

/** A through stream that decompresses; corrupt or cut input makes it error (with the codec's message). */
export function decompressStream(kind: Compression): Duplex {
	switch (kind) {
		case 'zstd':
			return new ZstdWorkerStream('decompress');
		case 'gzip':
			return zlib.createGunzip();
		case 'lz4':
			return new Lz4DecompressStream();
		case 'none':
			return new PassThrough();
	}
}
