/**
 * Attack: a tenant who owns one database names its objects so that a dump of it carries SQL or a psql
 * meta-command (`\!` runs a shell) of the tenant's choosing. The superuser backs up and restores — with
 * our restore, archive or script, and with stock psql — and nothing may change but the restored
 * database: the tenant does not become superuser, no other database changes, no shell command runs.
 */
import assert from 'node:assert/strict';
import {execFile} from 'node:child_process';
import {existsSync} from 'node:fs';
import {mkdtemp, readFile, rm} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, before, describe, test} from 'node:test';
import {promisify} from 'node:util';
import type pg from 'pg';
import {quoteIdent, quoteLiteral} from '../../../source/engines/postgres-logical/identifiers.ts';
import {runCli} from '../../cli/run-cli.ts';
import {dropPostgresDatabases, postgresSuperuserClient, uniqueName} from '../../harness/db.ts';
import {getTestServers} from '../../harness/servers.ts';
import {databaseChecksums} from './checksums.ts';
import {dumpSchema, firstDifferences} from './ddl/round-trip.ts';

const run = promisify(execFile);
const {postgres} = getTestServers();
/** the superuser over the socket, as an operator restoring with peer authentication */
const superuserArgs = ['--db-type', 'postgres', '--socket', postgres.socketDir, '--port', String(postgres.port), '--user', postgres.superuser];
const timeoutMs = 120_000;

const tenant = `injt${process.pid % 100_000}`;
const marker = join(tmpdir(), `pginj${process.pid}`);
const superuser = `ALTER ROLE ${tenant} SUPERUSER;`;

/** Each payload tries to end the comment or statement it lands in and run its own. PostgreSQL allows no NUL in a name. */
const PAYLOADS: Record<string, string> = {
	lf: `a\n${superuser}\n--`,
	cr: `b\r${superuser}\r--`,
	shell: `c\n\\! touch ${marker}\n--`,
	shellCr: `d\r\\! touch ${marker}\r--`,
	lineSeparator: `e\u2028${superuser}`,
	nextLine: `f\u0085${superuser}`,
	blockComment: `g*/ ${superuser} /*`,
	quotes: 'h\'"`;\\ $$ --',
	backslash: 'i\\',
};

function q(name: string): string {
	return quoteIdent(name);
}

/** Every object kind a database owner can name, each once per payload, with comments that carry it. */
function hostileSchema(role: string): string[] {
	const statements: string[] = [];
	for (const name of Object.values(PAYLOADS)) {
		const schema = q(`s${name}`);
		statements.push(
			`CREATE SCHEMA ${schema}`,
			`CREATE TYPE ${schema}.${q(`en${name}`)} AS ENUM (${quoteLiteral(name)})`,
			`CREATE TYPE ${schema}.${q(`co${name}`)} AS (${q(name)} text)`,
			`CREATE DOMAIN ${schema}.${q(`do${name}`)} AS text CHECK (VALUE <> ${quoteLiteral(name)})`,
			`CREATE SEQUENCE ${schema}.${q(`sq${name}`)}`,
			`CREATE TABLE ${schema}.${q(name)} (${q(`k${name}`)} integer PRIMARY KEY, ${q(name)} text DEFAULT ${quoteLiteral(name)}, e ${schema}.${q(`en${name}`)}, d ${schema}.${q(`do${name}`)})`,
			`INSERT INTO ${schema}.${q(name)} VALUES (1, ${quoteLiteral(name)}, ${quoteLiteral(name)}, 'x')`,
			`CREATE INDEX ${q(`ix${name}`)} ON ${schema}.${q(name)} (${q(name)})`,
			`CREATE VIEW ${schema}.${q(`vw${name}`)} AS SELECT ${q(name)} AS ${q(`c${name}`)} FROM ${schema}.${q(name)}`,
			`CREATE FUNCTION ${schema}.${q(`fn${name}`)}(${q(`p${name}`)} integer) RETURNS text LANGUAGE sql AS $body$ SELECT ${quoteLiteral(name)} $body$`,
			`CREATE PROCEDURE ${schema}.${q(`pr${name}`)}() LANGUAGE sql AS $body$ SELECT 1 $body$`,
			`CREATE FUNCTION ${schema}.${q(`tf${name}`)}() RETURNS trigger LANGUAGE plpgsql AS $body$ BEGIN RETURN NEW; END $body$`,
			`CREATE TRIGGER ${q(`tr${name}`)} BEFORE INSERT ON ${schema}.${q(name)} FOR EACH ROW EXECUTE FUNCTION ${schema}.${q(`tf${name}`)}()`,
			`ALTER TABLE ${schema}.${q(name)} ENABLE ROW LEVEL SECURITY`,
			`CREATE POLICY ${q(`po${name}`)} ON ${schema}.${q(name)} USING (${q(name)} <> ${quoteLiteral(name)})`,
			`COMMENT ON TABLE ${schema}.${q(name)} IS ${quoteLiteral(name)}`,
			`COMMENT ON COLUMN ${schema}.${q(name)}.${q(name)} IS ${quoteLiteral(name)}`,
			`ALTER TABLE ${schema}.${q(name)} OWNER TO ${q(role)}`,
			`GRANT SELECT ON ${schema}.${q(name)} TO ${q(role)}`,
		);
	}
	return statements;
}

