import type pg from 'pg';
import {quoteIdent, quoteLiteral} from '../identifiers.ts';
import {notInExtension} from './catalog-filters.ts';
import {entryId, type TocBuilder} from './toc-builder.ts';

interface EventTriggerRow {
	oid: number;
	evtname: string;
	evtevent: string;
	function: string;
	evttags: string[] | null;
	evtenabled: string;
	owner: string;
}

const FIRING: Record<string, string> = {D: 'DISABLE', R: 'ENABLE REPLICA', A: 'ENABLE ALWAYS'};

/**
 * Event triggers. They would fire on the restore's own DDL, so the ordering makes each depend on every
 * other entry (see order.ts): they are created last, as pg_restore does.
 */
export async function readEventTriggers(client: pg.Client, toc: TocBuilder): Promise<void> {
	const {rows} = await client.query<EventTriggerRow>(
		`SELECT e.oid, e.evtname, e.evtevent, e.evtfoid::pg_catalog.regproc::text AS function, e.evttags, e.evtenabled,
			pg_catalog.pg_get_userbyid(e.evtowner) AS owner
		FROM pg_catalog.pg_event_trigger e
		WHERE ${notInExtension('pg_event_trigger', 'e.oid')}
		ORDER BY e.evtname`,
	);
	for (const row of rows) {
		const id = entryId('event-trigger', row.evtname);
		const name = quoteIdent(row.evtname);
		let create = `CREATE EVENT TRIGGER ${name} ON ${quoteIdent(row.evtevent)}`;
		if (row.evttags?.length) create += `\n\tWHEN TAG IN (${row.evttags.map(quoteLiteral).join(', ')})`;
		create += `\n\tEXECUTE FUNCTION ${row.function}();`;
		const statements = [create];
		const firing = FIRING[row.evtenabled];
		if (firing) statements.push(`ALTER EVENT TRIGGER ${name} ${firing};`);
		toc.addDescribed(
			'pg_event_trigger',
			row.oid,
			{id, kind: 'event-trigger', section: 'post-data', name: row.evtname, sql: `${statements.join('\n')}\n`, owner: row.owner},
			{sqlName: `EVENT TRIGGER ${name}`},
		);
	}
}
