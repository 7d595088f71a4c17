import assert from 'node:assert/strict';
import {after, before, describe, test} from 'node:test';
import type {Connection, RowDataPacket} from 'mysql2/promise';
import {EventBus} from '../../../source/core/events.ts';
import {createSequenceScript, readSequences, type SequenceInfo} from '../../../source/engines/mysql-logical/sequences.ts';
import {applySqlScript} from '../../../source/engines/mysql-logical/sql-script/apply.ts';
import {mariadbConnection, uniqueName} from '../../harness/db.ts';

describe('createSequenceScript', () => {
	const sequence: SequenceInfo = {
		database: 'shop db',
		name: 'order`s',
		createStatement: 'CREATE SEQUENCE `order``s` start with 1 minvalue 1 maxvalue 9223372036854775806 increment by 1 cache 1000 nocycle ENGINE=InnoDB',
		nextValue: '9223372036854775001',
		round: '0',
	};

	test('creates the sequence in its database and sets the next value as not yet used', () => {
		assert.equal(
			createSequenceScript(sequence),
			'\n-- sequence shop db.order`s\nUSE `shop db`;\n' +
				'CREATE SEQUENCE `order``s` start with 1 minvalue 1 maxvalue 9223372036854775806 increment by 1 cache 1000 nocycle ENGINE=InnoDB;\n' +
				'SELECT SETVAL(`order``s`, 9223372036854775001, 0, 0);\n',
		);
	});

	test('negative positions and rounds of a cycling sequence', () => {
		assert.match(createSequenceScript({...sequence, nextValue: '-13', round: '4'}), /SELECT SETVAL\(`order``s`, -13, 0, 4\);\n$/);
	});

	test('a position that is not an integer is refused rather than written into SQL', () => {
		assert.throws(() => createSequenceScript({...sequence, nextValue: '1; DROP TABLE x'}), /unexpected position/);
		assert.throws(() => createSequenceScript({...sequence, round: ''}), /unexpected position/);
	});
});

type Row = RowDataPacket & Record<string, unknown>;

async function* chunks(text: string): AsyncGenerator<string> {
	yield text;
}

