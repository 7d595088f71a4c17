import {connectMysql} from '../../core/connect.ts';
import {openArchiveIn} from '../../storage/archive/reader.ts';
import {identifyArtifact} from '../../storage/artifact.ts';
import type {RestoreOptions, RestorePlan} from '../types.ts';
import {namedDatabase, selectForRestore} from './restore-selection.ts';
import {inspectTargets} from './restore-target.ts';

/** Where a restore of an archive or script would go on a MySQL/MariaDB server, and whether it would replace data; changes nothing. */
export async function planMysqlRestore(options: RestoreOptions & {databases?: string[]}): Promise<RestorePlan> {
	const artifact = await identifyArtifact(options.artifact, options.storage);
	const databases =
		artifact.kind === 'archive'
			? selectForRestore((await openArchiveIn(artifact.target, artifact.name)).manifest, options).databases
			: options.targetDb
				? [namedDatabase(options.targetDb)]
				: [];
	if (databases.length === 0) return {databases: [], destructive: false};
	const connection = await connectMysql(options.settings);
	try {
		const states = await inspectTargets(connection, databases);
		return {
			databases: states.map((state) => ({source: state.source, target: state.database, exists: state.exists, tables: state.objects})),
			destructive: states.some((state) => state.destructive),
		};
	} finally {
		await connection.end().catch(() => undefined);
	}
}
