/**
 * Attack: an archive altered by someone who can write it, its manifest and sidecar resealed so every
 * checksum matches. Restored under --target-db, each member may only do what our dumps put there: the
 * restore refuses the rest (exit 5) and nothing outside the target changes — no other database, no
 * account, no grant, no file read into a table.
 */
import assert from 'node:assert/strict';
import {mkdtemp, rm} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, before, describe, test} from 'node:test';
import type {Connection} from 'mysql2/promise';
import {runCli} from '../../cli/run-cli.ts';
import {mariadbConnection, uniqueName} from '../../harness/db.ts';
import {resealArchive} from '../../harness/reseal-archive.ts';
import {getTestServers} from '../../harness/servers.ts';

const {mariadb} = getTestServers();
const connectionArgs = ['--db-type', 'mysql', '--host', mariadb.host, '--port', String(mariadb.port), '--user', mariadb.user];
const env = {MYSQL_PWD: mariadb.password};
const timeoutMs = 120_000;
const tenant = `crt${process.pid % 100_000}`;
const evil = `evil${process.pid % 100_000}`;

interface Attack {
	name: string;
	/** which member: data, table (schema of the table), database (its CREATE), views */
	member: 'data' | 'table' | 'database' | 'views';
	change: (text: string, canary: string) => string;
	/** refused before anything was created (small members are checked first) */
	nothingCreated: boolean;
}

const ATTACKS: Attack[] = [
	{name: 'a data member drops another database', member: 'data', change: (_, canary) => `DROP DATABASE \`${canary}\`;\n`, nothingCreated: false},
	{name: 'a data member grants', member: 'data', change: () => `GRANT ALL ON *.* TO ${tenant}@localhost;\n`, nothingCreated: false},
	{name: 'a data member creates an account', member: 'data', change: () => `CREATE USER ${evil}@localhost;\n`, nothingCreated: false},
	{name: 'a data member writes into another database', member: 'data', change: (_, canary) => `INSERT INTO \`${canary}\`.\`t\` VALUES (4);\n`, nothingCreated: false},
	{name: 'a data member switches database in a version comment', member: 'data', change: (text, canary) => `/*!40000 USE \`${canary}\` */;\n${text}`, nothingCreated: false},
	{name: 'a data member reads a file into the table', member: 'data', change: (text) => `${text}INSERT INTO \`t\` (\`id\`, \`v\`) VALUES (99, LOAD_FILE('/etc/passwd'));\n`, nothingCreated: false},
	{name: 'a data member copies password hashes with a subquery', member: 'data', change: (text) => `${text}INSERT INTO \`t\` (\`id\`, \`v\`) VALUES (98, (SELECT authentication_string FROM mysql.user LIMIT 1));\n`, nothingCreated: false},
	{name: 'a data member inserts from a SELECT', member: 'data', change: (text) => `${text}INSERT INTO \`t\` (\`id\`, \`v\`) SELECT 97, User FROM mysql.user;\n`, nothingCreated: false},
	{name: 'a data member updates on duplicate key', member: 'data', change: (text) => `${text}INSERT INTO \`t\` (\`id\`, \`v\`) VALUES (1, 'x') ON DUPLICATE KEY UPDATE v = USER();\n`, nothingCreated: false},
	{name: 'a table schema copies rows from elsewhere', member: 'table', change: () => 'CREATE TABLE `t` (`id` int PRIMARY KEY, `v` text) SELECT 1 AS id, User AS v FROM mysql.user;\n', nothingCreated: true},
	{name: 'a table schema creates an account', member: 'table', change: (text) => `${text}CREATE USER ${evil}@localhost;\n`, nothingCreated: true},
	{name: 'a table schema creates a table in another database', member: 'table', change: (text, canary) => text.replace('CREATE TABLE `t`', `CREATE TABLE \`${canary}\`.\`t2\``), nothingCreated: true},
	{name: 'a table schema is a MERGE over another database', member: 'table', change: (_, canary) => `CREATE TABLE \`t\` (\`id\` int) ENGINE=MRG_MyISAM UNION=(\`${canary}\`.\`t\`) INSERT_METHOD=LAST;\n`, nothingCreated: true},
	{name: 'the database member carries a second statement', member: 'database', change: (text, canary) => text.replace(/;\s*$/, ` /*!40100 DEFAULT CHARACTER SET utf8mb4 */; DROP DATABASE \`${canary}\`;\n`), nothingCreated: true},
	{name: 'a views member prepares a statement', member: 'views', change: (text, canary) => `${text}PREPARE s FROM 'DROP DATABASE ${canary}';\nEXECUTE s;\n`, nothingCreated: true},
	{name: 'a views member creates a view in another database', member: 'views', change: (text, canary) => `${text}CREATE VIEW \`${canary}\`.\`v2\` AS SELECT 1 AS one;\n`, nothingCreated: true},
	{name: 'a views member sets a global variable', member: 'views', change: (text) => `SET GLOBAL max_connections = 1;\n${text}`, nothingCreated: true},
	{name: 'a views member renames a table of another database', member: 'views', change: (text, canary) => `RENAME TABLE \`${canary}\`.\`t\` TO \`stolen\`;\n${text}`, nothingCreated: true},
];