describe('readSequences and createSequenceScript on the real server', () => {
	let admin: Connection;
	const database = uniqueName('seq');
	const weird = 'ñ`seq 表';
	const quotedWeird = '`ñ``seq 表`';

	before(async () => {
		admin = await mariadbConnection({multipleStatements: true});
	});

	after(async () => {
		await admin.query(`DROP DATABASE IF EXISTS ${database}`);
		await admin.end();
	});

	async function createSequences(): Promise<void> {
		await admin.query(`
			CREATE DATABASE ${database};
			USE ${database};
			CREATE SEQUENCE fresh;
			CREATE SEQUENCE nocached NOCACHE;
			CREATE SEQUENCE cached START WITH 100 INCREMENT BY 7 CACHE 10;
			CREATE SEQUENCE downward START WITH -1 INCREMENT BY -3 MINVALUE -100 MAXVALUE -1 CACHE 2;
			CREATE SEQUENCE wrapped START WITH 1 MAXVALUE 3 CYCLE NOCACHE;
			CREATE SEQUENCE spent START WITH 5 MINVALUE 1 MAXVALUE 7 NOCACHE NOCYCLE;
			CREATE SEQUENCE big START WITH 9007199254740993 NOCACHE;
			CREATE SEQUENCE ${quotedWeird} ENGINE=Aria COMMENT 'tickets, (2026)';
			SELECT NEXTVAL(nocached), NEXTVAL(nocached), NEXTVAL(nocached);
			SELECT NEXTVAL(cached), NEXTVAL(cached);
			SELECT NEXTVAL(downward), NEXTVAL(downward), NEXTVAL(downward);
			SELECT NEXTVAL(wrapped), NEXTVAL(wrapped), NEXTVAL(wrapped), NEXTVAL(wrapped);
			SELECT NEXTVAL(spent), NEXTVAL(spent), NEXTVAL(spent);
			SELECT NEXTVAL(big);
			SELECT NEXTVAL(${quotedWeird});
		`);
	}

	/** The next few values, or where the sequence runs out. */
	async function nextValues(name: string): Promise<string[]> {
		const values: string[] = [];
		for (let index = 0; index < 4; index += 1) {
			try {
				const [[row]] = await admin.query<Row[]>(`SELECT CAST(NEXTVAL(${database}.\`${name.replaceAll('`', '``')}\`) AS CHAR) AS v`);
				values.push(String(row.v));
			} catch (error) {
				values.push(`error ${(error as {errno?: number}).errno}`);
				break;
			}
		}
		return values;
	}

	async function showCreate(name: string): Promise<string> {
		const [[row]] = await admin.query<Row[]>(`SHOW CREATE SEQUENCE ${database}.\`${name.replaceAll('`', '``')}\``);
		return String(row['Create Table']);
	}

	test('dump, drop, restore: same definitions, and NEXTVAL goes on as it does on the source', async () => {
		await createSequences();
		// read the way the dump does: inside a consistent snapshot
		await admin.query('SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ; START TRANSACTION WITH CONSISTENT SNAPSHOT');
		const sequences = await readSequences(admin, database);
		await admin.query('COMMIT');
		const names = sequences.map((sequence) => sequence.name);
		// in the server's name order (ñ sorts with n)
		assert.deepEqual(names, ['big', 'cached', 'downward', 'fresh', 'nocached', weird, 'spent', 'wrapped']);
		const byName = new Map(sequences.map((sequence) => [sequence.name, sequence]));
		assert.equal(byName.get('big')!.nextValue, '9007199254740994', 'beyond 2^53, exact');
		assert.equal(byName.get('wrapped')!.round, '1');

		const definitions = new Map<string, string>();
		for (const name of names) definitions.set(name, await showCreate(name));
		// the source hands out its in-memory cache first; after FLUSH TABLES it goes on from
		// next_not_cached_value, which is where the copy must go on
		await admin.query(`FLUSH TABLES ${names.map((name) => `${database}.\`${name.replaceAll('`', '``')}\``).join(', ')}`);
		const expected = new Map<string, string[]>();
		for (const name of names) expected.set(name, await nextValues(name));
		assert.deepEqual(expected.get('nocached'), ['4', '5', '6', '7']);
		assert.deepEqual(expected.get('wrapped'), ['2', '3', '1', '2']);
		assert.deepEqual(expected.get('spent'), ['error 4084']);
		assert.deepEqual(expected.get('downward'), ['-13', '-16', '-19', '-22']);
		assert.deepEqual(expected.get('fresh'), ['1', '2', '3', '4']);

		await admin.query(`DROP DATABASE ${database}; CREATE DATABASE ${database}`);
		const script = sequences.map((sequence) => createSequenceScript(sequence)).join('');
		const result = await applySqlScript({connection: admin, source: chunks(script), bus: new EventBus()});
		assert.deepEqual(result.errors, []);
		for (const name of names) {
			assert.equal(await showCreate(name), definitions.get(name), `SHOW CREATE SEQUENCE ${name}`);
			assert.deepEqual(await nextValues(name), expected.get(name), `NEXTVAL ${name}`);
		}
	});

	test('the checks can fail: without SETVAL a used sequence starts over', async () => {
		await admin.query(`DROP DATABASE IF EXISTS ${database}`);
		await createSequences();
		const [nocached] = (await readSequences(admin, database)).filter((sequence) => sequence.name === 'nocached');
		await admin.query(`DROP SEQUENCE ${database}.nocached; USE ${database}`);
		await admin.query(nocached.createStatement);
		assert.notDeepEqual(await nextValues('nocached'), ['4', '5', '6', '7']);
	});

	test('a database without sequences gives none', async () => {
		const empty = uniqueName('noseq');
		await admin.query(`CREATE DATABASE ${empty}; CREATE TABLE ${empty}.t (id INT PRIMARY KEY)`);
		try {
			assert.deepEqual(await readSequences(admin, empty), []);
		} finally {
			await admin.query(`DROP DATABASE ${empty}`);
		}
	});
});
