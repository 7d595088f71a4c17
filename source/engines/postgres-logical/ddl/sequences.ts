import type pg from 'pg';
import {qualifiedName, quoteIdent, quoteLiteral} from '../identifiers.ts';
import {notInExtension, userSchema} from './catalog-filters.ts';
import {entryId, type TocBuilder} from './toc-builder.ts';

export interface SequenceRow {
	oid: number;
	nspname: string;
	relname: string;
	relpersistence: string;
	type: string;
	seqstart: string;
	seqincrement: string;
	seqmax: string;
	seqmin: string;
	seqcache: string;
	seqcycle: boolean;
	owner: string;
	/** OWNED BY (deptype a) or identity (deptype i) */
	owned_table: number | null;
	owned_column: string | null;
	owned_kind: 'a' | 'i' | null;
}

/** `START WITH … CYCLE`: the options of CREATE SEQUENCE and of an identity column's sequence. */
export function sequenceOptions(row: SequenceRow): string[] {
	return [
		`START WITH ${row.seqstart}`,
		`INCREMENT BY ${row.seqincrement}`,
		`MINVALUE ${row.seqmin}`,
		`MAXVALUE ${row.seqmax}`,
		`CACHE ${row.seqcache}`,
		row.seqcycle ? 'CYCLE' : 'NO CYCLE',
	];
}

export async function listSequences(client: pg.Client): Promise<SequenceRow[]> {
	const {rows} = await client.query<SequenceRow>(
		`SELECT c.oid, n.nspname, c.relname, c.relpersistence, pg_catalog.format_type(s.seqtypid, NULL) AS type,
			s.seqstart::text, s.seqincrement::text, s.seqmax::text, s.seqmin::text, s.seqcache::text, s.seqcycle,
			pg_catalog.pg_get_userbyid(c.relowner) AS owner,
			d.refobjid AS owned_table,
			(SELECT a.attname FROM pg_catalog.pg_attribute a WHERE a.attrelid = d.refobjid AND a.attnum = d.refobjsubid) AS owned_column,
			d.deptype AS owned_kind
		FROM pg_catalog.pg_class c
			JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
			JOIN pg_catalog.pg_sequence s ON s.seqrelid = c.oid
			LEFT JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.objid = c.oid
				AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.deptype IN ('a', 'i')
		WHERE c.relkind = 'S' AND ${userSchema('n')} AND ${notInExtension('pg_class', 'c.oid')}
		ORDER BY n.nspname, c.relname`,
	);
	return rows;
}

/** last_value and is_called of each sequence, read from the sequence relations inside the snapshot. */
async function readSequenceValues(client: pg.Client, sequences: SequenceRow[]): Promise<Map<number, {last: string; called: boolean}>> {
	const values = new Map<number, {last: string; called: boolean}>();
	const batch = 200;
	for (let start = 0; start < sequences.length; start += batch) {
		const part = sequences.slice(start, start + batch);
		const query = part
			.map((sequence, index) => `SELECT ${index} AS i, last_value::text AS last, is_called FROM ${qualifiedName(sequence.nspname, sequence.relname)}`)
			.join(' UNION ALL ');
		const {rows} = await client.query<{i: number; last: string; is_called: boolean}>(query);
		for (const row of rows) values.set(part[row.i].oid, {last: row.last, called: row.is_called});
	}
	return values;
}

/**
 * Sequences that are not an identity column's (those belong to their table's entry), their OWNED BY
 * (after the table and both owners: OWNED BY needs one owner), and every sequence's current value
 * as a `sequence-set` entry of the data section.
 * `tableEntry` gives the entry id of an owning table, read before.
 */
export async function readSequences(
	client: pg.Client,
	toc: TocBuilder,
	sequences: SequenceRow[],
	tableEntry: (tableOid: number) => string | undefined,
): Promise<void> {
	const values = await readSequenceValues(client, sequences);
	for (const row of sequences) {
		const name = qualifiedName(row.nspname, row.relname);
		const identity = row.owned_kind === 'i';
		const ownerTable = row.owned_table === null ? undefined : tableEntry(row.owned_table);
		const id = identity && ownerTable ? ownerTable : entryId('sequence', row.nspname, row.relname);
		if (!identity) {
			const unlogged = row.relpersistence === 'u' ? 'UNLOGGED ' : '';
			toc.add({
				id,
				kind: 'sequence',
				section: 'pre-data',
				schema: row.nspname,
				name: row.relname,
				sql: `CREATE ${unlogged}SEQUENCE ${name}\n\tAS ${row.type}\n\t${sequenceOptions(row).join('\n\t')};\n`,
				owner: row.owner,
			});
		}
		toc.describe('pg_class', row.oid, {
			id: entryId('sequence', row.nspname, row.relname),
			entryId: id,
			section: 'pre-data',
			kind: 'sequence',
			schema: row.nspname,
			name: row.relname,
			sqlName: `SEQUENCE ${name}`,
			grantName: `SEQUENCE ${name}`,
			qualified: name,
			// an identity sequence follows its table's owner
			owner: identity ? undefined : row.owner,
		});
		if (row.owned_kind === 'a' && ownerTable && row.owned_column !== null) {
			const table = toc.entries.get(ownerTable);
			const ownedId = entryId('sequence-owned-by', row.nspname, row.relname);
			toc.add({
				id: ownedId,
				kind: 'sequence-owned-by',
				section: 'pre-data',
				schema: row.nspname,
				name: row.relname,
				sql: `ALTER SEQUENCE ${name} OWNED BY ${qualifiedName(table!.schema!, table!.name)}.${quoteIdent(row.owned_column)};\n`,
				dependsOn: [id, ownerTable],
			});
			const sequenceOwner = `owner:${entryId('sequence', row.nspname, row.relname)}`;
			toc.dependOn(ownedId, sequenceOwner, `owner:${ownerTable}`);
		}
		const value = values.get(row.oid);
		if (value) {
			toc.add({
				id: entryId('sequence-set', row.nspname, row.relname),
				kind: 'sequence-set',
				section: 'data',
				schema: row.nspname,
				name: row.relname,
				sql: `SELECT pg_catalog.setval(${quoteLiteral(name)}, ${value.last}, ${value.called});\n`,
				dependsOn: [id],
			});
		}
	}
}
