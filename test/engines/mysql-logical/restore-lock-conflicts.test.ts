/**
 * Lock conflicts during a restore are timing, not the data's fault: a deadlock (1213) or a lock wait
 * timeout (1205) sends the statement again, a bounded number of times, with a log line, and is never
 * reported as a bug. Found on MySQL 9.7: restoring sakila with 2 workers failed about one run in three
 * with "Deadlock found when trying to get lock" on CREATE TABLE store / staff (their foreign keys name
 * each other's tables), surfaced as UNEXPECTED ("This is a bug").
 */
import assert from 'node:assert/strict';
import {mkdtemp, rm} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, before, describe, test} from 'node:test';
import type {Connection} from 'mysql2/promise';
import {EventBus} from '../../../source/core/events.ts';
import {dumpMysql} from '../../../source/engines/mysql-logical/dump.ts';
import {mysqlLogicalEngine} from '../../../source/engines/mysql-logical/index.ts';
import {queryRetryingLockConflicts} from '../../../source/engines/mysql-logical/lock-conflicts.ts';
import {uniqueName} from '../../harness/db.ts';
import {mysqlFlavors} from '../../harness/mysql-flavors.ts';
import {fingerprint, fingerprintDifferences} from './fingerprint.ts';
import {SAKILA_SCHEMA, sakilaRows} from './sakila.ts';

function logLines(bus: EventBus): string[] {
	const lines: string[] = [];
	bus.onAny((event) => {
		if (event.type === 'log') lines.push(event.message);
	});
	return lines;
}

for (const flavor of mysqlFlavors()) describe(`lock conflicts during a restore on ${flavor.label}`, () => {
	let admin: Connection;
	let dir: string;
	const source = uniqueName('sakila');
	const made: string[] = [source];

	before(async () => {
		admin = await flavor.connection({multipleStatements: true});
		dir = await mkdtemp(join(tmpdir(), 'dbbackup-lock-conflicts-'));
	});

	after(async () => {
		for (const database of made) await admin.query(`DROP DATABASE IF EXISTS ${database}`);
		await admin.end();
		await rm(dir, {recursive: true, force: true});
	});

	// about one run in three deadlocked on MySQL 9.7 before (5 of 12 in one trial): four in a row all passed
	// in about one run of this test in six. MariaDB 10.11 showed no such deadlock: the deterministic test
	// below proves the retry there.
	const runs = 4;
	if (flavor.name === 'mysql') test(`a sakila-like archive restores with 2 workers, ${runs} times in a row, each copy equal to the source`, {timeout: 180_000}, async () => {
		await admin.query('SET SESSION cte_max_recursion_depth = 20000');
		await admin.query(`CREATE DATABASE ${source}; USE ${source};`);
		await admin.query(SAKILA_SCHEMA);
		await admin.query(sakilaRows((count) => flavor.numbers(count)));
		const archive = join(dir, 'sakila.tar');
		await dumpMysql({settings: flavor.settings(), databases: [source], workers: 2, format: 'archive', compression: 'zstd', output: archive}, new EventBus());
		const expected = await fingerprint(admin, source);
		const retried: string[] = [];
		for (let run = 0; run < runs; run += 1) {
			const copy = uniqueName('sakila_copy');
			made.push(copy);
			const bus = new EventBus();
			const lines = logLines(bus);
			const result = await mysqlLogicalEngine.restore({settings: flavor.settings(), artifact: archive, targetDb: copy, workers: 2}, bus);
			assert.equal(result.failedStatements, 0);
			retried.push(...lines.filter((line) => /retrying the statement/.test(line)));
			assert.deepEqual(fingerprintDifferences(expected, await fingerprint(admin, copy)), []);
			await admin.query(`DROP DATABASE ${copy}`);
		}
		// each retry said what and why
		for (const line of retried) assert.match(line, /^schema\/.*\.sql\.zst: sakila_copy_\w+\.\w+: (deadlock with another session|lock wait timeout), retrying the statement \(attempt \d of 6\)$/);
	});

	test('a statement that waits out lock_wait_timeout is sent again, with a log line, and succeeds once the lock is gone', async () => {
		const database = uniqueName('lock_wait');
		made.push(database);
		await admin.query(`CREATE DATABASE ${database}; CREATE TABLE ${database}.t (id INT PRIMARY KEY)`);
		const holder = await flavor.connection();
		const waiter = await flavor.connection();
		try {
			// an open transaction that read t holds its metadata lock: ALTER TABLE waits for it
			await holder.query('BEGIN');
			await holder.query(`SELECT * FROM ${database}.t`);
			await waiter.query('SET SESSION lock_wait_timeout = 1');
			const bus = new EventBus();
			const lines = logLines(bus);
			const release = setTimeout(() => void holder.query('COMMIT'), 1500);
			await queryRetryingLockConflicts(waiter, `ALTER TABLE ${database}.t ADD COLUMN v INT`, {bus, what: `${database}.t: ALTER`});
			clearTimeout(release);
			assert.ok(lines.some((line) => line === `${database}.t: ALTER: lock wait timeout, retrying the statement (attempt 2 of 6)`), lines.join('\n'));
			const [columns] = await admin.query<any[]>('SELECT COUNT(*) AS n FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?', [database, 't']);
			assert.equal(Number(columns[0].n), 2);

			// a lock that is never released: a bounded number of attempts, then an error naming the statement, not a bug
			await holder.query('BEGIN');
			await holder.query(`SELECT * FROM ${database}.t`);
			await assert.rejects(queryRetryingLockConflicts(waiter, `ALTER TABLE ${database}.t ADD COLUMN w INT`, {bus, what: `${database}.t: ALTER`, retries: 1}), (error: Error & {code?: string; hint?: string}) => {
				assert.equal(error.code, 'SQL_STATEMENT_FAILED');
				assert.match(error.message, new RegExp(`^${database}\\.t: ALTER: the server refused the statement 2 times: Lock wait timeout exceeded`));
				assert.match(error.hint ?? '', /fewer --workers/);
				return true;
			});
			await holder.query('COMMIT');
		} finally {
			await holder.end();
			await waiter.end();
		}
	});
});
