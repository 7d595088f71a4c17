import type pg from 'pg';
import {quoteIdent} from '../identifiers.ts';
import {entryId, type TocBuilder} from './toc-builder.ts';

/** pg_trigger.tgenabled / pg_rewrite.ev_enabled other than 'O' (enabled, the default). */
const FIRING: Record<string, string> = {D: 'DISABLE', R: 'ENABLE REPLICA', A: 'ENABLE ALWAYS'};

interface TriggerRow {
	oid: number;
	tgrelid: number;
	tgname: string;
	definition: string;
	tgenabled: string;
}

/** User triggers; not the internal ones (foreign keys) nor the copies a partitioned table's trigger makes on its partitions. */
export async function readTriggers(client: pg.Client, toc: TocBuilder): Promise<void> {
	const {rows} = await client.query<TriggerRow>(
		`SELECT tg.oid, tg.tgrelid, tg.tgname, pg_catalog.pg_get_triggerdef(tg.oid) AS definition, tg.tgenabled
		FROM pg_catalog.pg_trigger tg
		WHERE NOT tg.tgisinternal AND tg.tgparentid = 0
		ORDER BY tg.tgrelid, tg.tgname`,
	);
	for (const row of rows) {
		const table = toc.objectAt('pg_class', row.tgrelid);
		if (!table?.entryId || !table.qualified || !table.schema) continue;
		const id = entryId('trigger', table.schema, table.name, row.tgname);
		const statements = [`${row.definition};`];
		const firing = FIRING[row.tgenabled];
		if (firing) statements.push(`ALTER TABLE ${table.qualified} ${firing} TRIGGER ${quoteIdent(row.tgname)};`);
		const tableRef = {schema: table.schema, name: table.name};
		toc.addDescribed(
			'pg_trigger',
			row.oid,
			{id, kind: 'trigger', section: 'post-data', schema: table.schema, name: row.tgname, table: tableRef, sql: `${statements.join('\n')}\n`, dependsOn: [table.entryId]},
			{sqlName: `TRIGGER ${quoteIdent(row.tgname)} ON ${table.qualified}`},
		);
	}
}

interface RuleRow {
	oid: number;
	ev_class: number;
	rulename: string;
	definition: string;
	ev_enabled: string;
}

/** Rules other than views' _RETURN rules (those are the views' definitions). */
export async function readRules(client: pg.Client, toc: TocBuilder): Promise<void> {
	const {rows} = await client.query<RuleRow>(
		`SELECT r.oid, r.ev_class, r.rulename, pg_catalog.pg_get_ruledef(r.oid) AS definition, r.ev_enabled
		FROM pg_catalog.pg_rewrite r
		WHERE r.rulename <> '_RETURN'
		ORDER BY r.ev_class, r.rulename`,
	);
	for (const row of rows) {
		const table = toc.objectAt('pg_class', row.ev_class);
		if (!table?.entryId || !table.qualified || !table.schema) continue;
		const id = entryId('rule', table.schema, table.name, row.rulename);
		const statements = [row.definition.trim().endsWith(';') ? row.definition.trim() : `${row.definition.trim()};`];
		const firing = FIRING[row.ev_enabled];
		if (firing) statements.push(`ALTER TABLE ${table.qualified} ${firing} RULE ${quoteIdent(row.rulename)};`);
		const tableRef = {schema: table.schema, name: table.name};
		toc.addDescribed(
			'pg_rewrite',
			row.oid,
			{id, kind: 'rule', section: 'post-data', schema: table.schema, name: row.rulename, table: tableRef, sql: `${statements.join('\n')}\n`, dependsOn: [table.entryId]},
			{sqlName: `RULE ${quoteIdent(row.rulename)} ON ${table.qualified}`},
		);
	}
}
