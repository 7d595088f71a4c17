import {connectPostgres} from '../../core/connect.ts';
import {openArchiveIn} from '../../storage/archive/reader.ts';
import {identifyArtifact} from '../../storage/artifact.ts';
import type {RestoreOptions, RestorePlan} from '../types.ts';
import {inspectPostgresTarget} from './restore-target.ts';

/** A PostgreSQL restore goes into one database: --target-db, or the archive's own; changes nothing. */
export async function planPostgresRestore(options: RestoreOptions): Promise<RestorePlan> {
	const artifact = await identifyArtifact(options.artifact, options.storage);
	const manifest = artifact.kind === 'archive' ? (await openArchiveIn(artifact.target, artifact.name)).manifest : undefined;
	const target = options.targetDb ?? (manifest?.databases.length === 1 ? manifest.databases[0]!.name : undefined);
	if (!target) return {databases: [], destructive: false};
	const control = await connectPostgres({...options.settings, database: options.settings.database ?? 'postgres'});
	try {
		const state = await inspectPostgresTarget(control, options.settings, target);
		const source = manifest?.databases.find((database) => database.name === target) ?? manifest?.databases[0];
		return {
			databases: [{source: source?.name ?? target, target, exists: state.exists, tables: state.objects}],
			destructive: state.objects > 0 || state.unfinished !== undefined,
		};
	} finally {
		await control.end().catch(() => undefined);
	}
}
