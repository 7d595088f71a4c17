/**
 * A push parser for the tar streams PostgreSQL's BASE_BACKUP sends (src/port/tar.c: POSIX ustar, one
 * 512-byte header per entry, the content padded to 512 bytes): headers become entries, content is handed
 * on in the pieces it arrived in, with no copy and no buffering of a file, and a handler's promise holds
 * the parsing (and so the connection) until it settles. Directories, regular files and symlinks are the
 * entries a data directory has; any other kind (device, fifo, hard link, pax or GNU extension header) is
 * refused by name rather than misread.
 */
import {WorkError} from '../../core/errors.ts';

const BLOCK = 512;

export type TarEntryType = 'file' | 'directory' | 'symlink';

export interface TarHeader {
	/** as in the tar, prefix joined (e.g. `./pg_wal/archive_status/`, `base/5/1259`) */
	name: string;
	type: TarEntryType;
	/** the mode field's permission bits */
	mode: number;
	size: number;
	/** symlinks: the target */
	linkname: string;
	/** seconds since the epoch */
	mtime: number;
}

export interface TarHandlers {
	/** a header; its content (size bytes) follows through onData */
	onEntry(header: TarHeader): void | Promise<void>;
	/** a piece of the current entry's content, valid during the call only */
	onData(chunk: Buffer): void | Promise<void>;
}

function invalid(where: string, message: string): WorkError {
	return new WorkError({
		code: 'BASEBACKUP_TAR_INVALID',
		message: `${where}: ${message}`,
		hint: 'The server sent a tar stream this version cannot read; run again, and report it if it repeats.',
	});
}

function text(block: Buffer, start: number, length: number): string {
	const end = block.indexOf(0, start);
	return block.toString('utf8', start, end === -1 || end > start + length ? start + length : end);
}

/** An octal number field (spaces and NULs around it), or a base-256 one (high bit of the first byte set, for sizes of 8 GiB and more). */
function numberField(block: Buffer, start: number, length: number, where: string, field: string): number {
	if ((block[start]! & 0x80) !== 0) {
		let value = block[start]! & 0x7f;
		for (let index = start + 1; index < start + length; index++) value = value * 256 + block[index]!;
		if (!Number.isSafeInteger(value)) throw invalid(where, `the ${field} field is too large`);
		return value;
	}
	const digits = block.toString('latin1', start, start + length).replace(/[\0 ]+$/g, '').replace(/^[\0 ]+/g, '');
	if (digits === '') return 0;
	if (!/^[0-7]+$/.test(digits)) throw invalid(where, `the ${field} field is not an octal number (${JSON.stringify(digits)})`);
	return Number.parseInt(digits, 8);
}

function parseHeader(block: Buffer, where: string): TarHeader {
	let sum = 0;
	for (let index = 0; index < BLOCK; index++) sum += index >= 148 && index < 156 ? 0x20 : block[index]!;
	const recorded = numberField(block, 148, 8, where, 'checksum');
	const name = text(block, 0, 100);
	if (recorded !== sum) throw invalid(where, `the tar header of ${JSON.stringify(name)} has checksum ${recorded}, its bytes add up to ${sum}`);
	const magic = block.toString('latin1', 257, 262);
	const prefix = magic === 'ustar' ? text(block, 345, 155) : '';
	const full = prefix === '' ? name : `${prefix}/${name}`;
	const flag = String.fromCharCode(block[156]!);
	const type: TarEntryType | undefined = flag === '0' || flag === '\0' ? 'file' : flag === '5' ? 'directory' : flag === '2' ? 'symlink' : undefined;
	if (type === undefined) throw invalid(where, `${JSON.stringify(full)} is a tar entry of type ${JSON.stringify(flag)}; a data directory holds only directories, files and symlinks`);
	const size = numberField(block, 124, 12, where, 'size');
	return {
		name: full,
		type,
		mode: numberField(block, 100, 8, where, 'mode') & 0o7777,
		size: type === 'file' ? size : 0,
		linkname: type === 'symlink' ? text(block, 157, 100) : '',
		mtime: numberField(block, 136, 12, where, 'mtime'),
	};
}

/** Feed it the stream's bytes with `write`, in any pieces; `end` checks that the stream stopped between entries. */
export class TarParser {
	private readonly header = Buffer.alloc(BLOCK);
	private headerFill = 0;
	/** content bytes of the current entry still to come */
	private remaining = 0;
	/** padding bytes after the current entry's content still to skip */
	private padding = 0;
	private current: TarHeader | undefined;
	/** a zero block was read: the end-of-archive marker; only zeros may follow */
	private ended = false;
	entries = 0;

	constructor(
		private readonly handlers: TarHandlers,
		/** names the stream in errors, e.g. "base.tar from 127.0.0.1:5432" */
		private readonly where: string,
	) {}

	async write(chunk: Buffer): Promise<void> {
		let at = 0;
		while (at < chunk.length) {
			if (this.remaining > 0) {
				const take = Math.min(this.remaining, chunk.length - at);
				this.remaining -= take;
				const pending = this.handlers.onData(chunk.subarray(at, at + take));
				at += take;
				if (pending) await pending;
				continue;
			}
			if (this.padding > 0) {
				const skip = Math.min(this.padding, chunk.length - at);
				this.padding -= skip;
				at += skip;
				continue;
			}
			const take = Math.min(BLOCK - this.headerFill, chunk.length - at);
			chunk.copy(this.header, this.headerFill, at, at + take);
			this.headerFill += take;
			at += take;
			if (this.headerFill < BLOCK) continue;
			this.headerFill = 0;
			if (this.header.every((byte) => byte === 0)) {
				this.ended = true;
				continue;
			}
			if (this.ended) throw invalid(this.where, 'data follows the end-of-archive marker');
			const header = parseHeader(this.header, this.where);
			this.current = header;
			this.entries += 1;
			this.remaining = header.size;
			this.padding = (BLOCK - (header.size % BLOCK)) % BLOCK;
			const pending = this.handlers.onEntry(header);
			if (pending) await pending;
		}
	}

	/** The stream ended: it must not stop inside a header or an entry's content. */
	end(): void {
		if (this.remaining > 0 || this.padding > 0 || this.headerFill > 0) {
			const inside = this.current && (this.remaining > 0 || this.padding > 0) ? ` inside ${JSON.stringify(this.current.name)}` : '';
			throw invalid(this.where, `the tar stream stopped${inside} (${this.remaining > 0 ? `${this.remaining} bytes of content` : this.padding > 0 ? 'padding' : 'part of a header'} missing)`);
		}
	}
}
