import type {Readable} from 'node:stream';
import {manifestHost} from '../../core/connection-settings.ts';
import {VERSION} from '../../core/tool-version.ts';
import type {ManifestDatabase, ManifestMember} from '../../storage/archive/manifest.ts';
import {memberSegment} from '../../storage/archive/member-path.ts';
import {openDumpArchive, type ArchiveOutputOptions} from '../dump-archive.ts';
import type {DataTable} from './ddl/types.ts';
import type {DumpedDatabase, PostgresDumpOutput} from './output.ts';
import type {StoredToc} from './stored-toc.ts';

export function tocMemberName(database: string): string {
	return `schema/${memberSegment(database)}.toc.json`;
}

/** `schema.table` with each part encoded, so a "." in either name cannot make two tables' members collide. */
export function dataMemberName(database: string, table: DataTable, chunk: number): string {
	return `data/${memberSegment(database)}/${memberSegment(table.schema)}.${memberSegment(table.name)}.${String(chunk).padStart(5, '0')}.copy`;
}

export function largeObjectMemberName(database: string, oid: number): string {
	return `blobs/${memberSegment(database)}/${oid}.bin`;
}

/**
 * The archive (readme, "Architecture") for PostgreSQL: per database a table of contents (`schema/<db>.toc.json`,
 * every definition with its section and dependencies), the rows as COPY text, one member per chunk in
 * `data/<db>/<schema>.<table>.<chunk>.copy`, and large objects in `blobs/<db>/<oid>.bin`.
 */
export async function createPostgresArchiveOutput(options: ArchiveOutputOptions): Promise<PostgresDumpOutput> {
	const {writer, track, settled} = await openDumpArchive(options);
	const databases: DumpedDatabase[] = [];
	const tocMembers = new Map<string, Promise<ManifestMember>>();
	const chunkMembers = new Map<DataTable, Array<Promise<ManifestMember>>>();
	const largeObjectMembers = new Map<string, Record<string, string>>();

	return {
		sequential: false,

		async beginDatabase(database) {
			databases.push(database);
			for (const table of database.toc.tables) chunkMembers.set(table, []);
		},

		async writeChunk(database, table, chunk, _chunks, rows: Readable, rowCount) {
			const ended = new Promise<void>((resolve, reject) => {
				rows.once('end', resolve);
				rows.once('error', reject);
				rows.once('close', () => (rows.readableEnded ? resolve() : reject(new Error(`the COPY of ${table.schema}.${table.name} stopped before its end`))));
			});
			const member = track(writer.addMember(dataMemberName(database.name, table, chunk.index), rows, {rows: rowCount}));
			chunkMembers.get(table)![chunk.index] = member;
			await Promise.race([ended, member.then(() => undefined)]);
		},

		async writeLargeObject(database, oid, content) {
			const member = await writer.addMember(largeObjectMemberName(database.name, oid), content, {});
			largeObjectMembers.set(database.name, {...largeObjectMembers.get(database.name), [String(oid)]: member.path});
		},

		async endDatabase(database) {
			const stored: StoredToc = {
				encoding: database.encoding,
				toc: database.toc,
				largeObjects: database.largeObjects,
				largeObjectMembers: largeObjectMembers.get(database.name) ?? {},
				coordinates: database.coordinates,
			};
			tocMembers.set(database.name, track(writer.addMember(tocMemberName(database.name), JSON.stringify(stored))));
		},

		async finish({startedAt, serverVersion, tables, checksums}) {
			await settled();
			const manifestDatabases: ManifestDatabase[] = [];
			for (const database of databases) {
				manifestDatabases.push({
					name: database.name,
					schema: (await tocMembers.get(database.name)!).path,
					tables: await Promise.all(
						database.toc.tables.map(async (table) => ({
							name: table.name,
							namespace: table.schema,
							rows: tables.get(table) ?? 0,
							...(checksums.has(table) ? {checksum: checksums.get(table)!.digest()} : {}),
							members: await Promise.all(chunkMembers.get(table)!.map(async (member) => (await member).path)),
						})),
					),
				});
			}
			const first = databases[0]?.coordinates;
			const finished = await writer.finish({
				tool: {name: 'dbbackup', version: VERSION},
				engine: 'postgres-logical',
				dbType: 'postgres',
				server: {version: serverVersion, flavor: 'postgresql', host: manifestHost(options.settings)},
				databases: manifestDatabases,
				coordinates: databases.length === 1 && first ? {...first} : {databases: Object.fromEntries(databases.map((database) => [database.name, database.coordinates]))},
				startedAt,
				options: options.options,
			});
			return finished.bytes;
		},

		abort: () => writer.abort(),
	};
}
