/**
 * The dump's global lock must not stall writers behind a deadlock the server cannot see. On MySQL the
 * lock is LOCK INSTANCE FOR BACKUP + FLUSH TABLES WITH READ LOCK, and FTWRL waits for running statements
 * while its pending request already blocks new ones: session B's UPDATE waits for a row lock of session
 * A's open transaction, FTWRL waits for B's statement, A's next statement waits for FTWRL. InnoDB sees
 * no deadlock, so B waits out innodb_lock_wait_timeout (50 s by default) and fails (found on MySQL 9.7:
 * the point-in-time tests' dumps under a write load took 27 s to 135 s). FTWRL now waits 1 s, lets go,
 * and tries again. MariaDB's BACKUP STAGE BLOCK_COMMIT does not wait for running statements.
 */
import assert from 'node:assert/strict';
import {setTimeout as sleep} from 'node:timers/promises';
import {after, before, describe, test} from 'node:test';
import type {Connection, RowDataPacket} from 'mysql2/promise';
import {EventBus} from '../../../source/core/events.ts';
import {openConsistentSnapshot} from '../../../source/engines/mysql-logical/consistency.ts';
import {uniqueName} from '../../harness/db.ts';
import {mysqlFlavors} from '../../harness/mysql-flavors.ts';

/** long enough that a test that waits it out fails clearly, short enough not to hang the suite */
const WRITER_LOCK_WAIT_SECONDS = 20;

/**
 * Polls every 200 ms: InnoDB refreshes information_schema.INNODB_TRX only when it was not read for
 * 0.1 s, so a faster poll can read the same stale rows for ever.
 */
async function waitFor(admin: Connection, sql: string, what: string): Promise<void> {
	for (let tries = 0; tries < 75; tries += 1) {
		const [rows] = await admin.query<RowDataPacket[]>(sql);
		if (Number(rows[0]!.n) > 0) return;
		await sleep(200);
	}
	throw new Error(`timed out waiting until ${what}`);
}

for (const flavor of mysqlFlavors()) describe(`the dump's global lock and a writer waiting for a row lock on ${flavor.label}`, () => {
	let admin: Connection;
	let a: Connection;
	let b: Connection;
	const database = uniqueName('lock_stall');

	before(async () => {
		admin = await flavor.connection({multipleStatements: true});
		await admin.query(`CREATE DATABASE ${database}; CREATE TABLE ${database}.t (id INT PRIMARY KEY, v INT) ENGINE=InnoDB; INSERT INTO ${database}.t VALUES (1, 0);`);
		a = await flavor.connection();
		b = await flavor.connection();
	});

	after(async () => {
		await Promise.all([a.end(), b.end()]);
		await admin.query(`DROP DATABASE IF EXISTS ${database}`);
		await admin.end();
	});

	test('A holds a row lock, B waits for it, the lock is requested, A goes on: B is not left to time out, and the snapshot opens', {timeout: 120_000}, async () => {
		await b.query(`SET SESSION innodb_lock_wait_timeout = ${WRITER_LOCK_WAIT_SECONDS}`);
		await a.query('BEGIN');
		await a.query(`UPDATE ${database}.t SET v = v + 1 WHERE id = 1`);
		const [[{id: bThread}]] = await b.query<RowDataPacket[]>('SELECT CONNECTION_ID() AS id');
		const bUpdate = b.query(`UPDATE ${database}.t SET v = v + 10 WHERE id = 1`).then(
			() => 'updated',
			(error: Error & {code?: string}) => error.code ?? error.message,
		);
		let bSettled: string | undefined;
		void bUpdate.then((outcome) => (bSettled = outcome));
		await waitFor(admin, `SELECT COUNT(*) AS n FROM information_schema.INNODB_TRX WHERE trx_mysql_thread_id = ${Number(bThread)} AND trx_state = 'LOCK WAIT'`, 'B waits for the row lock').catch(async (error: Error) => {
			const [state] = await admin.query<RowDataPacket[]>('SELECT STATE, INFO, TIME FROM information_schema.PROCESSLIST WHERE ID = ?', [bThread]);
			throw new Error(`${error.message}; B's update: ${bSettled ?? 'still running'}, B in the processlist: ${JSON.stringify(state[0])}`);
		});

		const bus = new EventBus();
		const logs: string[] = [];
		bus.onAny((event) => {
			if (event.type === 'log') logs.push(event.message);
		});
		const opening = openConsistentSnapshot({settings: flavor.settings(), workers: 1}, bus);
		opening.catch(() => undefined);
		// MySQL: FTWRL is waiting for B's statement (MariaDB's BLOCK_COMMIT is taken at once)
		if (flavor.name === 'mysql') await waitFor(admin, "SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE INFO LIKE 'FLUSH TABLES WITH READ LOCK%'", 'FTWRL waits');
		// A's next statement, then its commit, which frees B
		const aGoesOn = (async () => {
			await a.query(`INSERT INTO ${database}.t VALUES (2, 0)`);
			await a.query('COMMIT');
		})();
		const snapshot = await opening;
		try {
			assert.ok(snapshot.lockMs >= 0);
		} finally {
			await snapshot.close();
		}
		await aGoesOn;
		assert.equal(await bUpdate, 'updated', `B's update was not left to wait out innodb_lock_wait_timeout (${WRITER_LOCK_WAIT_SECONDS} s)`);
		const [[row]] = await admin.query<RowDataPacket[]>(`SELECT v FROM ${database}.t WHERE id = 1`);
		assert.equal(Number(row!.v), 11);
		if (flavor.name === 'mysql') assert.ok(logs.some((line) => /FLUSH TABLES WITH READ LOCK waited 1 s for running statements/.test(line)), logs.join('\n'));
	});
});
