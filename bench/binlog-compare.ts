import {open, stat} from 'node:fs/promises';
import {join} from 'node:path';

export type FileCheckStatus = 'identical' | 'prefix' | 'short' | 'missing' | 'differs' | 'longer';

export interface FileCheck {
	file: string;
	serverBytes: number;
	copyBytes?: number;
	status: FileCheckStatus;
	/** byte offset of the first difference, for 'differs' */
	firstDifference?: number;
}

export interface CopyCheck {
	/** every closed file identical, the active one a prefix (or identical), none missing or extra */
	ok: boolean;
	files: FileCheck[];
	/** copies of files the server does not list */
	extra: string[];
	/** one line for the report */
	summary: string;
}

const CHUNK = 1024 * 1024;

/**
 * Compares the copy in `copyDir` with the server's binlog files (`serverFiles`, oldest first, as SHOW
 * BINARY LOGS lists them; the last is the one being written): closed files must be byte-identical, the
 * active file's copy a byte-identical prefix of the server's.
 */
export async function compareBinlogCopies(serverDir: string, copyDir: string, serverFiles: string[], copyFiles: string[]): Promise<CopyCheck> {
	const files: FileCheck[] = [];
	for (const [index, file] of serverFiles.entries()) {
		const active = index === serverFiles.length - 1;
		files.push(await compareFile(join(serverDir, file), join(copyDir, file), file, active));
	}
	const extra = copyFiles.filter((file) => !serverFiles.includes(file));
	const ok = extra.length === 0 && files.every((check, index) => check.status === 'identical' || (check.status === 'prefix' && index === files.length - 1));
	return {ok, files, extra, summary: summarize(files, extra)};
}

async function compareFile(serverPath: string, copyPath: string, file: string, active: boolean): Promise<FileCheck> {
	const serverBytes = (await stat(serverPath)).size;
	const copyBytes = await stat(copyPath).then(
		(info) => info.size,
		() => undefined,
	);
	if (copyBytes === undefined) return {file, serverBytes, status: 'missing'};
	if (copyBytes > serverBytes) return {file, serverBytes, copyBytes, status: 'longer'};
	const firstDifference = await firstDifferenceWithin(serverPath, copyPath, copyBytes);
	if (firstDifference !== undefined) return {file, serverBytes, copyBytes, status: 'differs', firstDifference};
	if (copyBytes === serverBytes) return {file, serverBytes, copyBytes, status: 'identical'};
	// a prefix is all the active file's copy can be; a closed file's must be whole
	return {file, serverBytes, copyBytes, status: active ? 'prefix' : 'short'};
}

/** The first offset below `length` where the two files differ, or undefined. */
async function firstDifferenceWithin(a: string, b: string, length: number): Promise<number | undefined> {
	const [left, right] = await Promise.all([open(a, 'r'), open(b, 'r')]);
	try {
		const leftBuffer = Buffer.alloc(CHUNK);
		const rightBuffer = Buffer.alloc(CHUNK);
		for (let offset = 0; offset < length; offset += CHUNK) {
			const size = Math.min(CHUNK, length - offset);
			await Promise.all([readFully(left, leftBuffer, size, offset), readFully(right, rightBuffer, size, offset)]);
			if (leftBuffer.subarray(0, size).equals(rightBuffer.subarray(0, size))) continue;
			for (let index = 0; index < size; index++) {
				if (leftBuffer[index] !== rightBuffer[index]) return offset + index;
			}
		}
		return undefined;
	} finally {
		await Promise.all([left.close(), right.close()]);
	}
}

async function readFully(handle: Awaited<ReturnType<typeof open>>, buffer: Buffer, size: number, position: number): Promise<void> {
	let done = 0;
	while (done < size) {
		const {bytesRead} = await handle.read(buffer, done, size - done, position + done);
		if (bytesRead === 0) throw new Error(`unexpected end of file at ${position + done}`);
		done += bytesRead;
	}
}

function summarize(files: FileCheck[], extra: string[]): string {
	const parts = files.map((check) => {
		const mib = (bytes: number | undefined) => `${((bytes ?? 0) / 1024 ** 2).toFixed(1)} MiB`;
		switch (check.status) {
			case 'identical':
				return `${check.file} identical (${mib(check.serverBytes)})`;
			case 'prefix':
				return `${check.file} (active) identical prefix: ${check.copyBytes!.toLocaleString('en-US')} of ${check.serverBytes.toLocaleString('en-US')} bytes`;
			case 'short':
				return `${check.file} copy SHORT: ${check.copyBytes!.toLocaleString('en-US')} of ${check.serverBytes.toLocaleString('en-US')} bytes (an identical prefix of a closed file)`;
			case 'missing':
				return `${check.file} MISSING from the copy`;
			case 'longer':
				return `${check.file} copy LONGER than the server's (${check.copyBytes} > ${check.serverBytes} bytes)`;
			case 'differs':
				return `${check.file} DIFFERS at byte ${check.firstDifference} (copy ${check.copyBytes} bytes, server ${check.serverBytes})`;
		}
	});
	if (extra.length > 0) parts.push(`extra files in the copy: ${extra.join(', ')}`);
	return parts.join('; ');
}
