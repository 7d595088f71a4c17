import type pg from 'pg';
import {qualifiedName} from '../identifiers.ts';
import {notInExtension, userSchema} from './catalog-filters.ts';
import {entryId, type TocBuilder} from './toc-builder.ts';

interface StatisticsRow {
	oid: number;
	nspname: string;
	stxname: string;
	stxrelid: number;
	definition: string;
	target: number | null;
	owner: string;
}

/** Extended statistics objects (CREATE STATISTICS), with their statistics target where set. */
export async function readStatistics(client: pg.Client, toc: TocBuilder): Promise<void> {
	const {rows} = await client.query<StatisticsRow>(
		`SELECT s.oid, n.nspname, s.stxname, s.stxrelid, pg_catalog.pg_get_statisticsobjdef(s.oid) AS definition,
			s.stxstattarget AS target, pg_catalog.pg_get_userbyid(s.stxowner) AS owner
		FROM pg_catalog.pg_statistic_ext s JOIN pg_catalog.pg_namespace n ON n.oid = s.stxnamespace
		WHERE ${userSchema('n')} AND ${notInExtension('pg_statistic_ext', 's.oid')}
		ORDER BY n.nspname, s.stxname`,
	);
	for (const row of rows) {
		const table = toc.objectAt('pg_class', row.stxrelid);
		if (!table?.entryId || !table.schema) continue;
		const id = entryId('statistics', row.nspname, row.stxname);
		const name = qualifiedName(row.nspname, row.stxname);
		const statements = [`${row.definition};`];
		if (row.target !== null && row.target >= 0) statements.push(`ALTER STATISTICS ${name} SET STATISTICS ${row.target};`);
		const tableRef = {schema: table.schema, name: table.name};
		toc.addDescribed(
			'pg_statistic_ext',
			row.oid,
			{id, kind: 'statistics', section: 'post-data', schema: row.nspname, name: row.stxname, table: tableRef, sql: `${statements.join('\n')}\n`, dependsOn: [table.entryId], owner: row.owner},
			{sqlName: `STATISTICS ${name}`},
		);
	}
}
