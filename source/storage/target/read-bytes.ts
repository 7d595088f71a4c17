import type {ArtifactTarget} from './types.ts';

/** Bytes `start` up to `end` (exclusive; the end when absent) of artifact `name`, in one buffer: for small reads (a header, a manifest). */
export async function readBytes(target: ArtifactTarget, name: string, start = 0, end?: number): Promise<Buffer> {
	const chunks: Buffer[] = [];
	for await (const chunk of target.readRange(name, start, end)) chunks.push(chunk as Buffer);
	return Buffer.concat(chunks);
}
