import {connectPostgres} from '../../core/connect.ts';
import {IntegrityError, UsageError} from '../../core/errors.ts';
import {ProgressReporter, type EventBus} from '../../core/events.ts';
import type {OpenArchive} from '../../storage/archive/reader.ts';
import type {RestoreOptions, RestoreResult} from '../types.ts';
import {planChunks, restorePostgresDatabase, type DatabasePlan} from './restore-database.ts';
import {selectDatabases, selectEntries} from './restore-selection.ts';
import {decideTarget, inspectPostgresTarget} from './restore-target.ts';
import {checkStoredToc} from './toc-rules.ts';
import {parseStoredToc} from './stored-toc.ts';

/** The engine's restore options, with the archive already opened and the databases chosen from it (--database). */
export type PostgresRestoreOptions = Omit<RestoreOptions, 'artifact'> & {archive: OpenArchive; databases?: string[]};
export type PostgresRestoreResult = Omit<RestoreResult, 'artifact'>;

/** The largest table of contents read: one for a hundred thousand tables stays well below it. */
const MAX_TOC_BYTES = 512 * 1024 * 1024;

/** A small member (the table of contents) as text. */
async function readText(archive: OpenArchive, member: string): Promise<string> {
	const size = archive.manifest.members.find((candidate) => candidate.path === member)?.rawBytes ?? 0;
	if (size > MAX_TOC_BYTES) {
		throw new IntegrityError({code: 'TOC_TOO_LARGE', message: `${member} would decompress to ${size} bytes, more than any table of contents this tool writes (${MAX_TOC_BYTES})`, hint: 'The archive is damaged or crafted; restore from another copy.'});
	}
	const parts: Buffer[] = [];
	for await (const piece of archive.readMemberPieces(member)) {
		parts.push(Buffer.from(piece.data));
		piece.release();
	}
	return Buffer.concat(parts).toString('utf8');
}

/**
 * Restores the databases of a PostgreSQL archive (every one under its own name, those --database names,
 * or one under --target-db): every member checked first (on every core, before the server is touched),
 * every table of contents read and checked and every target inspected, so that a target that may not
 * be restored into refuses the restore before any database is created; then each database in turn.
 */
export async function restorePostgresArchive(options: PostgresRestoreOptions, bus: EventBus): Promise<PostgresRestoreResult> {
	const startedAt = new Date().toISOString();
	const {archive} = options;
	const {manifest} = archive;
	const selected = selectDatabases(manifest, options);
	bus.stage('verify', `checking ${manifest.members.length} member(s) of ${archive.path}`);
	await archive.verify();
	const plans: DatabasePlan[] = [];
	for (const {source, target} of selected) {
		if (!source.schema) throw new UsageError({code: 'NOT_A_POSTGRES_ARCHIVE', message: `${archive.path}: database ${source.name} has no table of contents member`, hint: 'The archive was not written by the PostgreSQL engine.'});
		const stored = parseStoredToc(await readText(archive, source.schema), source.schema);
		checkStoredToc(stored, source.schema);
		const selection = selectEntries(stored.toc, options);
		plans.push({source, target, stored, selection, chunks: planChunks(archive, source, selection)});
	}

	const controlDatabase = options.settings.database ?? 'postgres';
	let control = await connectPostgres({...options.settings, database: controlDatabase});
	try {
		const decided = [];
		for (const plan of plans) {
			const state = await inspectPostgresTarget(control, options.settings, plan.target);
			decided.push({...plan, decision: decideTarget(state, {create: options.create, clean: options.dropExisting, dataOnly: options.dataOnly, several: plans.length > 1})});
		}
		// `backup all` holds the database the restore connects to (postgres): no session may be in a database being dropped
		if (decided.some((plan) => plan.decision.drop && plan.target === controlDatabase)) {
			await control.end();
			control = await connectPostgres({...options.settings, database: controlDatabase === 'template1' ? 'postgres' : 'template1'});
		}
		const overall = new ProgressReporter(bus, 'restore', 'bytes', plans.reduce((sum, plan) => sum + plan.chunks.reduce((bytes, chunk) => bytes + chunk.rawBytes, 0), 0));
		const totals = {tables: 0, rows: 0, bytes: 0, failed: 0};
		for (const plan of decided) {
			const done = await restorePostgresDatabase(plan, {archive, control, options, overall, several: decided.length > 1}, bus);
			totals.tables += done.tables;
			totals.rows += done.rows;
			totals.bytes += done.bytes;
			totals.failed += done.failed;
		}
		overall.finish();
		return {databases: decided.map((plan) => plan.target), tables: totals.tables, rows: totals.rows, bytes: totals.bytes, failedStatements: totals.failed, startedAt, finishedAt: new Date().toISOString()};
	} finally {
		await control.end().catch(() => undefined);
	}
}
