import {detectFilesystem} from './filesystem.ts';
import {detectLocality} from './locality.ts';
import {unknown, type Fact, type FilesystemInfo, type SnapshotCapability} from './types.ts';

export interface Placement {
	local: Fact<boolean>;
	filesystem: Fact<FilesystemInfo>;
	snapshot: Fact<SnapshotCapability>;
}

/** Whether the server runs here and, only when it does, the filesystem and snapshot capability of its data directory. */
export async function detectPlacement(target: string, datadir: Fact<string>): Promise<Placement> {
	const {local, notHere} = await detectLocality(target, datadir);
	if (local.known && local.value && datadir.known) return {local, ...(await detectFilesystem(datadir.value))};
	const reason = notHere ?? 'the server is not on this machine';
	return {local, filesystem: unknown(reason), snapshot: unknown(reason)};
}
