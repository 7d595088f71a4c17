import type {DetectedEnvironment} from '../../core/detect/types.ts';
import {UsageError} from '../../core/errors.ts';
import type {EventBus} from '../../core/events.ts';
import {openArchiveIn} from '../../storage/archive/reader.ts';
import {identifyArtifact} from '../../storage/artifact.ts';
import {parseCompression} from '../../storage/compression.ts';
import {missingPrivileges} from '../facts.ts';
import {logicalSelection} from '../logical-selection.ts';
import {availability, type BackupEngine, type BackupOptions, type BackupResult, type RestoreOptions, type RestoreResult} from '../types.ts';
import {describePostgresCoordinates} from './snapshot.ts';

export {contentChecksums, definitionFingerprint, postgresDifferences} from './fingerprint.ts';

// The dump and restore code (and the driver modules it needs) load when a command runs them: every
// command builds the engine registry, and a MySQL restore or a detect should not load this engine's code.
export const postgresLogicalEngine: BackupEngine = {
	name: 'postgres-logical',
	aliases: ['pgdump', 'logical'],
	description: 'Native logical dump over the PostgreSQL protocol: exported snapshot, parallel COPY, full DDL (no pg_dump binary)',
	dbTypes: ['postgres'],
	capabilities: {backup: true, restore: true, incremental: false, streaming: true, kind: 'logical'},
	restoreTarget: 'database',
	selection: logicalSelection('postgres-logical'),

	describeCoordinates(coordinates) {
		return describePostgresCoordinates(coordinates);
	},

	async listDatabases(settings) {
		const {listPostgresDatabases} = await import('./databases.ts');
		return listPostgresDatabases(settings);
	},

	async planRestore(options) {
		const {planPostgresRestore} = await import('./restore-plan.ts');
		return planPostgresRestore(options);
	},

	async tableChecksums(settings, database) {
		const {postgresTableChecksums} = await import('./table-checksums.ts');
		return postgresTableChecksums(settings, database);
	},

	checkAvailability(env: DetectedEnvironment) {
		if (env.dbType !== 'postgres') {
			return availability(['postgres-logical backs up PostgreSQL servers; this server is MySQL/MariaDB']);
		}
		const warnings: string[] = [];
		const missing = missingPrivileges(env.privileges, 'postgres-logical');
		if (missing === undefined) warnings.push('privileges could not be read; tables the role cannot SELECT would fail the dump');
		else if (missing.length > 0) warnings.push(`role lacks ${missing.join(', ')}: those tables would fail the dump`);
		return availability([], warnings);
	},

	async backup(options: BackupOptions, bus: EventBus): Promise<BackupResult> {
		const {dumpPostgres} = await import('./dump.ts');
		const result = await dumpPostgres(
			{
				settings: options.settings,
				databases: options.databases,
				workers: Math.max(1, options.workers),
				chunkRows: options.chunkRows,
				format: options.format,
				compression: options.format === 'archive' ? parseCompression(options.compress) : undefined,
				level: options.level,
				output: options.output,
				storage: options.storage,
				noOwner: options.noOwner,
				noPrivileges: options.noPrivileges,
			},
			bus,
		);
		return {
			artifact: result.output,
			bytes: result.bytes,
			format: options.format,
			coordinates: describePostgresCoordinates({...result.coordinates}),
			databases: result.databases,
			tables: result.tables,
			rows: result.rows,
			startedAt: result.startedAt,
			finishedAt: result.finishedAt,
		};
	},

	async restore(options: RestoreOptions, bus: EventBus): Promise<RestoreResult> {
		const artifact = await identifyArtifact(options.artifact, options.storage);
		if (artifact.kind === 'archive') {
			const {restorePostgresArchive} = await import('./restore-archive.ts');
			const result = await restorePostgresArchive({...options, archive: await openArchiveIn(artifact.target, artifact.name)}, bus);
			return {artifact: artifact.path, ...result};
		}
		const archiveOnly = ([['--tables', (options.tables?.length ?? 0) > 0], ['--schema-only', options.schemaOnly], ['--data-only', options.dataOnly]] as const).filter(([, given]) => given);
		if (archiveOnly.length > 0) {
			throw new UsageError({
				code: 'OPTION_NEEDS_ARCHIVE',
				message: `${archiveOnly.map(([flag]) => flag).join(', ')} pick(s) parts of a dbbackup archive; ${artifact.path} is a plain SQL script`,
				hint: 'Restore the whole script, or back up again in the archive format (the default).',
			});
		}
		const {restorePostgresScript} = await import('./restore-script.ts');
		const result = await restorePostgresScript({...options, artifact}, bus);
		return {artifact: artifact.path, databases: [result.database], tables: 0, rows: result.copyRows, bytes: result.bytes, failedStatements: result.failedStatements, startedAt: result.startedAt, finishedAt: result.finishedAt};
	},
};
