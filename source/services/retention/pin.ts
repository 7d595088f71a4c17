/**
 * `dbbackup pin BACKUP` / `dbbackup unpin BACKUP`: a `NAME.pin` marker beside a backup (a path or an
 * s3:// URL) that prune and deleteBackup respect. Written and removed as stored, without the encryption
 * stage: no key is needed, and the marker (a small JSON: when, and why if the user said) is plain.
 */
import {UsageError} from '../../core/errors.ts';
import {targetFor, type StorageOptions} from '../../storage/target/index.ts';
import type {ArtifactTarget} from '../../storage/target/types.ts';
import {backupFormatOf} from '../catalog/backups.ts';
import {pinNameOf, readPin, removePin, writePin, type PinRecord} from './backup-files.ts';

export interface PinResult {
	action: 'pin' | 'unpin';
	/** the backup, as given (a path or URL) */
	backup: string;
	/** the marker's place */
	marker: string;
	/** false: nothing changed (already pinned with that reason, or not pinned) */
	changed: boolean;
	/** pin: the marker as it now is; unpin: the one removed */
	record?: PinRecord;
}

function closeTarget(target: ArtifactTarget): void {
	const store = (target as {inner?: ArtifactTarget}).inner ?? target;
	(store as {connection?: {client?: {destroy?: () => void}}}).connection?.client?.destroy?.();
}

function notABackup(backup: string, why: string): UsageError {
	return new UsageError({
		code: 'NOT_A_BACKUP',
		message: `${backup} ${why}`,
		hint: 'Give the path (or s3:// URL) of a backup: an archive (.tar) or a SQL script (.sql, .sql.gz, .sql.zst, .sql.lz4); `dbbackup status DIR` lists them.',
	});
}

/** The stored target holding `backup` and its name there; refuses what is not a backup's name. */
async function locate(backup: string, storage: StorageOptions): Promise<{target: ArtifactTarget; name: string}> {
	const {encryption: _key, ...plain} = storage;
	const {target, name} = await targetFor(backup, plain);
	if (name === '' || backupFormatOf(name) === undefined) {
		closeTarget(target);
		throw notABackup(backup, 'is not a backup\'s name');
	}
	return {target, name};
}

/** Pins `backup` (a path or URL) with an optional reason; refuses a name that is no backup there. */
export async function pinBackup(backup: string, storage: StorageOptions = {}, options: {reason?: string; now?: Date} = {}): Promise<PinResult> {
	const {target, name} = await locate(backup, storage);
	try {
		if (!(await target.stat(name))) throw notABackup(backup, `is not there: no backup ${name} at ${target.describe('')}`);
		const marker = target.describe(pinNameOf(name));
		const existing = await readPin(target, name);
		if (existing && (options.reason === undefined || options.reason === existing.reason)) return {action: 'pin', backup, marker, changed: false, record: existing};
		const record: PinRecord = {pinnedAt: existing?.pinnedAt ?? (options.now ?? new Date()).toISOString(), ...(options.reason === undefined ? {} : {reason: options.reason})};
		await writePin(target, name, record);
		return {action: 'pin', backup, marker, changed: true, record};
	} finally {
		closeTarget(target);
	}
}

/** Removes `backup`'s pin. A pin whose backup is gone is removed too; a name with neither is refused. */
export async function unpinBackup(backup: string, storage: StorageOptions = {}): Promise<PinResult> {
	const {target, name} = await locate(backup, storage);
	try {
		const marker = target.describe(pinNameOf(name));
		const existing = await readPin(target, name);
		if (!existing) {
			if (!(await target.stat(name))) throw notABackup(backup, `is not there: no backup ${name} (and no pin of it) at ${target.describe('')}`);
			return {action: 'unpin', backup, marker, changed: false};
		}
		await removePin(target, name);
		return {action: 'unpin', backup, marker, changed: true, record: existing};
	} finally {
		closeTarget(target);
	}
}
