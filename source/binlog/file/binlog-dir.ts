import {isBinlogName} from '../stream/checkpoint.ts';
import {binlogTarget, type BinlogDir} from '../stream/dir-file.ts';

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
export async function listRawBinlogs(dir: BinlogDir): Promise<string[]> {
	const artifacts = await binlogTarget(dir)
		.list()
		.catch((error: NodeJS.ErrnoException) => {
			if (error.code === 'ENOENT') return [];
			throw error;
		});
	return artifacts
		.map((artifact) => artifact.name)
		.filter(isBinlogName)
		.sort(compareBinlogNames);
}
