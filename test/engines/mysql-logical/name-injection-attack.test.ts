/**
 * Attack: a tenant who can create objects in one database names them so that a dump of that database
 * carries SQL (or a client command) of the tenant's choosing. Root backs up and restores — with our
 * restore, archive or script, and with the stock client (`mariadb`, or MySQL's `mysql`) — and nothing may change but the
 * restored database itself: no grant, no other database, no file written by a client shell escape.
 */
import assert from 'node:assert/strict';
import {existsSync} from 'node:fs';
import {mkdtemp, rm} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, before, describe, test} from 'node:test';
import type {Connection} from 'mysql2/promise';
import {quoteIdentifier} from '../../../source/engines/mysql-logical/identifiers.ts';
import {quoteString} from '../../../source/engines/mysql-logical/values.ts';
import {runCli} from '../../cli/run-cli.ts';
import {uniqueName} from '../../harness/db.ts';
import {mysqlFlavors, type MysqlFlavor} from '../../harness/mysql-flavors.ts';
import {fingerprint, fingerprintDifferences, runWithMariadbClient} from './fingerprint.ts';

const timeoutMs = 120_000;

const tenant = `injt${process.pid % 100_000}`;
const marker = join(tmpdir(), `inj${process.pid}`);
const grant = `GRANT ALL ON *.* TO ${tenant}@localhost;`;
/**
 * A user whose name is a payload, made the definer of views. MySQL's user names hold at most 32
 * characters: there, the payload is the client's shell escape (the marker check catches it).
 */
function definerFor(flavor: MysqlFlavor): string {
	const definer = flavor.name === 'mysql' ? `u\n\\! touch ${marker}\n#` : `u\n${grant}\n#`;
	if (flavor.name === 'mysql') assert.ok(definer.length <= 32, `the definer payload fits MySQL's user names: ${definer.length}`);
	return definer;
}

/** Each payload tries to end the comment or statement it is written into and run its own. MariaDB allows no NUL in a name. */
const PAYLOADS: Record<string, string> = {
	lf: `a\n${grant}\n#`,
	cr: `b\r${grant}\r#`,
	crlf: `c\r\n${grant}\r\n#`,
	shell: `d\n\\! touch ${marker}\n#`,
	lineSeparator: `e\u2028${grant}\u2028#`,
	paragraphSeparator: `f\u2029${grant}`,
	nextLine: `g\u0085${grant}`,
	blockComment: `h*/ ${grant} /*`,
	quotes: 'i\'"`;\\ --',
	backslashEnd: 'j\\',
};

function q(name: string): string {
	return quoteIdentifier(name);
}

/** Every object kind a tenant can name, each once per payload, plus comments and defaults that carry it (sequences: MariaDB). */
function hostileSchema(flavor: MysqlFlavor): string[] {
	const definer = definerFor(flavor);
	const statements: string[] = [];
	const payloads = Object.entries(PAYLOADS);
	const columns = payloads.map(([key, name]) => `${q(name)} varchar(80) DEFAULT ${quoteString(name)} COMMENT ${quoteString(`${key}: ${name}`)}`);
	statements.push(`CREATE TABLE ${q('cols')} (id int PRIMARY KEY, ${columns.join(', ')}) COMMENT ${quoteString(PAYLOADS.lf!)}`);
	statements.push(`INSERT INTO ${q('cols')} (id) VALUES (1), (2)`);
	for (const [, name] of payloads) {
		statements.push(`CREATE TABLE ${q(name)} (${q(`k ${name}`)} int PRIMARY KEY, v text)`);
		statements.push(`INSERT INTO ${q(name)} VALUES (1, ${quoteString(name)})`);
		statements.push(`CREATE INDEX ${q(`i${name}`)} ON ${q('cols')} (${q(name)})`);
		statements.push(`CREATE VIEW ${q(`v${name}`)} AS SELECT ${q(name)} AS ${q(`c${name}`)} FROM ${q('cols')}`);
		statements.push(`CREATE PROCEDURE ${q(`p${name}`)}() COMMENT ${quoteString(name)} SELECT ${quoteString(name)}`);
		statements.push(`CREATE FUNCTION ${q(`f${name}`)}() RETURNS varchar(80) DETERMINISTIC RETURN ${quoteString(name)}`);
		statements.push(`CREATE TRIGGER ${q(`t${name}`)} BEFORE INSERT ON ${q(name)} FOR EACH ROW SET NEW.v = ${quoteString(name)}`);
		statements.push(`CREATE EVENT ${q(`e${name}`)} ON SCHEDULE EVERY 1 DAY STARTS '2030-01-01 00:00:00' DISABLE COMMENT ${quoteString(name)} DO SELECT 1`);
		if (flavor.name === 'mariadb') statements.push(`CREATE SEQUENCE ${q(`s${name}`)}`);
		// the definer is a user@host the server prints into SHOW CREATE: a crafted one is a name like any other
		statements.push(`CREATE DEFINER = ${quoteString(definer)}@'localhost' SQL SECURITY INVOKER VIEW ${q(`d${name}`)} AS SELECT 1 AS one`);
	}
	return statements;
}

