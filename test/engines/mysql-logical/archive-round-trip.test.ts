import assert from 'node:assert/strict';
import {mkdtemp, readdir, rm} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, before, describe, test} from 'node:test';
import type {Connection} from 'mysql2/promise';
import {dumpMysql} from '../../../source/engines/mysql-logical/dump.ts';
import {mysqlLogicalEngine} from '../../../source/engines/mysql-logical/index.ts';
import {mysqlTableChecksums} from '../../../source/engines/mysql-logical/table-checksums.ts';
import {DEFER_INDEXES_MIN_ROWS} from '../../../source/engines/mysql-logical/secondary-indexes.ts';
import {openArchive} from '../../../source/storage/archive/reader.ts';
import {uniqueName} from '../../harness/db.ts';
import {mysqlFlavors, type MysqlFlavor} from '../../harness/mysql-flavors.ts';
import {recordingBus} from '../../harness/recording-bus.ts';
import {fingerprint, fingerprintDifferences} from './fingerprint.ts';
import {createTypeZoo, MYSQL_ONLY_TABLE, UNICODE_TABLE} from './type-zoo.ts';

/**
 * On top of the type zoo: secondary, unique, fulltext and prefix indexes, foreign keys, a used sequence
 * (MariaDB; MySQL has none), and `bounded`, every type of `types` whose rows the server formats itself
 * (no JSON or spatial column).
 */
async function addIndexedTables(admin: Connection, database: string, flavor: MysqlFlavor): Promise<void> {
	const sequence = flavor.name === 'mariadb' ? 'CREATE SEQUENCE `seq "ids"` START WITH 100 INCREMENT BY 5 CACHE 0;\nSELECT NEXTVAL(`seq "ids"`), NEXTVAL(`seq "ids"`);' : '';
	await admin.query(`
USE \`${database}\`;
CREATE TABLE parent (id INT PRIMARY KEY, code VARCHAR(20) NOT NULL, UNIQUE KEY code (code)) ENGINE=InnoDB;
CREATE TABLE child (id INT PRIMARY KEY, parent_id INT, note TEXT, KEY by_parent (parent_id),
	CONSTRAINT fk_parent FOREIGN KEY (parent_id) REFERENCES parent (id) ON DELETE CASCADE) ENGINE=InnoDB;
CREATE TABLE by_code (id INT PRIMARY KEY, code VARCHAR(20), CONSTRAINT fk_code FOREIGN KEY (code) REFERENCES parent (code)) ENGINE=InnoDB;
CREATE TABLE docs (id INT AUTO_INCREMENT, title VARCHAR(200), body TEXT, n INT, PRIMARY KEY (id),
	KEY \`by "n"\` (n DESC, title(10)), FULLTEXT KEY ft (title, body), UNIQUE KEY t (title)) ENGINE=InnoDB;
CREATE TABLE bounded (PRIMARY KEY (id)) AS SELECT id, ti, tiu, si, siu, mi, miu, i, iu, bi, biu, de, de0, f, d, b1, b64, b10,
	dt, dtm, dtm0, ts, tm, y, vc, tx, l1, ch, bn, vb, bl, vbin, en, st FROM types;
${sequence}
INSERT INTO parent VALUES (1, 'a'), (2, 'b'), (3, 'c');
INSERT INTO by_code VALUES (1, 'a'), (2, 'c');
INSERT INTO child SELECT seq, 1 + seq % 3, CONCAT('note ', seq) FROM ${flavor.numbers(200)};
INSERT INTO docs (title, body, n) SELECT CONCAT('title ', seq), REPEAT('lorem ipsum ', seq % 20), seq % 7 FROM ${flavor.numbers(300)};
`);
}

