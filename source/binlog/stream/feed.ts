import type {EventPayloads} from '../../core/events.ts';
import type {DecodedEvent} from '../event/decoded.ts';
import {eventTypeName} from '../event/types.ts';

/** --databases / --tables: which events the feed (and replay) shows; the raw files stay complete. */
export interface EventFilter {
	databases?: string[];
	/** `db.table` or a bare table name (any database) */
	tables?: string[];
}

export function filterIsEmpty(filter: EventFilter | undefined): boolean {
	return !filter || ((filter.databases?.length ?? 0) === 0 && (filter.tables?.length ?? 0) === 0);
}

/**
 * True when an event about `schema`.`table` passes the filter. With a filter set, events about no
 * database (GTID, XID, rotations) do not pass; a statement passes on its default database.
 */
export function filterAccepts(filter: EventFilter | undefined, schema: string | undefined, table: string | undefined): boolean {
	if (filterIsEmpty(filter)) return true;
	if (schema === undefined || schema === '') return false;
	if (filter!.databases?.length && !filter!.databases.includes(schema)) return false;
	const tables = filter!.tables ?? [];
	if (tables.length === 0) return true;
	return tables.some((entry) => {
		const dot = entry.indexOf('.');
		const entrySchema = dot < 0 ? undefined : entry.slice(0, dot);
		const entryTable = dot < 0 ? entry : entry.slice(dot + 1);
		if (entrySchema !== undefined && entrySchema !== schema) return false;
		return table === undefined || entryTable === table;
	});
}

let timeSeconds = -1;
let timeText = '';

/** Events carry whole seconds and come thousands a second: one string per second. */
function eventTimeText(seconds: number): string {
	if (seconds !== timeSeconds) {
		timeSeconds = seconds;
		timeText = new Date(seconds * 1000).toISOString();
	}
	return timeText;
}

/** The feed line of one event: what it is, where, and for rows events how many rows. */
export function feedEntry(event: DecodedEvent, file: string, gtid: string | undefined): EventPayloads['binlog-event'] {
	const entry: EventPayloads['binlog-event'] = {
		eventTime: eventTimeText(event.header.timestamp),
		file,
		pos: event.header.logPos - event.header.eventSize,
		eventType: eventTypeName(event.header.type),
	};
	if (gtid !== undefined) entry.gtid = gtid;
	const {schema, table} = eventObject(event);
	if (schema !== undefined && schema !== '') entry.schema = schema;
	if (table !== undefined) entry.table = table;
	if (event.kind === 'rows') entry.rows = event.rowCount;
	return entry;
}

export function eventObject(event: DecodedEvent): {schema?: string; table?: string} {
	switch (event.kind) {
		case 'table-map':
			return {schema: event.schema, table: event.table};
		case 'rows':
			return {schema: event.schema, table: event.table};
		case 'query':
			return {schema: event.schema};
		default:
			return {};
	}
}