async function isSuperuser(client: pg.Client, role: string): Promise<boolean> {
	const {rows} = await client.query('SELECT rolsuper FROM pg_roles WHERE rolname = $1', [role]);
	return rows[0]?.rolsuper === true;
}

async function databases(client: pg.Client): Promise<string[]> {
	const {rows} = await client.query('SELECT datname FROM pg_database ORDER BY 1');
	return rows.map((row) => String(row.datname)).sort();
}

describe('attack: object names that inject SQL or psql commands into PostgreSQL dumps', () => {
	let admin: pg.Client;
	let dir: string;
	const source = uniqueName('pginj_src');
	/** the database kind: a database whose own name is the payload */
	const hostileDatabase = `${process.pid % 100_000}${PAYLOADS.lf!}`;
	/** the role kind: an owner and grantee whose name is the payload */
	const hostileRole = `r${process.pid % 100_000}${PAYLOADS.shell!}`.slice(0, 63);
	const canary = uniqueName('pginj_canary');
	const made: string[] = [];
	let artifactCount = 0;

	before(async () => {
		admin = await postgresSuperuserClient();
		dir = await mkdtemp(join(tmpdir(), 'dbbackup-pg-injection-'));
		await rm(marker, {force: true});
		for (const role of [tenant, hostileRole]) {
			await admin.query(`DROP ROLE IF EXISTS ${q(role)}`);
			await admin.query(`CREATE ROLE ${q(role)} LOGIN`);
		}
		await admin.query(`CREATE DATABASE ${q(canary)}`);
		const canaryClient = await postgresSuperuserClient(canary);
		await canaryClient.query('CREATE TABLE t (id integer PRIMARY KEY); INSERT INTO t VALUES (1), (2), (3)');
		await canaryClient.end();
		for (const database of [source, hostileDatabase]) {
			await admin.query(`CREATE DATABASE ${q(database)} OWNER ${q(tenant)}`);
			const client = await postgresSuperuserClient(database);
			try {
				for (const statement of hostileSchema(hostileRole)) await client.query(statement);
			} finally {
				await client.end();
			}
		}
	});

	after(async () => {
		await dropPostgresDatabases([source, hostileDatabase, canary, ...made]);
		for (const role of [tenant, hostileRole]) await admin.query(`DROP ROLE IF EXISTS ${q(role)}`);
		await admin.end();
		await rm(dir, {recursive: true, force: true});
		await rm(marker, {force: true});
	});

	async function assertNothingEscaped(expectedDatabases: string[]): Promise<void> {
		assert.equal(await isSuperuser(admin, tenant), false, 'the tenant did not become superuser');
		assert.equal(existsSync(marker), false, 'no psql shell escape ran');
		const client = await postgresSuperuserClient(canary);
		try {
			const {rows} = await client.query('SELECT COUNT(*)::int AS n FROM t');
			assert.equal(rows[0].n, 3, 'the canary database is untouched');
		} finally {
			await client.end();
		}
		assert.deepEqual(await databases(admin), [...expectedDatabases].sort());
	}

	async function backup(database: string, format: 'archive' | 'sql'): Promise<string> {
		const output = join(dir, `${(artifactCount += 1)}-${format}.${format === 'sql' ? 'sql' : 'tar'}`);
		const result = await runCli(['backup', 'single', database, '--output', output, '--format', format, '--workers', '2', '--yes', ...superuserArgs], {timeoutMs});
		assert.equal(result.code, 0, result.stderr);
		return output;
	}

	async function assertSameAs(database: string, copy: string): Promise<void> {
		const expected = await dumpSchema(database);
		const actual = await dumpSchema(copy);
		assert.ok(actual === expected, firstDifferences(expected, actual));
		assert.deepEqual(await databaseChecksums(copy), await databaseChecksums(database));
	}

	for (const format of ['archive', 'sql'] as const) {
		test(`${format}: our restore under --target-db rebuilds the objects and changes nothing else`, async () => {
			for (const database of [source, hostileDatabase]) {
				const artifact = await backup(database, format);
				const copy = uniqueName('pginj_copy');
				made.push(copy);
				const before = await databases(admin);
				const result = await runCli(['restore', artifact, '--target-db', copy, '--workers', '2', '--yes', ...superuserArgs], {timeoutMs});
				assert.equal(result.code, 0, result.stderr);
				await assertNothingEscaped([...before, copy]);
				await assertSameAs(database, copy);
			}
		});
	}

	test('sql: stock psql runs our script and nothing else happens; the script is \\restrict-ed', async () => {
		for (const database of [source, hostileDatabase]) {
			const script = await backup(database, 'sql');
			const text = await readFile(script, 'utf8');
			const key = /^\\restrict (\S+)$/m.exec(text)?.[1];
			assert.ok(key, 'the script starts restricted, as pg_dump does');
			assert.ok(text.trimEnd().endsWith(`\\unrestrict ${key}`), 'and lifts the restriction as its last line');
			const copy = uniqueName('pginj_psql');
			made.push(copy);
			await admin.query(`CREATE DATABASE ${q(copy)}`);
			const before = await databases(admin);
			await run('/usr/lib/postgresql/15/bin/psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-h', postgres.socketDir, '-p', String(postgres.port), '-U', postgres.superuser, '-d', copy, '-f', script], {maxBuffer: 64 * 1024 * 1024});
			await assertNothingEscaped(before);
			await assertSameAs(database, copy);
		}
	});
});
