import type {RowDataPacket} from 'mysql2/promise';
import type {MysqlConnection} from '../../core/connect.ts';
import {WorkError} from '../../core/errors.ts';
import {qualifiedName, quoteIdentifier} from './identifiers.ts';
import {objectComment, useDatabase, type PlacementOptions} from './script-text.ts';

/** A MariaDB SEQUENCE (10.3+): its definition and where it stands. */
export interface SequenceInfo {
	database: string;
	name: string;
	/** SHOW CREATE SEQUENCE: `CREATE SEQUENCE `s` start with … ENGINE=InnoDB` */
	createStatement: string;
	/** next_not_cached_value, as exact decimal text: what NEXTVAL returns first once restored */
	nextValue: string;
	/** cycle_count: how many times a CYCLE sequence has wrapped */
	round: string;
}

type Row = RowDataPacket & Record<string, unknown>;

function text(value: unknown): string {
	if (value === null || value === undefined) return '';
	return Buffer.isBuffer(value) ? value.toString('utf8') : String(value);
}

/**
 * The sequences of `database`, in name order. Read on a connection inside the dump's snapshot, the
 * position is the one the snapshot saw: every value a dumped row holds was handed out before it.
 */
export async function readSequences(connection: MysqlConnection, database: string): Promise<SequenceInfo[]> {
	const [listed] = await connection.query<Row[]>(
		"SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'SEQUENCE' ORDER BY TABLE_NAME",
		[database],
	);
	const sequences: SequenceInfo[] = [];
	for (const row of listed) {
		const name = text(row.name);
		const qualified = qualifiedName(database, name);
		const [created] = await connection.query<Row[]>({sql: `SHOW CREATE SEQUENCE ${qualified}`, rowsAsArray: true});
		const [state] = await connection.query<Row[]>(
			// as text: a BIGINT position must not pass through a JS number
			`SELECT CAST(next_not_cached_value AS CHAR) AS nextValue, CAST(cycle_count AS CHAR) AS round FROM ${qualified}`,
		);
		const createStatement = text((created as unknown as unknown[][])[0]?.[1]);
		if (!createStatement || state.length !== 1) {
			throw new WorkError({code: 'SHOW_CREATE_FAILED', message: `sequence ${database}.${name} could not be read`});
		}
		sequences.push({database, name, createStatement, nextValue: text(state[0].nextValue), round: text(state[0].round)});
	}
	return sequences;
}

/**
 * Re-creates the sequence and puts it where it stood: SETVAL with is_used = 0 makes `nextValue` the
 * next value handed out, and the round restores a CYCLE sequence's wrap count. A sequence that had run
 * out (next_not_cached_value past its end) is set past its end too, so it has run out on the copy as well.
 *
 * The server keeps `cache` values in memory and writes next_not_cached_value ahead of them. The copy
 * goes on from there, as the source itself does after a restart or FLUSH TABLES: no value is handed
 * out twice, and values the source had cached but not used are skipped, as on any server restart.
 * Run it before the tables: a column DEFAULT NEXTVAL(s) needs the sequence to exist.
 */
export function createSequenceScript(sequence: SequenceInfo, placement: PlacementOptions = {use: true}): string {
	if (!/^-?\d+$/.test(sequence.nextValue) || !/^\d+$/.test(sequence.round)) {
		throw new Error(`sequence ${sequence.database}.${sequence.name}: unexpected position ${sequence.nextValue} round ${sequence.round}`);
	}
	return (
		`\n${objectComment('sequence', sequence.database, sequence.name)}\n${placement.use ? useDatabase(sequence.database) : ''}${sequence.createStatement};\n` +
		`SELECT SETVAL(${quoteIdentifier(sequence.name)}, ${sequence.nextValue}, 0, ${sequence.round});\n`
	);
}
