import {connectPostgres} from '../../core/connect.ts';
import {openArchiveIn} from '../../storage/archive/reader.ts';
import {identifyArtifact} from '../../storage/artifact.ts';
import type {RestoreOptions, RestorePlan} from '../types.ts';
import {selectDatabases, type SelectedDatabase} from './restore-selection.ts';
import {inspectPostgresTarget} from './restore-target.ts';

/** Where a PostgreSQL restore would go (the archive's databases, or --target-db for a script) and whether it would replace data; changes nothing. */
export async function planPostgresRestore(options: RestoreOptions & {databases?: string[]}): Promise<RestorePlan> {
	const artifact = await identifyArtifact(options.artifact, options.storage);
	let databases: Array<Pick<SelectedDatabase, 'target'> & {source: {name: string}}>;
	if (artifact.kind === 'archive') databases = selectDatabases((await openArchiveIn(artifact.target, artifact.name)).manifest, options);
	else databases = options.targetDb ? [{source: {name: options.targetDb}, target: options.targetDb}] : [];
	if (databases.length === 0) return {databases: [], destructive: false};
	const control = await connectPostgres({...options.settings, database: options.settings.database ?? 'postgres'});
	try {
		const planned: RestorePlan['databases'] = [];
		let destructive = false;
		for (const database of databases) {
			const state = await inspectPostgresTarget(control, options.settings, database.target);
			planned.push({source: database.source.name, target: database.target, exists: state.exists, tables: state.objects});
			destructive ||= state.objects > 0 || state.unfinished !== undefined;
		}
		return {databases: planned, destructive};
	} finally {
		await control.end().catch(() => undefined);
	}
}
