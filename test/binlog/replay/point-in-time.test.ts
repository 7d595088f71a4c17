/**
 * Point-in-time recovery against real servers: a private MariaDB (then MySQL) A takes a write load, is
 * backed up under it, and its binlogs are copied by the product's streamer; restores with --binlogs into a
 * second private server B of the same kind (same database name) and back into A (--target-db) must end
 * with the tables' checksums noted at the chosen moment.
 */
import assert from 'node:assert/strict';
import {cp, mkdtemp, readdir, readFile, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {setTimeout as sleep} from 'node:timers/promises';
import {after, before, describe, test} from 'node:test';
import type {Connection, RowDataPacket} from 'mysql2/promise';
import {streamBinlogs} from '../../../source/binlog/stream/streamer.ts';
import {openArchive} from '../../../source/storage/archive/reader.ts';
import {EventBus} from '../../../source/core/events.ts';
import {mysqlLogicalEngine} from '../../../source/engines/mysql-logical/index.ts';
import {startMariadb} from '../../../source/sandbox/mariadb.ts';
import {startMysql} from '../../../source/sandbox/mysql.ts';
import type {RunningMariadb} from '../../../source/sandbox/types.ts';
import {checksums, connect, createSchema, WriteLoad} from './write-load.ts';
import {runInProcess, type InProcessOutcome} from '../../cli/run-in-process.ts';

/** The CLI in this process, as `dbbackup ARGS` with the server's password in MYSQL_PWD. */
function dbbackup(server: RunningMariadb, args: string[], as = {user: server.user, password: server.password}): Promise<InProcessOutcome> {
	return runInProcess([...args, '--yes', '--db-type', 'mysql', '--host', server.host, '--port', String(server.port), '--user', as.user], {env: {MYSQL_PWD: as.password}});
}

function settingsOf(server: RunningMariadb) {
	return {dbType: 'mysql' as const, host: server.host, port: server.port, user: server.user, password: server.password};
}

/** What differs between the servers here; the tests are the same on both. */
interface PitrFlavor {
	name: 'mariadb' | 'mysql';
	label: string;
	start(): Promise<RunningMariadb>;
	binlogBase: string;
	/** the GTID state: the one domain's position on MariaDB, the GTID set on MySQL */
	gtidStateSql: string;
	statusSql: string;
	/** a derived table of `seq` 1…count */
	numbers(count: number): string;
	/** a regex source matching one transaction's GTID as the dry run lists it */
	gtidPattern: string;
}

const ALL_FLAVORS: PitrFlavor[] = [
	{
		name: 'mariadb',
		label: 'MariaDB',
		start: () => startMariadb({log: () => {}, noFsync: true}),
		binlogBase: 'mariadb-bin',
		gtidStateSql: 'SELECT @@gtid_binlog_pos AS gtid',
		statusSql: 'SHOW MASTER STATUS',
		numbers: (count) => `seq_1_to_${count}`,
		gtidPattern: '0-1-\\d+',
	},
	{
		name: 'mysql',
		label: 'MySQL 9',
		start: () => startMysql({log: () => {}, noFsync: true}),
		binlogBase: 'mysql-bin',
		gtidStateSql: 'SELECT @@global.gtid_executed AS gtid',
		statusSql: 'SHOW BINARY LOG STATUS',
		numbers: (count) => `(WITH RECURSIVE s (seq) AS (SELECT 1 UNION ALL SELECT seq + 1 FROM s WHERE seq < ${count}) SELECT seq FROM s) AS numbers`,
		gtidPattern: '[0-9a-f]{8}-[0-9a-f-]{27}:\\d+',
	},
];
/** DBBACKUP_TEST_FLAVORS=mysql (or mariadb) keeps one, as in test/harness/mysql-flavors.ts */
const FLAVORS = ALL_FLAVORS.filter((candidate) => !process.env.DBBACKUP_TEST_FLAVORS || process.env.DBBACKUP_TEST_FLAVORS.split(',').includes(candidate.name));

let flavor: PitrFlavor;

async function gtidState(connection: Connection): Promise<string> {
	const [rows] = await connection.query<RowDataPacket[]>(flavor.gtidStateSql);
	return String(rows[0]!.gtid).replace(/\s+/g, '');
}

/** The last transaction's GTID (what --until-gtid names): MariaDB's one-domain position, MySQL's uuid:n. */
async function gtidPosition(connection: Connection): Promise<string> {
	const state = await gtidState(connection);
	if (flavor.name === 'mariadb') return state;
	const [rows] = await connection.query<RowDataPacket[]>('SELECT @@server_uuid AS uuid');
	const uuid = String(rows[0]!.uuid);
	const range = state.split(',').find((sid) => sid.startsWith(uuid))!.split(':').at(-1)!;
	return `${uuid}:${range.split('-').at(-1)}`;
}

/** A transaction of A before the backups, and one A never wrote: named as --until-gtid takes them. */
async function gtidOfA(connection: Connection, gno: number): Promise<string> {
	if (flavor.name === 'mariadb') return `0-1-${gno}`;
	const [rows] = await connection.query<RowDataPacket[]>('SELECT @@server_uuid AS uuid');
	return `${rows[0]!.uuid}:${gno}`;
}

async function databaseExists(connection: Connection, name: string): Promise<boolean> {
	const [rows] = await connection.query<RowDataPacket[]>('SELECT COUNT(*) AS n FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', [name]);
	return Number(rows[0]!.n) > 0;
}

const SOURCE = 'shop_ü';
const OTHER = 'other_db';

for (const pitrFlavor of FLAVORS) describe(`point-in-time recovery: restore --binlogs against private ${pitrFlavor.label} servers`, {timeout: 600_000}, () => {
	const base = pitrFlavor.binlogBase;
	const file = (n: number) => `${base}.${String(n).padStart(6, '0')}`;
	const fileRe = (n: number) => file(n).replace('.', '\\.');
	let serverA: RunningMariadb;
	let serverB: RunningMariadb;
	let adminA: Connection;
	let adminB: Connection;
	let work: string;
	/** backup of both databases, and of SOURCE alone (for --target-db) */
	let bothArchive: string;
	let sourceArchive: string;
	/** a plain SQL backup of SOURCE: its header records the coordinates */
	let sourceScript: string;
	let binlogs: string;
	let otherAtBackup: Record<string, string>;
	let finalSums: Record<string, string>;
	const moment = {gtid: '', sums: {} as Record<string, string>, otherSums: {} as Record<string, string>};
	const timeMoment = {until: '', sums: {} as Record<string, string>};
	const positionMoment = {file: '', position: 0, sums: {} as Record<string, string>};

	before(async () => {
		flavor = pitrFlavor;
		[serverA, serverB] = await Promise.all([flavor.start(), flavor.start()]);
		adminA = await connect(serverA);
		adminB = await connect(serverB);
		work = await mkdtemp(join(tmpdir(), 'pitr-'));
		await createSchema(adminA, SOURCE);
		await createSchema(adminA, OTHER);
		otherAtBackup = await checksums(adminA, OTHER);

		// the backups are taken while SOURCE is being written; OTHER is written only after them
		let databases = [SOURCE];
		const load = new WriteLoad(serverA, () => databases);
		await load.start(3);
		await sleep(400);
		await load.pause();
		load.ddl = false;
		load.resume();
		const bus = new EventBus();
		const backup = (name: string, only: string[]) =>
			mysqlLogicalEngine.backup({settings: settingsOf(serverA), databases: only, output: join(work, name), workers: 2, format: 'archive', compress: 'zstd'}, bus);
		bothArchive = (await backup('both.tar', [SOURCE, OTHER])).artifact;
		sourceArchive = (await backup('source.tar', [SOURCE])).artifact;
		sourceScript = (
			await mysqlLogicalEngine.backup({settings: settingsOf(serverA), databases: [SOURCE], output: join(work, 'source.sql'), workers: 2, format: 'sql', compress: 'none'}, bus)
		).artifact;
		databases = [SOURCE, OTHER];
		load.ddl = true;
		await sleep(300);

		// one statement of many rows events, over the replay's 4 MiB batches
		await load.pause();
		await adminA.query(`USE \`${SOURCE}\``);
		if (flavor.name === 'mysql') await adminA.query('SET SESSION cte_max_recursion_depth = 10000');
		await adminA.query(`INSERT INTO blobs (id, data, digest) SELECT 500000000 + seq, RANDOM_BYTES(1024) , UNHEX(LEFT(SHA2(500000000 + seq, 256), 32)) FROM ${flavor.numbers(9000)}`);
		load.resume();
		await sleep(300);
		await adminA.query('FLUSH BINARY LOGS');
		await sleep(300);

		await load.pause();
		moment.gtid = await gtidPosition(adminA);
		moment.sums = await checksums(adminA, SOURCE);
		moment.otherSums = await checksums(adminA, OTHER);
		load.resume();
		await sleep(300);

		// --until TIME: every commit so far is in an earlier second than `until`, every later one is not
		await load.pause();
		const until = Math.floor(Date.now() / 1000) * 1000 + 1000;
		timeMoment.sums = await checksums(adminA, SOURCE);
		timeMoment.until = new Date(until).toISOString();
		while (Date.now() < until + 100) await sleep(20);
		load.resume();
		await sleep(300);
		await adminA.query('FLUSH BINARY LOGS');
		await sleep(300);

		await load.pause();
		const [status] = await adminA.query<RowDataPacket[]>(flavor.statusSql);
		positionMoment.file = String(status[0]!.File);
		positionMoment.position = Number(status[0]!.Position);
		positionMoment.sums = await checksums(adminA, SOURCE);
		load.resume();
		await sleep(300);
		await load.stop();
		assert.ok(load.transactions > 50, `the load ran ${load.transactions} transactions`);
		finalSums = await checksums(adminA, SOURCE);
		// each moment is a different state, so a replay that stops in the wrong place shows
		const states = [moment.sums, timeMoment.sums, positionMoment.sums, finalSums].map((sums) => JSON.stringify(sums));
		assert.equal(new Set(states).size, 4, 'the load changed the tables between the moments');

		binlogs = join(work, 'binlogs');
		await streamBinlogs(
			{settings: settingsOf(serverA), outputDir: binlogs, serverId: 4242, useGtid: false, sync: 'interval', checkpointIntervalSeconds: 1, compress: 'zstd', stopAtEnd: true},
			new EventBus(),
			new AbortController().signal,
		);
	});

	after(async () => {
		await adminA?.end();
		await adminB?.end();
		await Promise.all([serverA?.stop(), serverB?.stop()]);
		if (work) await rm(work, {recursive: true, force: true});
	});

	test('the copy holds compressed closed files, an open raw file and the index', async () => {
		const names = await readdir(binlogs);
		assert.ok(names.includes(`${file(1)}.zst`), names.join(', '));
		assert.ok(names.includes(file(3)), names.join(', '));
		assert.ok(names.includes('binlog-index.json'));
	});

	test('--until-gtid into a new server under the same name: every table matches the moment', async () => {
		const result = await dbbackup(serverB, ['restore', bothArchive, '--binlogs', binlogs, '--until-gtid', moment.gtid]);
		assert.equal(result.code, 0, result.stderr);
		assert.match(result.stdout, /Restore complete \(mysqldump\)/);
		assert.match(result.stdout, new RegExp(`stopped at the target GTID: ${base}\\.\\d+:\\d+, GTID ${moment.gtid}`));
		assert.match(result.stdout, /Binlog replay complete: .* \d{2,} transaction\(s\) applied, [\d,]+ row\(s\)/s);
		assert.deepEqual(await checksums(adminB, SOURCE), moment.sums);
		assert.deepEqual(await checksums(adminB, OTHER), moment.otherSums);
	});

	test('--until-gtid back into the source server under --target-db: the copy matches the moment', async () => {
		const copy = 'shop_copy';
		const result = await dbbackup(serverA, ['restore', sourceArchive, '--binlogs', binlogs, '--until-gtid', moment.gtid, '--target-db', copy]);
		assert.equal(result.code, 0, result.stderr);
		assert.deepEqual(await checksums(adminA, copy), moment.sums);
		assert.deepEqual(await checksums(adminA, SOURCE), finalSums, 'the replay did not touch the database it was taken from');
	});

	test('--until TIME stops before the first transaction committed at or after it', async () => {
		const copy = 'shop_time';
		const result = await dbbackup(serverB, ['restore', sourceArchive, '--binlogs', binlogs, '--until', timeMoment.until, '--target-db', copy]);
		assert.equal(result.code, 0, result.stderr);
		assert.match(result.stdout, /stopped at the target time/);
		assert.deepEqual(await checksums(adminB, copy), timeMoment.sums);
	});

	test('--until-position FILE:POS applies the transactions that end at or before it', async () => {
		const copy = 'shop_position';
		const at = `${positionMoment.file}:${positionMoment.position}`;
		const result = await dbbackup(serverB, ['restore', sourceArchive, '--binlogs', binlogs, '--until-position', at, '--target-db', copy]);
		assert.equal(result.code, 0, result.stderr);
		assert.match(result.stdout, new RegExp(`stopped at the target position: ${at.replace(/\./g, '\\.')}`));
		assert.deepEqual(await checksums(adminB, copy), positionMoment.sums);

		// a position inside the next transaction stops before it, at the same place
		const inside = await dbbackup(serverB, ['restore', sourceArchive, '--binlogs', binlogs, '--until-position', `${positionMoment.file}:${positionMoment.position + 1}`, '--target-db', 'unused', '--dry-run']);
		assert.equal(inside.code, 0, inside.stderr);
		assert.match(inside.stdout, new RegExp(`stopped at the target position: ${at.replace(/\./g, '\\.')}`));
	});

	test('--dry-run lists the transactions and the stop point, and changes nothing', async () => {
		const before = await gtidState(adminB);
		const result = await dbbackup(serverB, ['restore', bothArchive, '--binlogs', binlogs, '--until-gtid', moment.gtid, '--target-db', 'never_made', '--tables', `${SOURCE}.orders`, '--dry-run']);
		assert.equal(result.code, 0, result.stderr);
		assert.match(result.stdout, /^Replay plan \(dry run, nothing applied\)/m);
		assert.match(result.stdout, new RegExp(`stopped at the target GTID: ${base}\\.\\d+:\\d+, GTID ${moment.gtid}`));
		const lines = result.stdout.split('\n').filter((line) => new RegExp(`^ {2}${flavor.gtidPattern} {2}`).test(line));
		assert.ok(lines.length > 10, result.stdout.slice(0, 2000));
		assert.match(lines[0]!, new RegExp(`^ {2}${flavor.gtidPattern} {2}\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z {2}${fileRe(1)}:\\d+-\\d+ {2}never_made\\.orders \\d+`));
		// the chosen table's rows, and the statements (DDL) of its database; nothing of the other tables
		assert.ok(lines.every((line) => /never_made\.orders \d+|statement/.test(line) && !/blobs|ünï/.test(line)), lines.join('\n'));
		assert.equal(await databaseExists(adminB, 'never_made'), false);
		assert.equal(await gtidState(adminB), before);
	});

	test('--databases limits the replay: the other database keeps its state from the backup', async () => {
		const result = await dbbackup(serverB, ['restore', bothArchive, '--binlogs', binlogs, '--until-gtid', moment.gtid, '--databases', SOURCE, '--drop-existing']);
		assert.equal(result.code, 0, result.stderr);
		assert.deepEqual(await checksums(adminB, SOURCE), moment.sums);
		assert.deepEqual(await checksums(adminB, OTHER), otherAtBackup);
		assert.notDeepEqual(moment.otherSums, otherAtBackup, 'the load changed the other database after the backup');
	});

	test('a SQL script backup starts from the coordinates its header records', async () => {
		const copy = 'shop_script';
		const result = await dbbackup(serverB, ['restore', sourceScript, '--binlogs', binlogs, '--until-gtid', moment.gtid, '--target-db', copy, '--databases', SOURCE]);
		assert.equal(result.code, 0, result.stderr);
		assert.match(result.stdout, new RegExp(`Binlog replay complete: .* from ${fileRe(1)}:\\d+ to --until-gtid`));
		assert.deepEqual(await checksums(adminB, copy), moment.sums);
	});

	test('the server\'s own binlog directory works as well (no index, other files beside)', async () => {
		const copy = 'shop_datadir';
		const result = await dbbackup(serverB, ['restore', sourceArchive, '--binlogs', serverA.datadir, '--until-gtid', moment.gtid, '--target-db', copy]);
		assert.equal(result.code, 0, result.stderr);
		assert.deepEqual(await checksums(adminB, copy), moment.sums);
	});

	test('--start-gtid alone (a script without coordinates) skips what the GTID state holds', async () => {
		const {manifest} = await openArchive(sourceArchive);
		const backupGtid = String(manifest.coordinates.gtid);
		const script = join(work, 'no-header.sql');
		await writeFile(script, 'SELECT 1;\n');
		const summary = (stdout: string) => /(\d+) transaction\(s\) to apply, ([\d,]+) row\(s\), (\d+) statement/.exec(stdout)?.slice(1);
		const byPosition = await dbbackup(serverB, ['restore', sourceArchive, '--binlogs', binlogs, '--until-gtid', moment.gtid, '--dry-run']);
		const byGtid = await dbbackup(serverB, ['restore', script, '--binlogs', binlogs, '--start-gtid', backupGtid, '--databases', SOURCE, '--until-gtid', moment.gtid, '--dry-run']);
		assert.equal(byGtid.code, 0, byGtid.stderr);
		assert.match(byGtid.stdout, new RegExp(`from ${fileRe(1)}:4 to --until-gtid`));
		assert.ok(summary(byPosition.stdout), byPosition.stdout.slice(0, 500));
		assert.deepEqual(summary(byGtid.stdout), summary(byPosition.stdout));
	});

	describe('refusals, before anything is restored', () => {
		async function copyOfBinlogs(change: (dir: string) => Promise<void>): Promise<string> {
			const dir = await mkdtemp(join(work, 'broken-'));
			await cp(binlogs, dir, {recursive: true});
			await change(dir);
			return dir;
		}

		async function refused(args: string[], code: number, pattern: RegExp): Promise<void> {
			const target = 'refused_db';
			const result = await dbbackup(serverB, ['restore', sourceArchive, ...args, '--target-db', target]);
			assert.equal(result.code, code, result.stderr);
			assert.match(result.stderr, pattern);
			assert.equal(await databaseExists(adminB, target), false, 'nothing was restored');
		}

		test('a gap: the file the backup started in is not in the directory', async () => {
			const dir = await copyOfBinlogs((d) => rm(join(d, `${file(1)}.zst`)));
			await refused(['--binlogs', dir, '--until-gtid', moment.gtid], 5, new RegExp(`error: the binlogs in .* start at ${fileRe(2)}, after the backup's ${fileRe(1)}:\\d+: ${fileRe(1)} is missing`));
		});

		test('a missing file in the middle of the sequence', async () => {
			const dir = await copyOfBinlogs((d) => rm(join(d, `${file(2)}.zst`)));
			await refused(['--binlogs', dir], 5, new RegExp(`error: ${fileRe(2)} is missing from .*: ${fileRe(1)} continues in it`));
		});

		test('a target before the backup: a GTID it holds, a position before it', async () => {
			const held = await gtidOfA(adminA, 2);
			await refused(['--binlogs', binlogs, '--until-gtid', held], 2, new RegExp(`error: --until-gtid ${held}: the backup already contains that transaction`));
			await refused(['--binlogs', binlogs, '--until-position', `${file(1)}:4`], 2, new RegExp(`error: --until-position ${fileRe(1)}:4 is before the backup's ${fileRe(1)}:\\d+`));
			await refused(['--binlogs', binlogs, '--until', '2001-01-01 00:00:00'], 2, /error: --until 2001-01-01 00:00:00 is before the backup/);
		});

		test('a flipped byte: the event fails its CRC32', async () => {
			const dir = await copyOfBinlogs(async (d) => {
				const path = join(d, file(3));
				const bytes = await readFile(path);
				// inside the body of an event half-way through the file, clear of its header's size field
				let position = 4;
				while (position < bytes.length / 2 || bytes.readUInt32LE(position + 9) < 64) position += bytes.readUInt32LE(position + 9);
				bytes[position + 40] ^= 0x40;
				await writeFile(path, bytes);
			});
			await refused(['--binlogs', dir], 5, new RegExp(`error: ${fileRe(3)}: the \\w+ event at position \\d+ fails its CRC32 checksum`));
		});

		test('a closed file that is not the one the index hashed', async () => {
			const dir = await copyOfBinlogs(async (d) => {
				const index = JSON.parse(await readFile(join(d, 'binlog-index.json'), 'utf8'));
				index.files[0].sha256 = '0'.repeat(64);
				await writeFile(join(d, 'binlog-index.json'), JSON.stringify(index));
			});
			await refused(['--binlogs', dir, '--until-gtid', moment.gtid], 5, new RegExp(`error: ${fileRe(1)}: its SHA-256 is [0-9a-f]{64}, but .*binlog-index\\.json recorded 0{64}`));
		});

		test('a SQL script that records no coordinates, without --start-position', async () => {
			const script = join(work, 'plain.sql');
			await writeFile(script, 'CREATE TABLE t (id INT);\n');
			const result = await dbbackup(serverB, ['restore', script, '--binlogs', binlogs, '--target-db', 'refused_db']);
			assert.equal(result.code, 2, result.stderr);
			assert.match(result.stderr, /error: .*plain\.sql is a SQL script that records no binlog coordinates/);
			assert.match(result.stderr, /hint: .*--start-position FILE:POS/);
			assert.equal(await databaseExists(adminB, 'refused_db'), false);
		});

		test('a user who may not run BINLOG statements', async () => {
			const result = await dbbackup(serverB, ['restore', sourceArchive, '--binlogs', binlogs, '--until-gtid', moment.gtid, '--target-db', 'refused_db'], {
				user: serverB.limitedUser,
				password: serverB.limitedPassword,
			});
			assert.equal(result.code, 2, result.stderr);
			assert.match(result.stderr, /error: dbbackup_limited may not run BINLOG statements/);
			assert.match(result.stderr, flavor.name === 'mysql' ? /hint: Grant it: GRANT BINLOG_ADMIN ON \*\.\*/ : /hint: Grant it: GRANT BINLOG REPLAY/);
			assert.equal(await databaseExists(adminB, 'refused_db'), false);
		});

		test('a target the binlogs never reach: exit 1 (the work cannot be done), not 5 (nothing is damaged), naming where they end', async () => {
			const never = await gtidOfA(adminA, 999999);
			await refused(['--binlogs', binlogs, '--until-gtid', never], 1, new RegExp(`error: --until-gtid ${never}: the binlogs in .* end at ${fileRe(3)}:\\d+ without that transaction`));
			await refused(['--binlogs', binlogs, '--until-position', `${file(9)}:4`], 1, new RegExp(`error: --until-position ${fileRe(9)}:4: the binlogs in .* end at ${fileRe(3)}:\\d+, before it`));
		});
	});
});
