import {connectMysql} from '../../core/connect.ts';
import type {ConnectionSettings} from '../../core/connection-settings.ts';
import {EventBus} from '../../core/events.ts';
import {RowChecksum} from '../row-checksum.ts';
import type {TableChecksum} from '../types.ts';
import {readCatalog} from './catalog.ts';
import {chunkStatements} from './chunk-writer.ts';
import {prepareReadSession} from './consistency.ts';
import {readRowPackets} from './row-packets.ts';
import {readServerVersion} from './server.ts';

/**
 * Every base table of `database` with its row count and row checksum, read the way the dump reads it
 * (the dump's session, the same SELECT of the same columns, the row packets as the server sends them),
 * so a restored copy can be compared with what the backup's manifest recorded.
 */
export async function mysqlTableChecksums(settings: ConnectionSettings, database: string): Promise<TableChecksum[]> {
	const connection = await connectMysql(settings);
	try {
		await prepareReadSession(connection, await readServerVersion(connection));
		await connection.query('START TRANSACTION WITH CONSISTENT SNAPSHOT');
		// the catalog's warnings (objects it cannot re-create) are the backup's business, not this count's
		const catalog = await readCatalog(connection, [database], new EventBus());
		const result: TableChecksum[] = [];
		for (const table of catalog.databases.flatMap((entry) => entry.tables)) {
			const checksum = new RowChecksum();
			const statements = chunkStatements({table, index: 0, estimatedRows: table.estimatedRows});
			if (statements) await readRowPackets(connection, statements.select, (row, start, end) => checksum.addRow(row, start, end)).done;
			result.push({name: table.name, rows: checksum.rows, checksum: checksum.digest()});
		}
		await connection.query('COMMIT');
		return result;
	} finally {
		await connection.end().catch(() => undefined);
	}
}
