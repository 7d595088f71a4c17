import assert from 'node:assert/strict';
import {mkdtemp, readdir, rm} from 'node:fs/promises';
import {text} from 'node:stream/consumers';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, before, describe, test} from 'node:test';
import type {Connection, RowDataPacket} from 'mysql2/promise';
import {EventBus} from '../../../source/core/events.ts';
import {definitionChangedError, openTablesStatement} from '../../../source/engines/mysql-logical/ddl-lock.ts';
import {dumpMysql} from '../../../source/engines/mysql-logical/dump.ts';
import {mysqlLogicalEngine} from '../../../source/engines/mysql-logical/index.ts';
import {openArchive} from '../../../source/storage/archive/reader.ts';
import {mariadbConnection, mariadbSettings, uniqueName} from '../../harness/db.ts';
import {DdlThread, sequenceOfDomain} from './ddl-thread.ts';

/** The table's definition and content as the server sees them now. */
async function tableState(connection: Connection, database: string, table: string): Promise<{create: string; checksum: string; rows: number}> {
	const [[created]] = await connection.query<RowDataPacket[]>(`SHOW CREATE TABLE \`${database}\`.\`${table}\``);
	const [[summed]] = await connection.query<RowDataPacket[]>(`CHECKSUM TABLE \`${database}\`.\`${table}\``);
	const [[counted]] = await connection.query<RowDataPacket[]>(`SELECT COUNT(*) AS n FROM \`${database}\`.\`${table}\``);
	return {create: String(created['Create Table']), checksum: String(summed.Checksum), rows: Number(counted.n)};
}

/** The server's own GTID domain and sequence number of a GTID d-s-n. */
function gtidParts(gtid: string): {domain: string; seqNo: number} {
	const [domain, , seqNo] = gtid.split('-');
	return {domain, seqNo: Number(seqNo)};
}