/** The objects whose names or definitions hold no CR LF, nor the mangled form the stock client makes of one. */
function withoutCrLf(print: Awaited<ReturnType<typeof fingerprint>>): Awaited<ReturnType<typeof fingerprint>> {
	const mangled = PAYLOADS.crlf!.replaceAll('\r\n', '\n');
	return Object.fromEntries(Object.entries(print).filter(([key, value]) => !key.includes(PAYLOADS.crlf!) && !key.includes(mangled) && !JSON.stringify(value).includes('\\r\\n') && !JSON.stringify(value).includes(JSON.stringify(mangled).slice(1, -1))));
}

async function grantsOf(admin: Connection, user: string): Promise<string[]> {
	const [rows] = await admin.query<any[]>('SHOW GRANTS FOR ?@?', [user, 'localhost']);
	return rows.map((row) => String(Object.values(row)[0])).sort();
}

async function databases(admin: Connection): Promise<string[]> {
	const [rows] = await admin.query<any[]>('SELECT SCHEMA_NAME AS name FROM information_schema.SCHEMATA ORDER BY 1');
	return rows.map((row) => String(row.name));
}

for (const flavor of mysqlFlavors()) describe(`attack: object names that inject SQL into dumps of ${flavor.label}`, () => {
	const server = flavor.server;
	const connectionArgs = ['--db-type', 'mysql', '--host', server.host, '--port', String(server.port), '--user', server.user];
	const env = {MYSQL_PWD: server.password};
	const definer = definerFor(flavor);
	let admin: Connection;
	let dir: string;
	const source = uniqueName('inj_src');
	/** the database kind: a database whose own name is the payload */
	const hostileDatabase = `${process.pid % 100_000}${PAYLOADS.lf!}`;
	const canary = uniqueName('inj_canary');
	const made: string[] = [];
	let artifactCount = 0;
	let grantsBefore: string[];
	let sourcePrint: Awaited<ReturnType<typeof fingerprint>>;
	let hostilePrint: Awaited<ReturnType<typeof fingerprint>>;

	before(async () => {
		admin = await flavor.connection({multipleStatements: false});
		dir = await mkdtemp(join(tmpdir(), 'dbbackup-injection-'));
		await rm(marker, {force: true});
		await admin.query('DROP USER IF EXISTS ?@?', [tenant, 'localhost']);
		await admin.query('CREATE USER ?@?', [tenant, 'localhost']);
		await admin.query('DROP USER IF EXISTS ?@?', [definer, 'localhost']);
		await admin.query('CREATE USER ?@?', [definer, 'localhost']);
		await admin.query(`CREATE DATABASE ${q(canary)}`);
		await admin.query(`CREATE TABLE ${q(canary)}.t (id int PRIMARY KEY)`);
		await admin.query(`INSERT INTO ${q(canary)}.t VALUES (1), (2), (3)`);
		for (const database of [source, hostileDatabase]) {
			await admin.query(`CREATE DATABASE ${q(database)}`);
			await admin.query(`USE ${q(database)}`);
			for (const statement of hostileSchema(flavor)) await admin.query(statement);
		}
		grantsBefore = await grantsOf(admin, tenant);
		sourcePrint = await fingerprint(admin, source);
		hostilePrint = await fingerprint(admin, hostileDatabase);
		assert.ok(Object.keys(sourcePrint).length > 60, `the hostile schema has every kind: ${Object.keys(sourcePrint).length} objects`);
	});

	after(async () => {
		for (const database of [source, hostileDatabase, canary, ...made]) await admin.query(`DROP DATABASE IF EXISTS ${q(database)}`);
		await admin.query('DROP USER IF EXISTS ?@?', [tenant, 'localhost']);
		await admin.query('DROP USER IF EXISTS ?@?', [definer, 'localhost']);
		await admin.end();
		await rm(dir, {recursive: true, force: true});
		await rm(marker, {force: true});
	});

	async function assertNothingEscaped(expectedDatabases: string[]): Promise<void> {
		assert.deepEqual(await grantsOf(admin, tenant), grantsBefore, 'the tenant gained no privilege');
		assert.equal(existsSync(marker), false, 'no client shell escape ran');
		const [rows] = await admin.query<any[]>(`SELECT COUNT(*) AS n FROM ${q(canary)}.t`);
		assert.equal(Number(rows[0].n), 3, 'the canary database is untouched');
		assert.deepEqual(await databases(admin), [...expectedDatabases].sort());
	}

	async function backup(database: string, format: 'archive' | 'sql'): Promise<string> {
		const output = join(dir, `${(artifactCount += 1)}-${format}.${format === 'sql' ? 'sql' : 'tar'}`);
		const result = await runCli(['backup', 'single', database, '--output', output, '--format', format, '--workers', '2', '--yes', ...connectionArgs], {env, timeoutMs});
		assert.equal(result.code, 0, result.stderr);
		return output;
	}

	for (const format of ['archive', 'sql'] as const) {
		test(`${format}: our restore under --target-db rebuilds the objects and changes nothing else`, async () => {
			for (const [database, print] of [
				[source, () => sourcePrint],
				[hostileDatabase, () => hostilePrint],
			] as const) {
				const artifact = await backup(database, format);
				const copy = uniqueName('inj_copy');
				made.push(copy);
				const before = await databases(admin);
				const result = await runCli(['restore', artifact, '--target-db', copy, '--workers', '2', '--yes', ...connectionArgs], {env, timeoutMs});
				assert.equal(result.code, 0, result.stderr);
				await assertNothingEscaped([...before, copy]);
				const differences = fingerprintDifferences(print(), await fingerprint(admin, copy));
				assert.deepEqual(differences, [], differences.join('\n'));
			}
		});
	}

	test(`sql: the stock ${flavor.name} client runs our script and nothing else happens`, async () => {
		for (const [database, print] of [
			[source, () => sourcePrint],
			[hostileDatabase, () => hostilePrint],
		] as const) {
			const script = await backup(database, 'sql');
			const before = await databases(admin);
			await admin.query(`DROP DATABASE ${q(database)}`);
			await runWithMariadbClient(script, flavor.name);
			await assertNothingEscaped(before);
			// the stock client drops the CR of a CR LF wherever it stands, inside a quoted name too: that name
			// alone comes back changed (as from mariadb-dump's scripts); our restore keeps it (tests above)
			const differences = fingerprintDifferences(withoutCrLf(print()), withoutCrLf(await fingerprint(admin, database)));
			assert.deepEqual(differences, [], differences.join('\n'));
		}
	});
});
