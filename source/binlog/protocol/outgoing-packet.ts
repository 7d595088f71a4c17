/**
 * A command packet in the shape mysql2's `connection.writePacket` takes: 4 bytes reserved for the
 * length/sequence header, then the payload. mysql2 writes the header itself.
 */
export class OutgoingPacket {
	readonly buffer: Buffer;
	readonly _name: string;

	constructor(payload: Buffer, name: string) {
		this.buffer = Buffer.concat([Buffer.alloc(4), payload]);
		this._name = name;
	}

	length(): number {
		return this.buffer.length;
	}

	writeHeader(sequenceId: number): void {
		this.buffer.writeUIntLE(this.buffer.length - 4, 0, 3);
		this.buffer[3] = sequenceId;
	}
}

/** Little-endian payload builder for command packets. */
export class PayloadWriter {
	private readonly parts: Buffer[] = [];

	u8(value: number): this {
		return this.push(Buffer.from([value & 0xff]));
	}

	u16(value: number): this {
		const buffer = Buffer.alloc(2);
		buffer.writeUInt16LE(value);
		return this.push(buffer);
	}

	u32(value: number): this {
		const buffer = Buffer.alloc(4);
		buffer.writeUInt32LE(value >>> 0);
		return this.push(buffer);
	}

	u64(value: bigint | number): this {
		const buffer = Buffer.alloc(8);
		buffer.writeBigUInt64LE(BigInt(value));
		return this.push(buffer);
	}

	bytes(value: Uint8Array): this {
		return this.push(Buffer.from(value));
	}

	/** one length byte, then the bytes */
	shortString(value: string): this {
		const bytes = Buffer.from(value, 'utf8');
		if (bytes.length > 255) throw new RangeError(`string too long for a 1-byte length: ${bytes.length} bytes`);
		return this.u8(bytes.length).bytes(bytes);
	}

	build(): Buffer {
		return Buffer.concat(this.parts);
	}

	private push(buffer: Buffer): this {
		this.parts.push(buffer);
		return this;
	}
}
