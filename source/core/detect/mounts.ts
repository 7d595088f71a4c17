import {readFile, realpath} from 'node:fs/promises';
import path from 'node:path';
import {commandLine, failureText, type CommandRunner} from './command-runner.ts';
import {known, unknown, type Fact, type FilesystemInfo} from './types.ts';

export type TextReader = (file: string) => Promise<string>;

export const readText: TextReader = (file) => readFile(file, 'utf8');

const MOUNTINFO = '/proc/self/mountinfo';

/**
 * The mount that holds `dir` (already resolved with realpath): `findmnt` when installed, otherwise
 * the longest mount point in /proc/self/mountinfo that contains the path.
 */
export async function findMount(dir: string, run: CommandRunner, read: TextReader = readText): Promise<Fact<FilesystemInfo>> {
	const args = ['-J', '--nofsroot', '-o', 'TARGET,SOURCE,FSTYPE', '-T', dir];
	const result = await run('findmnt', args);
	const findmntCommand = commandLine('findmnt', args);
	if (!result.notFound && result.exitCode === 0) {
		const parsed = parseFindmnt(result.stdout);
		if (parsed) return known({path: dir, ...parsed}, findmntCommand);
	}
	const findmntProblem = result.notFound ? 'findmnt is not installed' : `${findmntCommand} failed: ${failureText(result)}`;
	let mountinfo: string;
	try {
		mountinfo = await read(MOUNTINFO);
	} catch (error) {
		return unknown(`${findmntProblem}, and ${MOUNTINFO} could not be read: ${(error as Error).message}`);
	}
	const mount = mountContaining(parseMountinfo(mountinfo), dir);
	if (!mount) return unknown(`${findmntProblem}, and no mount in ${MOUNTINFO} contains ${dir}`);
	return known(
		{path: dir, mountPoint: mount.mountPoint, fsType: mount.fsType, device: mount.source},
		`${MOUNTINFO} (longest mount point containing the path; ${findmntProblem})`,
	);
}

function parseFindmnt(stdout: string): Omit<FilesystemInfo, 'path'> | undefined {
	try {
		const data = JSON.parse(stdout) as {filesystems?: Array<{target?: string; source?: string; fstype?: string}>};
		const fs = data.filesystems?.[0];
		if (!fs?.target || !fs.fstype) return undefined;
		return {mountPoint: fs.target, fsType: fs.fstype, device: fs.source ?? ''};
	} catch {
		return undefined;
	}
}

export interface MountinfoEntry {
	/** the directory inside the mounted filesystem that appears at the mount point */
	root: string;
	mountPoint: string;
	fsType: string;
	source: string;
}

/** Lines of /proc/<pid>/mountinfo (see proc(5)): fields before " - " then fstype, source, options. */
export function parseMountinfo(text: string): MountinfoEntry[] {
	const entries: MountinfoEntry[] = [];
	for (const line of text.split('\n')) {
		const separator = line.indexOf(' - ');
		if (separator < 0) continue;
		const before = line.slice(0, separator).split(' ');
		const after = line.slice(separator + 3).split(' ');
		if (before.length < 5 || after.length < 2) continue;
		entries.push({
			root: unescapeMountField(before[3]),
			mountPoint: unescapeMountField(before[4]),
			fsType: after[0],
			source: unescapeMountField(after[1]),
		});
	}
	return entries;
}

/** mountinfo writes space, tab, newline and backslash as octal escapes (\040...). */
function unescapeMountField(field: string): string {
	return field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(Number.parseInt(octal, 8)));
}

/** The last-mounted entry with the longest mount point containing `dir`: later mounts hide earlier ones. */
export function mountContaining(entries: MountinfoEntry[], dir: string): MountinfoEntry | undefined {
	let best: MountinfoEntry | undefined;
	for (const entry of entries) {
		if (!isInside(dir, entry.mountPoint)) continue;
		if (!best || entry.mountPoint.length >= best.mountPoint.length) best = entry;
	}
	return best;
}

export function isInside(dir: string, parent: string): boolean {
	if (parent === '/') return dir.startsWith('/');
	return dir === parent || dir.startsWith(parent.endsWith(path.sep) ? parent : parent + path.sep);
}

/** realpath, or why the path cannot be examined. */
export async function resolveExisting(dir: string): Promise<{ok: true; path: string} | {ok: false; reason: string}> {
	try {
		return {ok: true, path: await realpath(dir)};
	} catch (error) {
		const code = (error as NodeJS.ErrnoException).code;
		if (code === 'ENOENT') return {ok: false, reason: `${dir} does not exist on this machine`};
		if (code === 'EACCES') return {ok: false, reason: `${dir} cannot be examined: permission denied (run as a user that can read it)`};
		return {ok: false, reason: `${dir} cannot be examined: ${(error as Error).message}`};
	}
}
