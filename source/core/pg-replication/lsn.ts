/**
 * PostgreSQL WAL positions (LSNs): 64-bit byte positions written `X/Y` (two hex halves), kept as bigint.
 * Segment file names: 8 hex digits of timeline, then the segment number split into the "log" (high)
 * and "seg" (low) parts, as the server names the files of pg_wal.
 */

export type Lsn = bigint;

export function parseLsn(text: string): Lsn {
	const match = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/.exec(text.trim());
	if (!match) throw new RangeError(`not a WAL position (X/X): ${JSON.stringify(text)}`);
	return (BigInt(`0x${match[1]}`) << 32n) | BigInt(`0x${match[2]}`);
}

export function formatLsn(lsn: Lsn): string {
	return `${(lsn >> 32n).toString(16).toUpperCase()}/${(lsn & 0xffffffffn).toString(16).toUpperCase()}`;
}

/** The segment holding `lsn`, for segments of `segmentBytes` (16 MiB unless initdb was told otherwise). */
export function segmentOf(lsn: Lsn, segmentBytes: number): bigint {
	return lsn / BigInt(segmentBytes);
}

export function segmentStart(segment: bigint, segmentBytes: number): Lsn {
	return segment * BigInt(segmentBytes);
}

/** `000000010000000000000003`: the server's own name of a WAL segment file. */
export function segmentFileName(timeline: number, segment: bigint, segmentBytes: number): string {
	const perLog = 0x100000000n / BigInt(segmentBytes);
	const hex = (value: bigint | number) => value.toString(16).toUpperCase().padStart(8, '0');
	return `${hex(timeline)}${hex(segment / perLog)}${hex(segment % perLog)}`;
}

const SEGMENT_NAME = /^([0-9A-F]{8})([0-9A-F]{8})([0-9A-F]{8})$/;

/** The timeline and segment number of a segment file name, or undefined for another name. */
export function parseSegmentFileName(name: string, segmentBytes: number): {timeline: number; segment: bigint} | undefined {
	const match = SEGMENT_NAME.exec(name);
	if (!match) return undefined;
	const perLog = 0x100000000n / BigInt(segmentBytes);
	return {timeline: Number.parseInt(match[1]!, 16), segment: BigInt(`0x${match[2]}`) * perLog + BigInt(`0x${match[3]}`)};
}

/** `00000002.history`: the file that tells how a timeline branched off its parent. */
export function historyFileName(timeline: number): string {
	return `${timeline.toString(16).toUpperCase().padStart(8, '0')}.history`;
}
