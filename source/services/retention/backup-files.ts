/**
 * The files one backup is at its location, and the two things done to them as a whole: pinning it
 * (a `NAME.pin` marker beside it that prune and delete respect) and deleting it. Deleting removes the
 * sidecar first, so a backup deleted half-way is one that no longer looks complete (status shows it
 * without its sidecar) rather than a complete-looking archive missing its bytes.
 */
import {UsageError} from '../../core/errors.ts';
import {sidecarPathOf} from '../../storage/archive/member-path.ts';
import type {ArtifactTarget} from '../../storage/target/types.ts';

const PIN_SUFFIX = '.pin';

export function pinNameOf(backupName: string): string {
	return `${backupName}${PIN_SUFFIX}`;
}

export function isPinName(name: string): boolean {
	return name.endsWith(PIN_SUFFIX);
}

export interface PinRecord {
	pinnedAt: string;
	/** why it is kept, when the user said */
	reason?: string;
}

export async function readPin(target: ArtifactTarget, backupName: string): Promise<PinRecord | undefined> {
	const info = await target.stat(pinNameOf(backupName));
	if (!info) return undefined;
	const {readBytes} = await import('../../storage/target/read-bytes.ts');
	try {
		const parsed = JSON.parse((await readBytes(target, pinNameOf(backupName))).toString('utf8')) as Partial<PinRecord>;
		return {pinnedAt: typeof parsed.pinnedAt === 'string' ? parsed.pinnedAt : info.modifiedAt.toISOString(), ...(typeof parsed.reason === 'string' ? {reason: parsed.reason} : {})};
	} catch {
		// a marker that is not ours to read still pins: keeping a backup is the safe reading
		return {pinnedAt: info.modifiedAt.toISOString()};
	}
}

export async function writePin(target: ArtifactTarget, backupName: string, record: PinRecord): Promise<void> {
	await target.put(pinNameOf(backupName), Buffer.from(`${JSON.stringify(record, null, '\t')}\n`, 'utf8'));
}

export async function removePin(target: ArtifactTarget, backupName: string): Promise<boolean> {
	if (!(await target.stat(pinNameOf(backupName)))) return false;
	await target.delete(pinNameOf(backupName));
	return true;
}

/** The names a backup's deletion removes, in the order it removes them: sidecar first, the artifact last. */
export function backupFileNames(backupName: string, format: 'archive' | 'sql'): string[] {
	return format === 'archive' ? [sidecarPathOf(backupName), backupName] : [backupName];
}

/**
 * Deletes backup `backupName` from `target` (the stored bytes: pass the target without its encryption
 * stage, no key is needed to delete). A pinned backup is refused (BACKUP_PINNED) unless `unpinned` was
 * checked by the caller and `force` given. Returns where each removed file was.
 */
export async function deleteBackup(target: ArtifactTarget, backupName: string, format: 'archive' | 'sql', options: {force?: boolean} = {}): Promise<string[]> {
	if (!options.force && (await readPin(target, backupName))) {
		throw new UsageError({
			code: 'BACKUP_PINNED',
			message: `${target.describe(backupName)} is pinned and is not deleted`,
			hint: `Unpin it first (dbbackup unpin ${target.describe(backupName)}) if it is really to go.`,
		});
	}
	const removed: string[] = [];
	for (const name of backupFileNames(backupName, format)) {
		if (!(await target.stat(name))) continue;
		await target.delete(name);
		removed.push(target.describe(name));
	}
	if (options.force) await removePin(target, backupName);
	return removed;
}