describe('DDL committed while a dump runs', () => {
	let admin: Connection;
	let dir: string;
	const threads: DdlThread[] = [];

	const freshDatabase = async (rows: number): Promise<string> => {
		const database = uniqueName('ddl_dump');
		await admin.query(`
CREATE DATABASE ${database};
USE ${database};
CREATE TABLE ${database}.items (id INT PRIMARY KEY, label VARCHAR(40) NOT NULL, amount DECIMAL(12,2), note TEXT) ENGINE=InnoDB;
INSERT INTO ${database}.items SELECT seq, CONCAT('item ', seq), seq * 1.25, IF(seq % 3 = 0, NULL, REPEAT('x', seq % 50)) FROM seq_1_to_${rows};
CREATE TABLE ${database}.other (id INT PRIMARY KEY, v INT) ENGINE=InnoDB;
INSERT INTO ${database}.other SELECT seq, seq * 7 FROM seq_1_to_500;`);
		return database;
	};

	const ddlThread = async (statement: string, untilWaiting: boolean): Promise<DdlThread> => {
		const thread = new DdlThread(statement, {untilWaiting});
		threads.push(thread);
		await thread.started();
		return thread;
	};

	before(async () => {
		admin = await mariadbConnection({multipleStatements: true});
		dir = await mkdtemp(join(tmpdir(), 'dbbackup-ddl-dump-'));
	});

	after(async () => {
		await Promise.all(threads.map((thread) => thread.stop()));
		const [databases] = await admin.query<RowDataPacket[]>("SELECT SCHEMA_NAME AS name FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE 'ddl\\_dump\\_%' OR SCHEMA_NAME LIKE 'ddl\\_copy\\_%'");
		for (const {name} of databases) if (String(name).includes(`_${process.pid}_`)) await admin.query(`DROP DATABASE \`${name}\``);
		await admin.end();
		await rm(dir, {recursive: true, force: true});
	});

	test('an ALTER issued right after the lock is released waits for the dump; the archive and its restore hold the table as at the coordinates', {timeout: 120_000}, async () => {
		const database = await freshDatabase(3000);
		const atCoordinates = await tableState(admin, database, 'items');
		const alter = await ddlThread(`ALTER TABLE ${database}.items ADD COLUMN c2 INT`, true);
		const bus = new EventBus();
		let stateOnceReleased: string | undefined;
		let alterDoneWhenDataRead: boolean | undefined;
		// 'plan' is the first stage after the lock is released; the listener holds the dump until the ALTER is in the server's queue
		bus.on('stage', (event) => {
			if (event.name === 'plan') stateOnceReleased = alter.fire();
		});
		bus.on('log', (event) => {
			if (event.message.startsWith('table data read')) alterDoneWhenDataRead = alter.done();
		});
		const output = join(dir, 'alter-waits.tar');
		// three workers and chunks of 400 rows: every worker reads `items`, also those that never touched it before the ALTER queued
		const result = await dumpMysql({settings: mariadbSettings(), databases: [database], workers: 3, chunkRows: 400, format: 'archive', compression: 'zstd', output}, bus);
		const outcome = await alter.outcome;

		assert.equal(stateOnceReleased, 'waiting-for-metadata-lock', 'the ALTER waits for the dump instead of changing the table under it');
		assert.equal(alterDoneWhenDataRead, false, 'the ALTER was still waiting when the last row had been read');
		assert.equal(outcome.error, undefined);
		const {domain, seqNo} = gtidParts(outcome.gtid!);
		const recorded = sequenceOfDomain(result.coordinates.gtid ?? '', domain);
		assert.ok(recorded !== undefined && seqNo > recorded, `the ALTER (${outcome.gtid}) is in the binlog after the recorded coordinates (${result.coordinates.gtid}): a replay applies it once`);
		assert.match((await tableState(admin, database, 'items')).create, /`c2` int/, 'the ALTER did complete on the source');

		const archive = await openArchive(output);
		const items = archive.manifest.databases[0].tables.find((table) => table.name === 'items')!;
		const dumpedSchema = await text(archive.readMember(items.schema!));
		assert.doesNotMatch(dumpedSchema, /`c2`/, 'the archive has the definition at the coordinates');
		assert.equal(items.rows, atCoordinates.rows);
		assert.ok(items.members.length > 3, `items was read in ${items.members.length} chunks`);

		const copy = uniqueName('ddl_copy');
		await mysqlLogicalEngine.restore({settings: mariadbSettings(), artifact: output, targetDb: copy, workers: 2}, new EventBus());
		assert.deepEqual(await tableState(admin, copy, 'items'), atCoordinates);
	});

	test('DDL sent while the global lock is held waits: the definitions are read inside the lock, at the coordinates', {timeout: 120_000}, async () => {
		const database = await freshDatabase(500);
		const atCoordinates = await tableState(admin, database, 'items');
		const alter = await ddlThread(`ALTER TABLE ${database}.items ADD COLUMN c2 INT`, true);
		const bus = new EventBus();
		let stateInLock: string | undefined;
		let alterDoneWhenDataRead: boolean | undefined;
		// 'catalog' comes once the snapshots are open and the coordinates read, before any definition is read
		bus.on('stage', (event) => {
			if (event.name === 'catalog') stateInLock = alter.fire();
		});
		bus.on('log', (event) => {
			if (event.message.startsWith('table data read')) alterDoneWhenDataRead = alter.done();
		});
		const output = join(dir, 'in-lock.sql');
		const result = await dumpMysql({settings: mariadbSettings(), databases: [database], workers: 2, chunkRows: 100, format: 'sql', output}, bus);
		const outcome = await alter.outcome;

		assert.equal(stateInLock, 'waiting-for-global-lock', 'no DDL commits while the definitions are read');
		assert.equal(alterDoneWhenDataRead, false, 'once the lock is released the ALTER waits for the table metadata locks');
		const {domain, seqNo} = gtidParts(outcome.gtid!);
		assert.ok(seqNo > (sequenceOfDomain(result.coordinates.gtid ?? '', domain) ?? Infinity), `the ALTER ${outcome.gtid} is after ${result.coordinates.gtid}`);
		const copy = uniqueName('ddl_copy');
		await mysqlLogicalEngine.restore({settings: mariadbSettings(), artifact: output, targetDb: copy, workers: 1}, new EventBus());
		assert.deepEqual(await tableState(admin, copy, 'items'), atCoordinates);
	});

	test('the definitions stay held with --no-lock too: an ALTER after the snapshot waits for the dump', {timeout: 120_000}, async () => {
		const database = await freshDatabase(1000);
		const atSnapshot = await tableState(admin, database, 'items');
		const alter = await ddlThread(`ALTER TABLE ${database}.items DROP COLUMN note`, true);
		const bus = new EventBus();
		let stateOnceOpened: string | undefined;
		bus.on('stage', (event) => {
			if (event.name === 'plan') stateOnceOpened = alter.fire();
		});
		const output = join(dir, 'no-lock-held.sql');
		// a busy shared server may move the coordinates meanwhile: then the dump refuses, which is right too
		const dumped = await dumpMysql({settings: mariadbSettings(), databases: [database], workers: 2, chunkRows: 300, noLock: true, format: 'sql', output}, bus).then(
			() => true,
			(error: Error & {code?: string}) => {
				assert.equal(error.code, 'SNAPSHOT_MOVED');
				return false;
			},
		);
		if (!dumped) return;
		assert.equal(stateOnceOpened, 'waiting-for-metadata-lock');
		assert.equal((await alter.outcome).error, undefined);
		const copy = uniqueName('ddl_copy');
		await mysqlLogicalEngine.restore({settings: mariadbSettings(), artifact: output, targetDb: copy, workers: 1}, new EventBus());
		assert.deepEqual(await tableState(admin, copy, 'items'), atSnapshot);
	});

	test('--no-lock: DDL committed while the definitions are read fails the dump (SNAPSHOT_MOVED) and leaves no artifact', {timeout: 120_000}, async () => {
		const database = await freshDatabase(100);
		const alter = await ddlThread(`ALTER TABLE ${database}.items ADD COLUMN c2 INT`, false);
		const bus = new EventBus();
		let state: string | undefined;
		// 'catalog' comes once the snapshots are open, before the definitions are read and the coordinates read again
		bus.on('stage', (event) => {
			if (event.name === 'catalog') state = alter.fire();
		});
		const output = join(dir, 'no-lock-ddl.sql');
		let failure: (Error & {code?: string}) | undefined;
		await dumpMysql({settings: mariadbSettings(), databases: [database], workers: 2, noLock: true, format: 'sql', output}, bus).catch((error) => (failure = error));
		const outcome = await alter.outcome;
		assert.equal(state, 'finished');
		assert.equal(failure?.code, 'SNAPSHOT_MOVED', `the dump must refuse: ${failure?.message ?? 'it succeeded'}`);
		const [, before, afterwards] = /coordinates were (.*) before and (.*) after/.exec(failure.message)!;
		const {domain, seqNo} = gtidParts(outcome.gtid!);
		const gtidOf = (described: string) => sequenceOfDomain(/GTID (\S+)/.exec(described)?.[1] ?? '', domain) ?? 0;
		assert.ok(gtidOf(before) < seqNo && seqNo <= gtidOf(afterwards), `the ALTER ${outcome.gtid} lies between ${before} and ${afterwards}`);
		assert.deepEqual((await readdir(dir)).filter((name) => name.startsWith('no-lock-ddl')), []);
	});

	for (const {ddl, label} of [
		{ddl: 'ADD COLUMN c2 INT, ALGORITHM=COPY', label: 'a rebuilding ALTER (ER_TABLE_DEF_CHANGED)'},
		{ddl: 'DROP COLUMN note', label: 'a dropped column (ER_BAD_FIELD_ERROR)'},
	]) {
		test(`without the DDL lock, ${label} before the rows are read fails the dump naming the table`, {timeout: 120_000}, async () => {
			const database = await freshDatabase(2000);
			const alter = await ddlThread(`ALTER TABLE ${database}.items ${ddl}`, false);
			const bus = new EventBus();
			let state: string | undefined;
			bus.on('stage', (event) => {
				if (event.name === 'plan') state = alter.fire();
			});
			const output = join(dir, `unlocked-${uniqueName('x')}.tar`);
			await assert.rejects(
				dumpMysql({settings: mariadbSettings(), databases: [database], workers: 2, chunkRows: 500, ddlLock: false, format: 'archive', compression: 'zstd', output}, bus),
				(error: Error & {code?: string; hint?: string}) => {
					assert.equal(error.code, 'TABLE_CHANGED_DURING_DUMP');
					assert.ok(error.message.includes(`${database}.items changed while it was being dumped`), error.message);
					assert.match(error.hint ?? '', /again/);
					return true;
				},
			);
			assert.equal(state, 'finished', 'without the lock nothing holds the ALTER back');
			assert.deepEqual((await readdir(dir)).filter((name) => name.startsWith('unlocked-')), []);
		});
	}

	test('openTablesStatement quotes every name; definitionChangedError maps only the definition-changed errors', () => {
		assert.equal(openTablesStatement([{database: 'd`b', name: 'a b'}, {database: 'x', name: 'ü'}]), '(SELECT 1 FROM `d``b`.`a b` LIMIT 0) UNION ALL (SELECT 1 FROM `x`.`ü` LIMIT 0)');
		const table = {database: 'db', name: 't'};
		for (const errno of [1412, 1054, 1146]) {
			assert.equal(definitionChangedError(Object.assign(new Error('x'), {errno, sqlMessage: 'x'}), table)?.code, 'TABLE_CHANGED_DURING_DUMP');
		}
		assert.equal(definitionChangedError(Object.assign(new Error('lost'), {errno: 2013}), table), undefined);
		assert.equal(definitionChangedError(new Error('plain'), table), undefined);
	});
});
