import {readdir} from 'node:fs/promises';
import {isBinlogName} from '../stream/checkpoint.ts';

/** Binlog file names sort by their numeric suffix, which may outgrow its zero padding. */
export function compareBinlogNames(a: string, b: string): number {
	const [baseA, numberA] = splitName(a);
	const [baseB, numberB] = splitName(b);
	if (baseA !== baseB) return baseA < baseB ? -1 : 1;
	return numberA === numberB ? 0 : numberA < numberB ? -1 : 1;
}

function splitName(name: string): [string, bigint] {
	const dot = name.lastIndexOf('.');
	return [name.slice(0, dot), BigInt(name.slice(dot + 1))];
}

/** The uncompressed binlog files in `dir`, oldest first. */
export async function listRawBinlogs(dir: string): Promise<string[]> {
	const names = await readdir(dir).catch((error: NodeJS.ErrnoException) => {
		if (error.code === 'ENOENT') return [] as string[];
		throw error;
	});
	return names.filter(isBinlogName).sort(compareBinlogNames);
}
