import {readFile} from 'node:fs/promises';
import {cpus, release, totalmem} from 'node:os';
import {join} from 'node:path';
import {runCommand} from '../source/sandbox/run-command.ts';
import {REPO_ROOT} from './ours.ts';

export interface MachineInfo {
	cpus: number;
	cpuModel: string;
	memoryGiB: number;
	kernel: string;
	node: string;
}

export function machineInfo(): MachineInfo {
	const cores = cpus();
	return {
		cpus: cores.length,
		cpuModel: cores[0]?.model ?? 'unknown',
		memoryGiB: Math.round(totalmem() / 1024 ** 3),
		kernel: release(),
		node: process.version,
	};
}

/** The commands that print the MySQL bench's peers' versions. */
export const MYSQL_TOOLS: Record<string, string[]> = {
	mydumper: ['mydumper', '--version'],
	myloader: ['myloader', '--version'],
	'mariadb-dump': ['mariadb-dump', '--version'],
	mariadb: ['mariadb', '--version'],
	sysbench: ['sysbench', '--version'],
	gzip: ['gzip', '--version'],
	zstd: ['zstd', '--version'],
};

/** Our version and revision, then the first line each tool prints about its version, as it prints it. */
export async function toolVersions(tools: Record<string, string[]>): Promise<Record<string, string>> {
	const ask = async ([command, ...args]: string[]) => {
		try {
			const {stdout, stderr} = await runCommand(command!, args);
			return (stdout.trim() || stderr.trim()).split('\n')[0]!;
		} catch (error) {
			return `unknown (${(error as Error).message.split('\n')[0]})`;
		}
	};
	const ourPackage = JSON.parse(await readFile(join(REPO_ROOT, 'package.json'), 'utf8')) as {version: string};
	const versions: Record<string, string> = {dbbackup: `${ourPackage.version} at ${await sourceRevision()}`};
	for (const [name, command] of Object.entries(tools)) versions[name] = await ask(command);
	return versions;
}

/** The commit our figures come from, and whether uncommitted changes to source/ were measured too. */
async function sourceRevision(): Promise<string> {
	try {
		const {stdout: head} = await runCommand('git', ['-C', REPO_ROOT, 'rev-parse', '--short', 'HEAD']);
		const {stdout: changes} = await runCommand('git', ['-C', REPO_ROOT, 'status', '--porcelain', '--', 'source', 'bin']);
		return `${head.trim()}${changes.trim() ? ' with uncommitted changes in source/' : ''}`;
	} catch {
		return 'an unknown revision (no git)';
	}
}
