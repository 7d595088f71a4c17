import type {MysqlConnection} from '../../core/connect.ts';
import {WorkError} from '../../core/errors.ts';
import {qualifiedName} from './identifiers.ts';

export interface TableName {
	database: string;
	name: string;
}

/** Tables opened by one statement: keeps it far below max_allowed_packet and the open-table cache. */
const TABLES_PER_STATEMENT = 200;

/** The server errors a snapshot read gets when a table's definition changed after the snapshot. */
const DEFINITION_CHANGED_ERRORS = new Map([
	[1412, 'its definition changed after the snapshot (ER_TABLE_DEF_CHANGED)'],
	[1054, 'a column it had at the snapshot is gone (ER_BAD_FIELD_ERROR)'],
	[1146, 'it was dropped or renamed after the snapshot (ER_NO_SUCH_TABLE)'],
]);

/** One statement that opens every table without reading a row. */
export function openTablesStatement(tables: TableName[]): string {
	return tables.map((table) => `(SELECT 1 FROM ${qualifiedName(table.database, table.name)} LIMIT 0)`).join(' UNION ALL ');
}

/**
 * Takes a shared metadata lock on every table, on every connection, inside their snapshot transactions.
 * A statement in a transaction keeps its metadata locks until the transaction ends, so an ALTER, DROP,
 * RENAME or TRUNCATE of a dumped table waits until the dump has read it (as with Percona's --lock-ddl).
 *
 * Every connection holds the locks itself: a connection asking for one later would queue behind the
 * waiting ALTER's exclusive request (a pending exclusive lock goes first) and so wait for the very dump
 * that blocks the ALTER. A lock a connection already holds is granted to it again at once.
 */
export async function holdTableDefinitions(connections: MysqlConnection[], tables: TableName[]): Promise<void> {
	const batches: TableName[][] = [];
	for (let index = 0; index < tables.length; index += TABLES_PER_STATEMENT) batches.push(tables.slice(index, index + TABLES_PER_STATEMENT));
	await Promise.all(
		connections.map(async (connection) => {
			for (const batch of batches) {
				try {
					await connection.query(openTablesStatement(batch));
				} catch (error) {
					throw new WorkError({
						code: 'TABLE_LOCK_FAILED',
						message: `could not open the tables to dump to hold their definitions: ${serverMessage(error)}`,
						hint: 'Every dumped table must be readable by the user (SELECT) and its storage engine available.',
						cause: error,
					});
				}
			}
		}),
	);
}

function serverMessage(error: unknown): string {
	const {sqlMessage, message} = (error ?? {}) as {sqlMessage?: string; message?: string};
	return sqlMessage ?? message ?? String(error);
}

/**
 * The typed error for a read of `table` that failed because DDL changed the table after the snapshot
 * (possible with --no-lock or without the DDL lock); undefined for any other failure.
 */
export function definitionChangedError(error: unknown, table: TableName): WorkError | undefined {
	const errno = (error ?? {}) as {errno?: number};
	const reason = typeof errno.errno === 'number' ? DEFINITION_CHANGED_ERRORS.get(errno.errno) : undefined;
	if (!reason) return undefined;
	return new WorkError({
		code: 'TABLE_CHANGED_DURING_DUMP',
		message: `${table.database}.${table.name} changed while it was being dumped: ${reason}, so its rows would not match the definition at the recorded coordinates (server: ${serverMessage(error)})`,
		hint: 'Run the backup again. Keep the DDL lock on (the default) so that DDL on the dumped tables waits for the dump, or run DDL outside the backup window.',
		cause: error,
	});
}
