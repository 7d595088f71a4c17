import {once} from 'node:events';
import {PassThrough} from 'node:stream';
import {manifestHost} from '../../core/connection-settings.ts';
import {VERSION} from '../../core/tool-version.ts';
import type {ManifestMember, ManifestObjectGroup, ManifestObjectKind} from '../../storage/archive/manifest.ts';
import {memberSegment} from '../../storage/archive/member-path.ts';
import {openDumpArchive, type ArchiveOutputOptions} from '../dump-archive.ts';
import type {StoredObject} from './catalog.ts';
import type {Chunk} from './chunks.ts';
import type {ChunkTarget, DumpOutput, DumpStart, TableWork} from './dump.ts';
import {createSequenceScript} from './sequences.ts';
import {createDatabase, createStoredObject, createTable} from './script-text.ts';

const MIB = 1024 * 1024;

function tablePath(database: string, table: string): string {
	return `${memberSegment(database)}/${memberSegment(table)}`;
}

export function dataMemberName(database: string, table: string, chunk: number): string {
	return `data/${tablePath(database, table)}.${String(chunk).padStart(5, '0')}.sql`;
}

/**
 * The archive (readme, "Architecture"): `schema/<db>.sql`, `schema/<db>/<table>.sql`, one member per chunk in
 * `data/<db>/<table>.<chunk>.sql`, and `post/` members for views, routines, triggers and events, none of
 * them naming the database (restore may rename it). Members compress in parallel as workers stream rows.
 */
export async function createArchiveOutput(options: ArchiveOutputOptions): Promise<DumpOutput> {
	const {writer, track, settled} = await openDumpArchive(options);
	const databaseSchemas = new Map<string, Promise<ManifestMember>>();
	const sequenceMembers = new Map<string, Promise<ManifestMember>>();
	const tableSchemas = new Map<TableWork, Promise<ManifestMember>>();
	const chunkMembers = new Map<TableWork, Map<number, Promise<ManifestMember>>>();
	const objects: Array<{group: Omit<ManifestObjectGroup, 'member'>; member: Promise<ManifestMember>}> = [];

	const addObjects = (kind: ManifestObjectKind, name: string, list: StoredObject[], where: {database: string; table?: string}) => {
		if (list.length === 0) return;
		const text = list.map((object) => createStoredObject(object, {use: false})).join('');
		objects.push({group: {kind, ...where}, member: track(writer.addMember(name, text))});
	};

	return {
		async begin(start: DumpStart) {
			for (const database of start.catalog.databases) {
				databaseSchemas.set(database.name, track(writer.addMember(`schema/${memberSegment(database.name)}.sql`, createDatabase(database))));
				if (database.sequences.length > 0) {
					// "<db>.sequences" cannot clash with a table's member: a "." in a name is always encoded
					const text = database.sequences.map((sequence) => createSequenceScript(sequence, {use: false})).join('');
					sequenceMembers.set(database.name, track(writer.addMember(`schema/${memberSegment(database.name)}.sequences.sql`, text)));
				}
			}
			for (const work of start.works) {
				const {table} = work;
				tableSchemas.set(work, track(writer.addMember(`schema/${tablePath(table.database, table.name)}.sql`, createTable(table, {use: false}))));
				chunkMembers.set(work, new Map());
			}
		},

		async openChunk(work: TableWork, chunk: Chunk): Promise<ChunkTarget> {
			const stream = new PassThrough({highWaterMark: MIB});
			// the writer attaches to the stream only once the member has a compression slot: a chunk discarded
			// before then must not raise an unhandled 'error' (the writer still sees it, and the dump aborts)
			stream.on('error', () => undefined);
			let rows = 0;
			const member = track(writer.addMember(dataMemberName(work.table.database, work.table.name, chunk.index), stream, {rows: () => rows}));
			chunkMembers.get(work)!.set(chunk.index, member);
			const failed = member.then(() => {
				throw new Error('the archive member ended before its chunk was written');
			});
			failed.catch(() => undefined);
			return {
				async write(buffer) {
					if (!stream.write(buffer)) await Promise.race([once(stream, 'drain'), failed]);
				},
				async close(count) {
					rows = count;
					stream.end();
				},
				async discard(error) {
					stream.destroy(error instanceof Error ? error : new Error(String(error)));
				},
			};
		},

		async tableComplete() {},

		async writeObjects(start: DumpStart) {
			const {catalog} = start;
			for (const database of catalog.databases) {
				const routines = database.routines;
				addObjects('routines', `post/${memberSegment(database.name)}/routines.sql`, routines, {database: database.name});
			}
			// consecutive views of one database share a member; the global dependency order is kept
			let run: StoredObject[] = [];
			const runs = new Map<string, number>();
			const flushViews = () => {
				if (run.length === 0) return;
				const database = run[0].database;
				const index = (runs.get(database) ?? 0) + 1;
				runs.set(database, index);
				addObjects('views', `post/${memberSegment(database)}/views.${index}.sql`, run, {database});
				run = [];
			};
			for (const view of catalog.views) {
				if (run.length > 0 && run[0].database !== view.database) flushViews();
				run.push(view);
			}
			flushViews();
			for (const database of catalog.databases) {
				const byTable = new Map<string, StoredObject[]>();
				for (const trigger of database.triggers) {
					const table = trigger.table ?? '';
					byTable.set(table, [...(byTable.get(table) ?? []), trigger]);
				}
				for (const [table, triggers] of byTable) {
					addObjects('triggers', `post/${tablePath(database.name, table)}.triggers.sql`, triggers, {database: database.name, table});
				}
				addObjects('events', `post/${memberSegment(database.name)}/events.sql`, database.events, {database: database.name});
			}
			if (start.users) objects.push({group: {kind: 'users'}, member: track(writer.addMember('post/users.sql', start.users))});
		},

		async finish(start: DumpStart) {
			await settled();
			const pathOf = async (member: Promise<ManifestMember>) => (await member).path;
			const databases = await Promise.all(
				start.catalog.databases.map(async (database) => ({
					name: database.name,
					schema: await pathOf(databaseSchemas.get(database.name)!),
					...(sequenceMembers.has(database.name) ? {sequences: await pathOf(sequenceMembers.get(database.name)!)} : {}),
					tables: await Promise.all(
						start.works
							.filter((work) => work.table.database === database.name)
							.map(async (work) => ({
								name: work.table.name,
								rows: work.rows,
								checksum: work.checksum.digest(),
								schema: await pathOf(tableSchemas.get(work)!),
								members: await Promise.all(work.chunks.map((chunk) => pathOf(chunkMembers.get(work)!.get(chunk.index)!))),
							})),
					),
				})),
			);
			const finished = await writer.finish({
				tool: {name: 'dbbackup', version: VERSION},
				engine: 'mysqldump',
				dbType: 'mysql',
				server: {version: start.server.text, flavor: start.server.mariadb ? 'mariadb' : 'mysql', host: manifestHost(options.settings)},
				databases,
				objects: await Promise.all(objects.map(async ({group, member}) => ({...group, member: await pathOf(member)}))),
				coordinates: {...start.coordinates, method: start.method},
				startedAt: start.startedAt,
				lockMs: start.lockMs,
				options: options.options,
			});
			return finished.bytes;
		},

		abort: () => writer.abort(),
	};
}
