import type pg from 'pg';
import type {TocBuilder} from './toc-builder.ts';

interface DependRow {
	catalog: string;
	objid: number;
	ref_catalog: string;
	refobjid: number;
}

/** Objects with an oid below this come with every database: nothing to order against. */
const FIRST_NORMAL_OBJECT_ID = 16384;

/**
 * Adds pg_depend's normal, automatic and internal dependencies between the entries that create the
 * two objects. Partition dependencies (P/S) are left out: the attach entries carry those.
 */
export async function addCatalogDependencies(client: pg.Client, toc: TocBuilder): Promise<void> {
	const {rows} = await client.query<DependRow>(
		`SELECT d.classid::pg_catalog.regclass::text AS catalog, d.objid,
			d.refclassid::pg_catalog.regclass::text AS ref_catalog, d.refobjid
		FROM pg_catalog.pg_depend d
		WHERE d.deptype IN ('n', 'a', 'i') AND d.objid >= ${FIRST_NORMAL_OBJECT_ID} AND d.refobjid >= ${FIRST_NORMAL_OBJECT_ID}`,
	);
	for (const row of rows) {
		const from = toc.entryAt(row.catalog, row.objid);
		const to = toc.entryAt(row.ref_catalog, row.refobjid);
		if (from !== undefined && to !== undefined && from !== to) toc.dependOn(from, to);
	}
}

/**
 * A partitioned index is valid only once every partition's index is attached: a foreign key that
 * references it must wait for those attach entries too.
 */
export function addPartitionedIndexDependencies(toc: TocBuilder): void {
	const attachesUnder = new Map<string, string[]>();
	const childOfAttach = new Map<string, string>();
	for (const entry of toc.entries.values()) {
		if (entry.kind !== 'index-attach') continue;
		const [parent, child] = entry.dependsOn;
		attachesUnder.set(parent, [...(attachesUnder.get(parent) ?? []), entry.id]);
		childOfAttach.set(entry.id, child);
	}
	const closure = (index: string, seen = new Set<string>()): string[] => {
		if (seen.has(index)) return [];
		seen.add(index);
		return (attachesUnder.get(index) ?? []).flatMap((attach) => [attach, ...closure(childOfAttach.get(attach)!, seen)]);
	};
	for (const entry of toc.entries.values()) {
		if (entry.kind !== 'foreign-key') continue;
		for (const dependency of [...entry.dependsOn]) {
			if (attachesUnder.has(dependency)) toc.dependOn(entry.id, ...closure(dependency));
		}
	}
}
