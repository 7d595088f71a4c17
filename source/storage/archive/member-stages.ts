/**
 * What happens to a member's bytes between the engine and the archive, as a list recorded per member in
 * the manifest, so that a reader applies the inverse in reverse order. Today the list holds at most a
 * compression; encryption will be one more stage kind. Writing applies the list here (encodingStream),
 * reading undoes it here (decodingStream); the worker threads take a fast path for the lists they can
 * undo themselves (threadCodec).
 */
import {Duplex, PassThrough, pipeline} from 'node:stream';
import {COMPRESSIONS, compressStream, decompressStream, type Compression} from '../compression.ts';
import type {ManifestMember} from './manifest.ts';

export type Codec = Exclude<Compression, 'none'>;

/** The codecs a compress stage can name: every compression but none. */
const CODECS: readonly Codec[] = COMPRESSIONS.filter((name): name is Codec => name !== 'none');

export interface CompressStage {
	kind: 'compress';
	codec: Codec;
	/** the level written with; a reader does not need it */
	level?: number;
}

export type MemberStage = CompressStage;

/** The stages a member is written with for a compression (none: no stage). */
export function stagesFor(compression: Compression, level?: number): MemberStage[] {
	return compression === 'none' ? [] : [{kind: 'compress', codec: compression, ...(level === undefined ? {} : {level})}];
}

/** A member's stages: as recorded, or (archives written before stages were recorded) from its compression. */
export function stagesOf(member: Pick<ManifestMember, 'compression' | 'stages'>): MemberStage[] {
	return member.stages ?? stagesFor(member.compression);
}

/** The compression a stage list amounts to, for the manifest's per-member `compression` (kept for older readers). */
export function compressionOf(stages: readonly MemberStage[]): Compression {
	return stages.find((stage) => stage.kind === 'compress')?.codec ?? 'none';
}

/** The streams piped one into the next, as one stream; an error in any of them errors the whole. */
function chain(streams: Duplex[]): Duplex {
	if (streams.length === 0) return new PassThrough();
	if (streams.length === 1) return streams[0]!;
	pipeline(streams, () => undefined);
	return Duplex.from({writable: streams[0], readable: streams[streams.length - 1]});
}

/** One stream that applies the stages, in order, to what the engine writes. */
export function encodingStream(stages: readonly MemberStage[]): Duplex {
	return chain(stages.map((stage) => compressStream(stage.codec, stage.level)));
}

/** One stream that undoes the stages, last first, on the stored bytes; damaged input makes it error. */
export function decodingStream(stages: readonly MemberStage[]): Duplex {
	return chain([...stages].reverse().map((stage) => decompressStream(stage.codec)));
}

/**
 * The codec the reading threads undo in place of decodingStreams, or undefined when the list is beyond
 * them. gzip and lz4 are undone by decodingStreams, whose work runs on libuv's thread pool.
 */
export function threadCodec(stages: readonly MemberStage[]): 'zstd' | 'none' | undefined {
	if (stages.length === 0) return 'none';
	return stages.length === 1 && stages[0]!.codec === 'zstd' ? 'zstd' : undefined;
}

/** Why a manifest's stage list cannot be read, or undefined. */
export function stagesProblem(stages: unknown, compression: unknown): string | undefined {
	if (!Array.isArray(stages)) return 'must be an array';
	for (const [index, stage] of stages.entries()) {
		const {kind, codec, level} = (stage ?? {}) as Record<string, unknown>;
		if (kind !== 'compress') return `[${index}] has kind ${JSON.stringify(kind)}, which this version cannot undo (it reads compress)`;
		if (!CODECS.includes(codec as Codec)) return `[${index}] has codec ${JSON.stringify(codec)}, which this version cannot read (${CODECS.join(', ')})`;
		if (level !== undefined && !Number.isSafeInteger(level)) return `[${index}].level must be a whole number`;
	}
	if (stages.filter((stage) => (stage as CompressStage).kind === 'compress').length > 1) return 'holds more than one compression';
	const recorded = (stages as CompressStage[]).find((stage) => stage.kind === 'compress')?.codec ?? 'none';
	if (recorded !== compression) return `says ${recorded} where the member's compression says ${String(compression)}`;
	return undefined;
}