for (const flavor of mysqlFlavors()) describe(`mysqldump engine: archive round trip into a new database on ${flavor.label}`, () => {
	let admin: Connection;
	let dir: string;
	const settings = () => flavor.settings();

	before(async () => {
		admin = await flavor.connection({multipleStatements: true});
		if (flavor.name === 'mysql') await admin.query(`SET SESSION cte_max_recursion_depth = ${DEFER_INDEXES_MIN_ROWS + 1}`);
		dir = await mkdtemp(join(tmpdir(), 'dbbackup-mysql-archive-'));
	});

	after(async () => {
		await admin.end();
		await rm(dir, {recursive: true, force: true});
	});

	const cases = [
		{workers: 1, chunkRows: 0, compression: 'zstd' as const, indexesAfterData: false},
		{workers: 3, chunkRows: 0, compression: 'none' as const, indexesAfterData: true},
		{workers: 1, chunkRows: 7, compression: 'gzip' as const, indexesAfterData: undefined},
		{workers: 3, chunkRows: 7, compression: 'zstd' as const, indexesAfterData: true},
		// MySQL: the two that take every path (one connection and unchunked; several, chunked, indexes after data)
	].filter((_, index) => flavor.name === 'mariadb' || index === 0 || index === 3);
	for (const options of cases) {
		const label = `${options.workers} worker(s), ${options.chunkRows ? `chunks of ${options.chunkRows} rows` : 'unchunked'}, ${options.compression}${options.indexesAfterData === undefined ? ', indexes by table size' : options.indexesAfterData ? ', indexes after data' : ''}`;
		test(label, async () => {
			const source = uniqueName('zoo');
			const copy = uniqueName('copy');
			await createTypeZoo(admin, source, flavor.name);
			await addIndexedTables(admin, source, flavor);
			const before = await fingerprint(admin, source);
			const output = join(dir, `${source}.tar`);
			const {bus, events} = recordingBus();

			const result = await dumpMysql(
				{settings: settings(), databases: [source], workers: options.workers, chunkRows: options.chunkRows, format: 'archive', compression: options.compression, output},
				bus,
			);
			assert.ok(result.lockMs >= 0);
			assert.deepEqual((await readdir(dir)).filter((name) => name.startsWith(source)).sort(), [`${source}.tar`, `${source}.tar.meta.json`]);

			const archive = await openArchive(output);
			const {manifest} = archive;
			assert.equal(manifest.engine, 'mysqldump');
			assert.equal(manifest.lockMs, result.lockMs);
			assert.equal(manifest.coordinates.gtid, result.coordinates.gtid);
			const tables = Object.fromEntries(manifest.databases[0].tables.map((table) => [table.name, table.rows]));
			const mysqlOnly = flavor.name === 'mysql' ? {[MYSQL_ONLY_TABLE.name]: MYSQL_ONLY_TABLE.rows} : {};
			assert.deepEqual(tables, {types: 5, select: 60, nokey: 30, gen: 101, ints: 500, [UNICODE_TABLE]: 40, legacy: 1, parent: 3, child: 200, by_code: 2, docs: 300, bounded: 5, ...mysqlOnly});
			const totalRows = 1247 + (flavor.name === 'mysql' ? MYSQL_ONLY_TABLE.rows : 0);
			const ints = manifest.databases[0].tables.find((table) => table.name === 'ints')!;
			if (options.chunkRows) assert.ok(ints.members.length > 10, `ints is split into chunks (${ints.members.length})`);
			else assert.equal(ints.members.length, 1);
			assert.ok(manifest.members.every((member) => member.compression === options.compression));
			if (flavor.name === 'mariadb') assert.ok(manifest.databases[0].sequences, 'the sequence has its member');
			assert.deepEqual(
				manifest.objects?.map((group) => group.kind),
				['routines', 'views', 'triggers', 'events'],
			);
			const restoreBus = recordingBus();
			const restored = await mysqlLogicalEngine.restore(
				{settings: settings(), artifact: output, targetDb: copy, workers: options.workers, indexesAfterData: options.indexesAfterData},
				restoreBus.bus,
			);
			assert.deepEqual(restored.databases, [copy]);
			assert.equal(restored.rows, totalRows);
			assert.equal(restored.failedStatements, 0);
			assert.ok(restoreBus.events.some((event) => event.type === 'progress' && event.task === `restore ${copy}.ints` && event.done === 500));
			// by size (unset), none of the zoo's tables is large enough to defer its indexes
			assert.equal(
				restoreBus.events.some((event) => event.type === 'stage' && event.name === 'indexes'),
				options.indexesAfterData === true,
			);

			const after = await fingerprint(admin, copy);
			assert.deepEqual(fingerprintDifferences(before, after), []);
			// the rows' checksums the dump recorded (however it chunked the tables) are those of the source and of the copy
			const recorded = manifest.databases[0].tables.map(({name, rows, checksum}) => ({name, rows, checksum}));
			assert.ok(recorded.every((table) => /^rowsum1:[0-9a-f]{24}$/.test(table.checksum ?? '')));
			const sorted = <T extends {name: string}>(tables: T[]) => [...tables].sort((a, b) => a.name.localeCompare(b.name));
			assert.deepEqual(sorted(await mysqlTableChecksums(settings(), source)), sorted(recorded));
			assert.deepEqual(sorted(await mysqlTableChecksums(settings(), copy)), sorted(recorded));
			assert.deepEqual(after, before);
			assert.ok(events.some((event) => event.type === 'progress' && event.task === `rows ${source}.ints` && event.done === 500));
			// the tables' totals start as the server's estimates and end as their counts, and so does the whole dump's
			const last = (task: string) => events.filter((event) => event.type === 'progress' && event.task === task).at(-1) as {done: number; total?: number} | undefined;
			assert.deepEqual(last(`rows ${source}.ints`), {...last(`rows ${source}.ints`), done: 500, total: 500});
			assert.deepEqual(last('dump'), {...last('dump'), done: totalRows, total: totalRows});
			await admin.query(`DROP DATABASE \`${source}\`; DROP DATABASE \`${copy}\``);
		});
	}

	test(`by default, a table of ${DEFER_INDEXES_MIN_ROWS.toLocaleString('en-US')} rows gets its secondary indexes after its data, and a small one keeps them`, async () => {
		const source = uniqueName('large');
		const copy = uniqueName('copy');
		await admin.query(`
CREATE DATABASE \`${source}\`; USE \`${source}\`;
CREATE TABLE big (id INT PRIMARY KEY, k INT NOT NULL, c CHAR(20) NOT NULL, KEY k (k), KEY kc (k, c)) ENGINE=InnoDB;
INSERT INTO big SELECT seq, seq % 977, CONCAT('c', seq % 131) FROM ${flavor.numbers(DEFER_INDEXES_MIN_ROWS)};
CREATE TABLE small (id INT PRIMARY KEY, k INT, KEY k (k)) ENGINE=InnoDB;
INSERT INTO small SELECT seq, seq % 7 FROM ${flavor.numbers(DEFER_INDEXES_MIN_ROWS - 1)};
`);
		const before = await fingerprint(admin, source);
		const output = join(dir, `${source}.tar`);
		await dumpMysql({settings: settings(), databases: [source], workers: 2, format: 'archive', compression: 'zstd', output}, recordingBus().bus);
		const {bus, events} = recordingBus();
		await mysqlLogicalEngine.restore({settings: settings(), artifact: output, targetDb: copy, workers: 2}, bus);
		const indexStage = events.find((event) => event.type === 'stage' && event.name === 'indexes');
		assert.ok(indexStage && indexStage.type === 'stage');
		assert.match(indexStage.detail ?? '', /of 1 table\(s\)/);
		assert.deepEqual(fingerprintDifferences(before, await fingerprint(admin, copy)), []);
		await admin.query(`DROP DATABASE \`${source}\`; DROP DATABASE \`${copy}\``);
	});
});
