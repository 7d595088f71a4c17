import {existsSync, statSync} from 'node:fs';
import {mkdir, stat} from 'node:fs/promises';
import path from 'node:path';
import {backupFileName, defaultBackupPath} from '../core/backup-name.ts';
import {UsageError} from '../core/errors.ts';
import {isObjectStoreUrl} from '../core/object-store-url.ts';
import {outputWriteError} from '../storage/disk-errors.ts';

export interface BackupNaming {
	/** empty: every database */
	databases: string[];
	format: 'archive' | 'sql';
	/** an encrypted backup's name does not give its databases away */
	encrypted: boolean;
}

/**
 * Where a backup is written, from what the user gave (`--output`, output.path, the app's Output field):
 * the one rule of the command line and the terminal app.
 * - an `s3://…/` prefix gets an object named by backupFileName under it; any other URL names the object;
 * - a directory (existing, or written with a trailing /) gets `<db>-<UTC time>-<tag>.tar|.sql` inside it;
 * - anything else is the file itself.
 * A missing directory (the one named, or a file's parent) is created, mode 0700 (backups hold all the
 * data), as mydumper does.
 */
export async function resolveBackupOutput(given: string, naming: BackupNaming, now: Date = new Date()): Promise<string> {
	if (isObjectStoreUrl(given)) return given.endsWith('/') ? `${given}${backupFileName(naming.databases, now, naming.format, undefined, naming.encrypted)}` : given;
	const directory = /[/\\]$/.test(given) || (await isDirectory(given));
	await ensureDirectory(directory ? given : path.dirname(path.resolve(given)));
	return directory ? defaultBackupPath(given, naming.databases, now, naming.format, undefined, naming.encrypted) : given;
}

async function isDirectory(file: string): Promise<boolean> {
	try {
		return (await stat(file)).isDirectory();
	} catch {
		return false;
	}
}

async function ensureDirectory(dir: string): Promise<void> {
	try {
		await makeDirectory(dir);
	} catch (error) {
		throw (
			outputWriteError(error, dir, 'create') ??
			new UsageError({code: 'OUTPUT_DIR_UNWRITABLE', message: `cannot create the output directory ${dir}: ${(error as Error).message}`, hint: 'Check --output (or output.path) and the permissions of its parent.', cause: error})
		);
	}
}

/** mkdir -p, mode 0700; a refusal comes with its own errno. */
async function makeDirectory(dir: string): Promise<void> {
	try {
		await mkdir(dir, {recursive: true, mode: 0o700});
	} catch (error) {
		// node's recursive mkdir reports some refusals as ENOENT (EROFS on a read-only mount, node 20):
		// one level at a time, the first missing level fails with the real errno
		const missing: string[] = [];
		for (let level = path.resolve(dir); missing.length < 64; level = path.dirname(level)) {
			if (await stat(level).then(() => true, () => false)) break;
			missing.unshift(level);
			if (path.dirname(level) === level) break;
		}
		for (const level of missing) await mkdir(level, {mode: 0o700});
		throw error;
	}
}

/** Under the home directory: where the app puts backups when output.path does not say. */
export const DEFAULT_BACKUP_FOLDER = 'dbbackup-backups';

/**
 * The directory new backups go to: output.path itself when it names a directory (relative to `cwd`),
 * else the directory it is in; else `fallback` (the app gives ~/dbbackup-backups, not the directory it
 * was started in, which may be a checkout).
 */
export function outputDirectory(outputPath: string | undefined, cwd: string, fallback: string = cwd): string {
	if (!outputPath) return fallback;
	if (isObjectStoreUrl(outputPath)) return outputPath.slice(0, outputPath.lastIndexOf('/') + 1);
	const absolute = path.resolve(cwd, outputPath);
	const namesDirectory = /[/\\]$/.test(outputPath) || (existsSync(absolute) && statSync(absolute).isDirectory());
	return namesDirectory ? absolute : path.dirname(absolute);
}

