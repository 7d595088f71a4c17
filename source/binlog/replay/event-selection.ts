/**
 * Which events of a transaction the replay applies: rows events by their TABLE_MAP's database and table,
 * statements by their default database (as mariadb-binlog --database does); transaction control always.
 */
import type {QueryEvent, TableMapEvent} from '../event/decoded.ts';
import {filterAccepts, filterIsEmpty, type EventFilter} from '../stream/feed.ts';

export type StatementKind = 'begin' | 'commit' | 'rollback' | 'savepoint' | 'xa' | 'statement';

/** What a QUERY event's text does to the transaction. */
export function statementKind(sql: string): StatementKind {
	const head = sql.trimStart().slice(0, 32).toUpperCase();
	if (/^(BEGIN|START\s+TRANSACTION)\b/.test(head)) return 'begin';
	if (/^COMMIT\b/.test(head)) return 'commit';
	if (/^ROLLBACK\s+TO\b/.test(head) || /^(SAVEPOINT|RELEASE\s+SAVEPOINT)\b/.test(head)) return 'savepoint';
	if (/^ROLLBACK\b/.test(head)) return 'rollback';
	if (/^XA\b/.test(head)) return 'xa';
	return 'statement';
}

export type StatementVerdict = 'apply' | 'other-database' | 'no-database';

export class EventSelection {
	readonly #tables = new Map<bigint, boolean>();
	readonly #renamed: Array<{source: string; pattern: RegExp}>;

	constructor(
		private readonly filter: EventFilter | undefined,
		private readonly renames: Map<string, string> | undefined,
	) {
		this.#renamed = [...(renames?.keys() ?? [])].map((source) => ({source, pattern: identifierPattern(source)}));
	}

	get filtered(): boolean {
		return !filterIsEmpty(this.filter);
	}

	/** a TABLE_MAP: its rows events are applied when it is */
	tableMap(event: TableMapEvent): boolean {
		const keep = filterAccepts(this.filter, event.schema, event.table);
		this.#tables.set(event.tableId, keep);
		return keep;
	}

	/** a rows event, by the TABLE_MAP of its table id in this transaction */
	rows(tableId: bigint): boolean {
		return this.#tables.get(tableId) ?? false;
	}

	statement(event: QueryEvent): StatementVerdict {
		if (!this.filtered) return 'apply';
		if (event.schema === '') return 'no-database';
		return filterAccepts(this.filter, event.schema, undefined) ? 'apply' : 'other-database';
	}

	/** The database a renamed statement names outright (it would not go to the new name), if any. */
	namedRenamedDatabase(event: QueryEvent): string | undefined {
		return this.#renamed.find(({pattern}) => pattern.test(event.sql))?.source;
	}

	/** the database the event's objects land in */
	targetOf(schema: string): string {
		return this.renames?.get(schema) ?? schema;
	}

	/** table ids are per transaction */
	endTransaction(): void {
		this.#tables.clear();
	}
}

/** The name as an identifier token: backquoted, or bare between characters that cannot be part of one. */
function identifierPattern(name: string): RegExp {
	const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
	const quoted = name.replace(/`/g, '``').replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
	return new RegExp(`\`${quoted}\`|(?<![\\w$\\u0080-\\uffff])${escaped}(?![\\w$\\u0080-\\uffff])`, 'u');
}