describe('attack: a crafted MySQL archive with resealed checksums stays inside --target-db', () => {
	let admin: Connection;
	let dir: string;
	let archive: string;
	let members: string[];
	let grantsBefore: string[];
	let maxConnections: number;
	const source = uniqueName('crafted_src');
	const canary = uniqueName('crafted_canary');
	const made: string[] = [];

	async function grants(): Promise<string[]> {
		const [rows] = await admin.query<any[]>('SHOW GRANTS FOR ?@?', [tenant, 'localhost']);
		return rows.map((row) => String(Object.values(row)[0]));
	}

	before(async () => {
		admin = await mariadbConnection({multipleStatements: true});
		dir = await mkdtemp(join(tmpdir(), 'dbbackup-crafted-'));
		await admin.query('DROP USER IF EXISTS ?@?, ?@?', [tenant, 'localhost', evil, 'localhost']);
		await admin.query('CREATE USER ?@?', [tenant, 'localhost']);
		await admin.query(`CREATE DATABASE \`${canary}\`; CREATE TABLE \`${canary}\`.t (id int PRIMARY KEY); INSERT INTO \`${canary}\`.t VALUES (1), (2), (3);`);
		await admin.query(
			`CREATE DATABASE \`${source}\`; USE \`${source}\`; CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t VALUES (1, 'a'), (2, 'b'); CREATE VIEW vw AS SELECT id FROM t;`,
		);
		grantsBefore = await grants();
		const [[{value}]] = await admin.query<any[]>('SELECT @@global.max_connections AS value');
		maxConnections = Number(value);
		archive = join(dir, 'source.tar');
		const result = await runCli(['backup', 'single', source, '--output', archive, '--compress', 'none', '--yes', ...connectionArgs], {env, timeoutMs});
		assert.equal(result.code, 0, result.stderr);
		members = (await resealArchive(archive, join(dir, 'unchanged.tar'), (_, data) => data)).members.map((member) => member.path);
	});

	after(async () => {
		for (const database of [source, canary, ...made]) await admin.query(`DROP DATABASE IF EXISTS \`${database}\``);
		await admin.query('DROP USER IF EXISTS ?@?, ?@?', [tenant, 'localhost', evil, 'localhost']);
		await admin.query(`SET GLOBAL max_connections = ${maxConnections}`);
		await admin.end();
		await rm(dir, {recursive: true, force: true});
	});

	function memberOf(kind: Attack['member']): string {
		const pattern = {data: /^data\/.*\/t\.\d+\.sql$/, table: /^schema\/[^/]+\/t\.sql$/, database: /^schema\/[^/]+\.sql$/, views: /^post\/.*views/}[kind];
		const found = members.find((path) => pattern.test(path));
		assert.ok(found, `a ${kind} member among ${members.join(', ')}`);
		return found;
	}

	test('the unchanged, resealed archive restores (the rules refuse nothing our dumps write)', async () => {
		const copy = uniqueName('crafted_ok');
		made.push(copy);
		const result = await runCli(['restore', join(dir, 'unchanged.tar'), '--target-db', copy, '--yes', ...connectionArgs], {env, timeoutMs});
		assert.equal(result.code, 0, result.stderr);
		const [rows] = await admin.query<any[]>(`SELECT COUNT(*) AS n FROM \`${copy}\`.vw`);
		assert.equal(Number(rows[0].n), 2);
	});

	test('the rows a restore reports are the rows it loaded, not what the manifest claims', async () => {
		const member = memberOf('data');
		const crafted = join(dir, 'more-rows.tar');
		await resealArchive(archive, crafted, (path, data) => (path === member ? Buffer.concat([data, Buffer.from("INSERT INTO `t` (`id`, `v`) VALUES\n(3,'c'),\n(4,'d'),\n(5,'e');\n")]) : data));
		const copy = uniqueName('crafted_rows');
		made.push(copy);
		const result = await runCli(['restore', crafted, '--target-db', copy, '--yes', ...connectionArgs], {env, timeoutMs});
		assert.equal(result.code, 0, result.stderr);
		assert.match(result.stdout, /1 table\(s\), 5 row\(s\)/);
	});

	for (const attack of ATTACKS) {
		test(attack.name, async () => {
			const member = memberOf(attack.member);
			const crafted = join(dir, `${made.length}.tar`);
			await resealArchive(archive, crafted, (path, data) => (path === member ? Buffer.from(attack.change(data.toString('utf8'), canary)) : data));
			const copy = uniqueName('crafted_copy');
			made.push(copy);
			const result = await runCli(['restore', crafted, '--target-db', copy, '--yes', ...connectionArgs], {env, timeoutMs});
			assert.equal(result.code, 5, `${result.stdout}\n${result.stderr}`);
			assert.match(result.stderr, new RegExp(`${member.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}( line \\d+)?: `));
			assert.match(result.stderr, /altered after it was made|was not written by this engine/);
			const [canaryRows] = await admin.query<any[]>(`SELECT COUNT(*) AS n FROM \`${canary}\`.t`);
			assert.equal(Number(canaryRows[0].n), 3, 'the other database is untouched');
			assert.deepEqual(await grants(), grantsBefore, 'no grant changed');
			const [accounts] = await admin.query<any[]>('SELECT COUNT(*) AS n FROM mysql.user WHERE User = ?', [evil]);
			assert.equal(Number(accounts[0].n), 0, 'no account was created');
			const [[{value}]] = await admin.query<any[]>('SELECT @@global.max_connections AS value');
			assert.equal(Number(value), maxConnections, 'no global variable changed');
			const [tables] = await admin.query<any[]>('SELECT TABLE_SCHEMA AS db, TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?', [canary]);
			assert.deepEqual(tables.map((row) => row.name), ['t'], 'no table was added to or renamed out of the other database');
			if (attack.nothingCreated) {
				const [schemata] = await admin.query<any[]>('SELECT COUNT(*) AS n FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', [copy]);
				assert.equal(Number(schemata[0].n), 0, 'refused before the target was created');
			} else {
				const [loaded] = await admin.query<any[]>(`SELECT COUNT(*) AS n FROM \`${copy}\`.t WHERE id > 2`).catch(() => [[{n: 0}]] as any);
				assert.equal(Number(loaded[0].n), 0, 'no row from the attack was loaded');
			}
		});
	}

});
