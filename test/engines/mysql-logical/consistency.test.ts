import assert from 'node:assert/strict';
import {randomInt} from 'node:crypto';
import {mkdtemp, readFile, rm} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, before, describe, test} from 'node:test';
import type {Connection, ResultSetHeader, RowDataPacket} from 'mysql2/promise';
import {mysqlGtidSetContains, parseMysqlGtidSet} from '../../../source/binlog/event/gtid.ts';
import {EventBus} from '../../../source/core/events.ts';
import {openConsistentSnapshot} from '../../../source/engines/mysql-logical/consistency.ts';
import {dumpMysql} from '../../../source/engines/mysql-logical/dump.ts';
import {mysqlLogicalEngine} from '../../../source/engines/mysql-logical/index.ts';
import {openArchive} from '../../../source/storage/archive/reader.ts';
import {uniqueName} from '../../harness/db.ts';
import {mysqlFlavors, type MysqlFlavor} from '../../harness/mysql-flavors.ts';

interface SequenceWriter {
	written: number;
	start(): Promise<void>;
	stop(): Promise<void>;
	/** rows committed at a GTID position */
	rowsAt(gtidPosition: string): number;
}

/**
 * Inserts n = 1, 2, 3… into `seq`, one autocommit transaction each, in a GTID domain of its own: the
 * k-th insert gets the GTID domain-1-(first + k − 1), so a GTID position says exactly how many rows
 * had committed at that point, whatever else the server is doing.
 */
class MariadbSequenceWriter implements SequenceWriter {
	readonly domain = randomInt(1000, 2 ** 31);
	firstSeqNo = 0;
	written = 0;
	private stopped = false;
	private loop?: Promise<void>;

	constructor(private readonly connection: Connection, private readonly table: string) {}

	async start(): Promise<void> {
		await this.connection.query(`SET SESSION gtid_domain_id = ${this.domain}`);
		await this.insertNext();
		const [[{gtid}]] = await this.connection.query<RowDataPacket[]>('SELECT @@last_gtid AS gtid');
		const [domain, , seqNo] = String(gtid).split('-').map(Number);
		assert.equal(domain, this.domain);
		this.firstSeqNo = seqNo;
		this.loop = (async () => {
			while (!this.stopped) await this.insertNext();
		})();
	}

	private async insertNext(): Promise<void> {
		await this.connection.query(`INSERT INTO ${this.table} (n) VALUES (?)`, [this.written + 1]);
		this.written += 1;
	}

	async stop(): Promise<void> {
		this.stopped = true;
		await this.loop;
	}

	/** rows committed at a GTID position (0 when the position does not mention our domain) */
	rowsAt(gtidPosition: string): number {
		const ours = gtidPosition.split(',').find((gtid) => Number(gtid.split('-')[0]) === this.domain);
		return ours ? Number(ours.split('-')[2]) - this.firstSeqNo + 1 : 0;
	}
}

/**
 * MySQL has no GTID domains: the server tells the session each of its transactions' GTID
 * (session_track_gtids = OWN_GTID, in the OK packet), so the writer knows the GTID of each n, and a
 * GTID set (@@gtid_executed) says exactly which of them had committed, whatever else the server does.
 */
class MysqlSequenceWriter implements SequenceWriter {
	written = 0;
	private readonly gtids: {uuid: string; gno: bigint}[] = [];
	private stopped = false;
	private loop?: Promise<void>;

	constructor(private readonly connection: Connection, private readonly table: string) {}

	async start(): Promise<void> {
		await this.connection.query('SET SESSION session_track_gtids = OWN_GTID');
		await this.insertNext();
		this.loop = (async () => {
			while (!this.stopped) await this.insertNext();
		})();
	}

	private async insertNext(): Promise<void> {
		const [result] = await this.connection.query<ResultSetHeader>(`INSERT INTO ${this.table} (n) VALUES (?)`, [this.written + 1]);
		const gtid = (result as ResultSetHeader & {stateChanges?: {gtids?: string[]}}).stateChanges?.gtids?.[0];
		const match = /^([0-9a-f-]{36}):(\d+)$/.exec(gtid ?? '');
		assert.ok(match, `the server reported the insert's GTID: ${gtid}`);
		this.gtids.push({uuid: match[1]!, gno: BigInt(match[2]!)});
		this.written += 1;
	}

	async stop(): Promise<void> {
		this.stopped = true;
		await this.loop;
	}

	rowsAt(gtidSet: string): number {
		const set = parseMysqlGtidSet(gtidSet);
		const held = this.gtids.map(({uuid, gno}) => mysqlGtidSetContains(set, uuid, gno));
		const count = held.filter(Boolean).length;
		// one connection, one insert at a time: the set holds a prefix of them
		assert.ok(held.slice(0, count).every(Boolean), 'the GTID set holds the first inserts and none after a gap');
		return count;
	}
}

function sequenceWriter(flavor: MysqlFlavor, connection: Connection, table: string): SequenceWriter {
	return flavor.name === 'mysql' ? new MysqlSequenceWriter(connection, table) : new MariadbSequenceWriter(connection, table);
}

