import type {DataTable, DdlEntry} from './ddl/types.ts';

/*
 * What the data phase of an archive restore runs: the chunks, and the post-data entries that need only
 * their own tables' rows, so that an index is built as soon as its table is loaded while the other
 * workers still copy, instead of every worker waiting for the last chunk.
 */

export interface ChunkItem {
	kind: 'chunk';
	id: string;
	dependsOn: string[];
	table: DataTable;
	member: string;
	rawBytes: number;
}

export interface EntryItem {
	kind: 'entry';
	id: string;
	dependsOn: string[];
	entry: DdlEntry;
}

export type DataPhaseItem = ChunkItem | EntryItem;

/** Post-data kinds that touch only the tables they name, so they may run once those are loaded. */
const EARLY_KINDS: ReadonlySet<DdlEntry['kind']> = new Set(['index', 'constraint', 'foreign-key']);

/**
 * The post-data entries that may run while other tables are still loading, each depending on the
 * chunks of the tables it names: indexes, and constraints added with `ALTER TABLE ONLY` (one without
 * ONLY reaches the table's children, whose rows may not be in yet), on tables whose rows come from
 * chunks (not partitioned parents, not materialized views), and whose post-data dependencies are
 * early too. Everything else keeps waiting for all the rows. `chunksOf` gives each table's chunk ids by
 * `schema.table`.
 */
export function postDataWithTheirTables(postData: DdlEntry[], tables: DataTable[], chunksOf: ReadonlyMap<string, string[]>): EntryItem[] {
	const loaded = new Map(tables.filter((table) => !table.noStorage).map((table) => [table.entryId, table]));
	const byId = new Map(postData.map((entry) => [entry.id, entry]));
	const tablesOf = (entry: DdlEntry): DataTable[] | undefined => {
		if (!EARLY_KINDS.has(entry.kind) || !entry.table) return undefined;
		if (entry.kind !== 'index' && !/^ALTER TABLE ONLY /.test(entry.sql)) return undefined;
		const own = tables.find((table) => table.schema === entry.table!.schema && table.name === entry.table!.name);
		if (!own || !loaded.has(own.entryId)) return undefined;
		const named = entry.dependsOn.filter((id) => id.startsWith('table:') || id === own.entryId);
		const found = named.map((id) => loaded.get(id));
		// a table it names that is not loaded from chunks (a view, a partitioned parent, one left out by --tables)
		if (found.some((table) => table === undefined)) return undefined;
		return [own, ...(found as DataTable[])];
	};
	const early = new Map<string, DataTable[]>();
	for (const entry of postData) {
		const named = tablesOf(entry);
		if (named) early.set(entry.id, named);
	}
	// an entry that waits for a post-data entry left for later is left for later too
	for (let changed = true; changed; ) {
		changed = false;
		for (const id of early.keys()) {
			if (byId.get(id)!.dependsOn.some((dependency) => byId.has(dependency) && !early.has(dependency))) {
				early.delete(id);
				changed = true;
			}
		}
	}
	return postData
		.filter((entry) => early.has(entry.id))
		.map((entry) => ({
			kind: 'entry',
			id: entry.id,
			entry,
			dependsOn: [...entry.dependsOn, ...new Set(early.get(entry.id)!.flatMap((table) => chunksOf.get(`${table.schema}.${table.name}`) ?? []))],
		}));
}
