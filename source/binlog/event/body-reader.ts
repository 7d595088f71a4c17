import {WorkError} from '../../core/errors.ts';
import type {EventHeader} from './header.ts';
import {eventTypeName} from './types.ts';

/** "QUERY event at position 1234" (the header's end position; 0 for artificial events). */
export function describeEvent(header: EventHeader): string {
	const where = header.logPos > 0 ? ` ending at position ${header.logPos}` : ' (artificial)';
	return `${eventTypeName(header.type)} event${where}`;
}

/** A body too short for the layout its type (and the format description) promise. */
export function malformedEvent(header: EventHeader, what: string): WorkError {
	return new WorkError({
		code: 'BINLOG_EVENT_MALFORMED',
		message: `${describeEvent(header)}: ${what}`,
		hint:
			'The event is truncated or does not follow the layout of its type: check the binlog file with ' +
			'`mariadb-binlog` / `mysqlbinlog`, or fetch it again from the server.',
	});
}

/**
 * A bounds-checked little-endian cursor over one event body (post-header and payload, checksum already
 * stripped). Every read names what it was reading, so a short body throws a message saying what was short.
 */
export class BodyReader {
	pos = 0;

	constructor(
		readonly body: Buffer,
		readonly header: EventHeader,
	) {}

	get remaining(): number {
		return this.body.length - this.pos;
	}

	/** Throws BINLOG_EVENT_MALFORMED unless `count` more bytes are there. */
	need(count: number, what: string): void {
		if (this.pos + count > this.body.length) {
			throw malformedEvent(
				this.header,
				`${what} needs ${count} byte(s) at body offset ${this.pos} but the body is ${this.body.length} bytes`,
			);
		}
	}

	skip(count: number, what: string): void {
		this.need(count, what);
		this.pos += count;
	}

	u8(what: string): number {
		this.need(1, what);
		return this.body[this.pos++]!;
	}

	u16(what: string): number {
		this.need(2, what);
		const value = this.body.readUInt16LE(this.pos);
		this.pos += 2;
		return value;
	}

	u24(what: string): number {
		this.need(3, what);
		const value = this.body.readUIntLE(this.pos, 3);
		this.pos += 3;
		return value;
	}

	u32(what: string): number {
		this.need(4, what);
		const value = this.body.readUInt32LE(this.pos);
		this.pos += 4;
		return value;
	}

	i32(what: string): number {
		this.need(4, what);
		const value = this.body.readInt32LE(this.pos);
		this.pos += 4;
		return value;
	}

	/** 1 to 6 bytes as a number */
	uint(length: number, what: string): number {
		this.need(length, what);
		const value = this.body.readUIntLE(this.pos, length);
		this.pos += length;
		return value;
	}

	u64(what: string): bigint {
		this.need(8, what);
		const value = this.body.readBigUInt64LE(this.pos);
		this.pos += 8;
		return value;
	}

	/** A view into the body (no copy). */
	bytes(count: number, what: string): Buffer {
		this.need(count, what);
		const value = this.body.subarray(this.pos, this.pos + count);
		this.pos += count;
		return value;
	}

	string(count: number, what: string, encoding: BufferEncoding = 'utf8'): string {
		return this.bytes(count, what).toString(encoding);
	}

	/** Everything left, as a view. */
	rest(): Buffer {
		const value = this.body.subarray(this.pos);
		this.pos = this.body.length;
		return value;
	}

	/** Bytes up to a NUL (which is consumed). */
	nulTerminated(what: string): string {
		const end = this.body.indexOf(0, this.pos);
		if (end < 0) throw malformedEvent(this.header, `${what} has no terminating NUL after body offset ${this.pos}`);
		const value = this.body.toString('utf8', this.pos, end);
		this.pos = end + 1;
		return value;
	}

	/** The protocol's length-encoded integer: < 251 in 1 byte, 0xfc + 2, 0xfd + 3, 0xfe + 8 bytes. */
	packedInt(what: string): number {
		const first = this.u8(what);
		if (first < 0xfb) return first;
		if (first === 0xfc) return this.u16(what);
		if (first === 0xfd) return this.u24(what);
		if (first === 0xfe) {
			const value = this.u64(what);
			if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw malformedEvent(this.header, `${what} is ${value}, too large`);
			return Number(value);
		}
		throw malformedEvent(this.header, `${what} starts with the invalid length byte 0x${first.toString(16)}`);
	}

	/** Like packedInt, as a bigint (for 8-byte values such as MySQL's transaction length). */
	packedBigInt(what: string): bigint {
		const first = this.body[this.pos];
		if (first === 0xfe) {
			this.pos += 1;
			return this.u64(what);
		}
		return BigInt(this.packedInt(what));
	}
}