for (const flavor of mysqlFlavors()) describe(`consistent snapshot on ${flavor.label}`, () => {
	let admin: Connection;
	let writerConnection: Connection;
	let dir: string;
	const database = uniqueName('consistency');
	const mariadbSettings = () => flavor.settings();

	before(async () => {
		admin = await flavor.connection({multipleStatements: true});
		writerConnection = await flavor.connection();
		dir = await mkdtemp(join(tmpdir(), 'dbbackup-consistency-'));
		await admin.query(`CREATE DATABASE ${database}; CREATE TABLE ${database}.seq (n INT PRIMARY KEY, at TIMESTAMP(6) DEFAULT CURRENT_TIMESTAMP(6))`);
	});

	after(async () => {
		await admin.query(`DROP DATABASE ${database}`);
		await admin.end();
		await writerConnection.end();
		await rm(dir, {recursive: true, force: true});
	});

	test('every worker reads the same point: a row committed after the snapshot is seen by none', async () => {
		const snapshot = await openConsistentSnapshot({settings: mariadbSettings(), workers: 4}, new EventBus());
		try {
			const [[{total}]] = await admin.query<RowDataPacket[]>(`SELECT COUNT(*) AS total FROM ${database}.seq`);
			await admin.query(`INSERT INTO ${database}.seq (n) VALUES (-1)`);
			for (const worker of snapshot.workers) {
				const [[{count}]] = await worker.query<RowDataPacket[]>(`SELECT COUNT(*) AS count FROM ${database}.seq`);
				assert.equal(Number(count), Number(total));
			}
			// MariaDB: BACKUP STAGE; MySQL: LOCK INSTANCE FOR BACKUP (held by the dump's control connection) and FTWRL
			assert.equal(snapshot.method, flavor.name === 'mysql' ? 'lock-instance+ftwrl' : 'backup-stage');
		} finally {
			await snapshot.close();
			await admin.query(`DELETE FROM ${database}.seq WHERE n = -1`);
		}
	});

	test('a dump taken during writes holds exactly the rows its recorded GTID position implies', async () => {
		const writer = sequenceWriter(flavor, writerConnection, `${database}.seq`);
		await writer.start();
		try {
			while (writer.written < 200) await new Promise((resolve) => setTimeout(resolve, 5));
			const output = join(dir, 'during-writes.sql');
			const result = await dumpMysql({settings: mariadbSettings(), databases: [database], workers: 3, chunkRows: 50, format: 'sql', output}, new EventBus());
			const writtenBeforeStop = writer.written;
			await writer.stop();

			const expected = writer.rowsAt(result.coordinates.gtid ?? '');
			const script = await readFile(output, 'utf8');
			const dumped = [...script.matchAll(/^\((\d+),'/gm)].map((match) => Number(match[1])).sort((a, b) => a - b);
			assert.ok(expected > 200 && expected < writtenBeforeStop + 1, `GTID position implies ${expected} rows`);
			assert.ok(writtenBeforeStop > expected, 'writes went on after the snapshot');
			assert.equal(dumped.length, expected);
			assert.equal(dumped.at(-1), expected);
			assert.deepEqual(dumped, Array.from({length: expected}, (_, index) => index + 1));
			assert.equal(result.tables[0].rows, expected);
		} finally {
			await writer.stop();
		}
	});

	test('an archive taken during writes: its manifest GTID says exactly which rows the restored copy has', async () => {
		await admin.query(`DELETE FROM ${database}.seq`);
		const writer = sequenceWriter(flavor, writerConnection, `${database}.seq`);
		await writer.start();
		const copy = uniqueName('consistent_copy');
		try {
			while (writer.written < 200) await new Promise((resolve) => setTimeout(resolve, 5));
			const output = join(dir, 'during-writes.tar');
			const result = await dumpMysql({settings: mariadbSettings(), databases: [database], workers: 3, chunkRows: 50, format: 'archive', compression: 'zstd', output}, new EventBus());
			const writtenBeforeStop = writer.written;
			await writer.stop();

			const archive = await openArchive(output);
			assert.equal(archive.manifest.coordinates.gtid, result.coordinates.gtid);
			const expected = writer.rowsAt(String(archive.manifest.coordinates.gtid));
			assert.ok(expected > 200 && writtenBeforeStop > expected, `GTID position implies ${expected} rows of ${writtenBeforeStop} written`);
			assert.equal(archive.manifest.databases[0].tables[0].rows, expected);
			await mysqlLogicalEngine.restore({settings: mariadbSettings(), artifact: output, targetDb: copy, workers: 3}, new EventBus());
			const [[{count, top}]] = await admin.query<RowDataPacket[]>(`SELECT COUNT(*) AS count, MAX(n) AS top FROM ${copy}.seq`);
			assert.equal(Number(count), expected);
			assert.equal(Number(top), expected);
		} finally {
			await writer.stop();
			await admin.query(`DROP DATABASE IF EXISTS ${copy}`);
		}
	});

	test('--no-lock: coordinates that move while the snapshots open fail the dump, naming both positions', async () => {
		const writer = sequenceWriter(flavor, writerConnection, `${database}.seq`);
		await admin.query(`DELETE FROM ${database}.seq`);
		await writer.start();
		try {
			await assert.rejects(
				dumpMysql({settings: mariadbSettings(), databases: [database], workers: 8, noLock: true, format: 'sql', output: join(dir, 'moved.sql')}, new EventBus()),
				(error: Error & {code?: string}) => error.code === 'SNAPSHOT_MOVED' && /before and .* after/.test(error.message),
			);
		} finally {
			await writer.stop();
		}
	});

	test('--no-lock on a quiet server succeeds without blocking writes', async () => {
		const result = await dumpMysql({settings: mariadbSettings(), databases: [database], workers: 2, noLock: true, format: 'sql', output: join(dir, 'quiet.sql')}, new EventBus());
		assert.equal(result.method, 'no-lock');
		assert.equal(result.lockMs, 0);
	});
});
