import type {DetectedEnvironment} from '../../core/detect/types.ts';
import {UsageError} from '../../core/errors.ts';
import type {EventBus} from '../../core/events.ts';
import {openArchiveIn} from '../../storage/archive/reader.ts';
import {identifyArtifact} from '../../storage/artifact.ts';
import {parseCompression} from '../../storage/compression.ts';
import {missingPrivileges} from '../facts.ts';
import {logicalSelection} from '../logical-selection.ts';
import {availability, type BackupEngine, type BackupOptions, type BackupResult, type RestoreOptions, type RestoreResult} from '../types.ts';
import {describeCoordinates, type Coordinates} from './consistency.ts';

/** Privileges without which a consistent dump cannot run at all (the rest only degrade it). */
const REQUIRED = new Set(['SELECT']);

// the demo's round trip compares a database with its restored copy
export {fingerprintDatabase, fingerprintDifferences} from './fingerprint.ts';
export {databasesOfScriptHead} from './script-text.ts';
// PITR (binlog replay) plans from a MySQL archive's selection and coordinates
export {describeCoordinates} from './consistency.ts';
export {selectForRestore} from './restore-selection.ts';

// The dump and restore code (and the driver modules it needs) load when a command runs them: every
// command builds the engine registry, and a PostgreSQL restore or a detect should not load this engine's code.
export const mysqlLogicalEngine: BackupEngine = {
	name: 'mysqldump',
	aliases: ['logical'],
	description: 'Native logical dump over the MySQL protocol: consistent, parallel, chunked (no mysqldump binary)',
	dbTypes: ['mysql'],
	capabilities: {backup: true, restore: true, incremental: false, streaming: true, kind: 'logical'},
	restoreTarget: 'database',
	selection: logicalSelection('mysqldump'),

	describeCoordinates(coordinates) {
		return describeCoordinates(coordinates as Coordinates);
	},

	async listDatabases(settings) {
		const {listMysqlDatabases} = await import('./databases.ts');
		return listMysqlDatabases(settings);
	},

	async planRestore(options) {
		const {planMysqlRestore} = await import('./restore-plan.ts');
		return planMysqlRestore(options);
	},

	async tableChecksums(settings, database) {
		const {mysqlTableChecksums} = await import('./table-checksums.ts');
		return mysqlTableChecksums(settings, database);
	},

	checkAvailability(env: DetectedEnvironment) {
		if (env.dbType !== 'mysql') {
			return availability([`mysqldump backs up MySQL/MariaDB servers; this server is PostgreSQL`]);
		}
		const reasons: string[] = [];
		const warnings: string[] = [];
		const missing = missingPrivileges(env.privileges, 'mysqldump');
		if (missing === undefined) {
			warnings.push('privileges could not be read; the dump may fail on objects the user cannot see');
		} else {
			const required = missing.filter((privilege) => REQUIRED.has(privilege));
			const optional = missing.filter((privilege) => !REQUIRED.has(privilege));
			if (required.length > 0) reasons.push(`user lacks ${required.join(', ')} on *.*`);
			if (optional.length > 0) {
				warnings.push(
					`user lacks ${optional.join(', ')}: without RELOAD/LOCK TABLES use --no-lock (coordinates are then checked before and after), without SHOW VIEW/TRIGGER/EVENT those objects are left out`,
				);
			}
		}
		return availability(reasons, warnings, {flavor: env.flavor.known ? env.flavor.value : 'unknown'});
	},

	async backup(options: BackupOptions, bus: EventBus): Promise<BackupResult> {
		const {dumpMysql} = await import('./dump.ts');
		const result = await dumpMysql(
			{
				settings: options.settings,
				databases: options.databases,
				workers: Math.max(1, options.workers),
				chunkRows: options.chunkRows,
				noLock: options.noLock,
				ddlLock: options.ddlLock,
				includeUsers: options.includeUsers,
				format: options.format,
				compression: options.format === 'archive' ? parseCompression(options.compress) : undefined,
				level: options.level,
				output: options.output,
				storage: options.storage,
			},
			bus,
		);
		return {
			artifact: result.output,
			bytes: result.bytes,
			format: options.format,
			lockMs: result.lockMs,
			coordinates: describeCoordinates(result.coordinates),
			databases: [...new Set(result.tables.map((table) => table.db))],
			tables: result.tables.length,
			rows: result.tables.reduce((sum, table) => sum + table.rows, 0),
			startedAt: result.startedAt,
			finishedAt: result.finishedAt,
		};
	},

	async restore(options: RestoreOptions, bus: EventBus): Promise<RestoreResult> {
		const artifact = await identifyArtifact(options.artifact, options.storage);
		if (artifact.kind === 'archive') {
			const {restoreMysqlArchive} = await import('./restore-archive.ts');
			const result = await restoreMysqlArchive({...options, archive: await openArchiveIn(artifact.target, artifact.name)}, bus);
			return {artifact: artifact.path, ...result};
		}
		if (options.tables && options.tables.length > 0) {
			throw new UsageError({
				code: 'TABLES_NEED_ARCHIVE',
				message: `--tables picks tables from a dbbackup archive; ${artifact.path} is a plain SQL script`,
				hint: 'Restore the whole script, or back up again in the archive format (the default).',
			});
		}
		const {restoreMysqlScript} = await import('./restore-script.ts');
		const result = await restoreMysqlScript({...options, artifact}, bus);
		return {
			artifact: artifact.path,
			databases: options.targetDb ? [options.targetDb] : [],
			tables: 0,
			rows: 0,
			bytes: result.bytes,
			failedStatements: result.failedStatements,
			startedAt: result.startedAt,
			finishedAt: result.finishedAt,
		};
	},
};
