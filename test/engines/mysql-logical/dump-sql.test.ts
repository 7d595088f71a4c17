import assert from 'node:assert/strict';
import {mkdtemp, readFile, readdir, rm} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, before, describe, test} from 'node:test';
import type {Connection} from 'mysql2/promise';
import {EventBus} from '../../../source/core/events.ts';
import {dumpMysql} from '../../../source/engines/mysql-logical/dump.ts';
import {mariadbConnection, mariadbSettings, uniqueName} from '../../harness/db.ts';
import {recordingBus} from '../../harness/recording-bus.ts';
import {fingerprint, runWithMariadbClient} from './fingerprint.ts';
import {createTypeZoo, UNICODE_TABLE} from './type-zoo.ts';

describe('dumpMysql --format sql round trip through the stock mariadb client', () => {
	let admin: Connection;
	let dir: string;

	before(async () => {
		admin = await mariadbConnection({multipleStatements: true});
		dir = await mkdtemp(join(tmpdir(), 'dbbackup-mysql-dump-'));
	});

	after(async () => {
		await admin.end();
		await rm(dir, {recursive: true, force: true});
	});

	const cases = [
		{workers: 1, chunkRows: undefined, maxStatementBytes: undefined},
		{workers: 3, chunkRows: undefined, maxStatementBytes: undefined},
		{workers: 1, chunkRows: 7, maxStatementBytes: 2000},
		{workers: 3, chunkRows: 7, maxStatementBytes: 2000},
	];
	for (const options of cases) {
		test(`${options.workers} worker(s), ${options.chunkRows ? `chunks of ${options.chunkRows} rows` : 'unchunked'}`, async () => {
			const database = uniqueName('zoo');
			await createTypeZoo(admin, database);
			const before = await fingerprint(admin, database);
			const caseDir = await mkdtemp(join(dir, 'case-'));
			const output = join(caseDir, `${database}.sql`);
			const {bus, events} = recordingBus();

			const result = await dumpMysql({settings: mariadbSettings(), databases: [database], format: 'sql', output, ...options}, bus);

			assert.equal(result.method, 'backup-stage');
			assert.ok(result.lockMs >= 0 && result.lockMs < 5000, `lockMs ${result.lockMs}`);
			assert.match(result.coordinates.binlogFile ?? '', /^mariadb-bin\.\d+$/);
			assert.match(result.coordinates.gtid ?? '', /^\d+-\d+-\d+/);
			const rows = Object.fromEntries(result.tables.map((table) => [table.table, table.rows]));
			assert.deepEqual(rows, {types: 5, select: 60, nokey: 30, gen: 101, ints: 500, [UNICODE_TABLE]: 40, legacy: 1});
			assert.deepEqual(await readdir(caseDir), [`${database}.sql`], 'no .partial or scratch files left behind');
			const warnings = events.filter((event) => event.type === 'warning').map((event) => (event as {message: string}).message);
			assert.deepEqual(warnings, [`${database}.legacy (MyISAM) is not covered by the snapshot`]);
			assert.ok(events.some((event) => event.type === 'progress' && event.task === `rows ${database}.ints` && event.done === 500));

			const script = await readFile(output, 'utf8');
			assert.ok(script.includes(`-- GTID: ${result.coordinates.gtid}`));
			assert.equal(result.bytes, Buffer.byteLength(script));
			if (options.chunkRows) {
				assert.ok((script.match(/INSERT INTO `ints`/g) ?? []).length > 10, 'the chunked dump splits ints into several statements');
			}

			await admin.query(`DROP DATABASE \`${database}\``);
			await runWithMariadbClient(output);
			assert.deepEqual(await fingerprint(admin, database), before);
			await admin.query(`DROP DATABASE \`${database}\``);
		});
	}

	test('the checks can fail: a changed value in the copy changes the fingerprint', async () => {
		const database = uniqueName('zoo');
		await createTypeZoo(admin, database);
		const before = await fingerprint(admin, database);
		await admin.query(`UPDATE \`${database}\`.types SET f = 16777218 WHERE id = 1`);
		assert.notDeepEqual(await fingerprint(admin, database), before);
		await admin.query(`DROP DATABASE \`${database}\``);
	});

	test('an unknown database is refused before anything is written', async () => {
		const output = join(dir, 'missing.sql');
		await assert.rejects(
			dumpMysql({settings: mariadbSettings(), databases: ['no_such_database_here'], workers: 2, format: 'sql', output}, new EventBus()),
			(error: Error & {code?: string}) => error.code === 'UNKNOWN_DATABASE',
		);
		assert.ok(!(await readdir(dir)).some((name) => name.startsWith('missing')));
	});
});
