/**
 * Attack: a PostgreSQL archive altered by someone who can write it, its manifest and sidecar resealed
 * so every checksum matches. The table of contents may only hold definitions inside the database: the
 * restore refuses anything else (exit 5) before it touches the server — no role made superuser, no
 * program run, no other database, no server setting.
 */
import assert from 'node:assert/strict';
import {existsSync} from 'node:fs';
import {mkdtemp, rm} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, before, describe, test} from 'node:test';
import type pg from 'pg';
import {runCli} from '../../cli/run-cli.ts';
import {dropPostgresDatabases, postgresSuperuserClient, uniqueName} from '../../harness/db.ts';
import {resealArchive} from '../../harness/reseal-archive.ts';
import {getTestServers} from '../../harness/servers.ts';

const {postgres} = getTestServers();
const superuserArgs = ['--db-type', 'postgres', '--socket', postgres.socketDir, '--port', String(postgres.port), '--user', postgres.superuser];
const timeoutMs = 120_000;
const tenant = `crt${process.pid % 100_000}`;
const evil = `evil${process.pid % 100_000}`;
const marker = join(tmpdir(), `pgcrafted${process.pid}`);

interface StoredTocJson {
	toc: {database: {createOptions: string; postCreateSql: string[]}; entries: Array<{sql: string; kind: string; section: string}>; tables: Array<{columns: string[]}>};
}

const ATTACKS: Array<{name: string; change: (toc: StoredTocJson) => void}> = [
	{name: 'a definition makes the tenant superuser', change: (toc) => void (toc.toc.entries[0]!.sql += `ALTER ROLE ${tenant} SUPERUSER;\n`)},
	{name: 'a definition creates a superuser role', change: (toc) => void (toc.toc.entries[0]!.sql += `CREATE ROLE ${evil} SUPERUSER LOGIN;\n`)},
	{name: 'a definition runs a program with COPY', change: (toc) => void (toc.toc.entries[0]!.sql += `COPY (SELECT 1) TO PROGRAM 'touch ${marker}';\n`)},
	{name: 'a definition runs a DO block', change: (toc) => void (toc.toc.entries[0]!.sql += `DO $x$ BEGIN EXECUTE 'ALTER ROLE ${tenant} SUPERUSER'; END $x$;\n`)},
	{name: 'a definition hides its statement after a comment', change: (toc) => void (toc.toc.entries[0]!.sql += `/* ; */ -- ;\n ALTER ROLE ${tenant} SUPERUSER;\n`)},
	{name: 'a definition grants a role membership', change: (toc) => void (toc.toc.entries[0]!.sql += `GRANT pg_execute_server_program TO ${tenant};\n`)},
	{name: 'a definition changes a server setting', change: (toc) => void (toc.toc.entries[0]!.sql += "ALTER SYSTEM SET log_statement = 'none';\n")},
	{name: 'a definition reads a file', change: (toc) => void (toc.toc.entries[0]!.sql += "SELECT pg_catalog.pg_read_file('/etc/passwd');\n")},
	{name: 'a definition loads a C function', change: (toc) => void (toc.toc.entries[0]!.sql += "CREATE FUNCTION public.f() RETURNS void LANGUAGE c AS '/tmp/evil.so', 'f';\n")},
	{name: 'a definition creates another database', change: (toc) => void (toc.toc.entries[0]!.sql += `CREATE DATABASE ${evil};\n`)},
	{name: 'a definition deletes rows', change: (toc) => void (toc.toc.entries[0]!.sql += 'DELETE FROM pg_catalog.pg_description;\n')},
	{name: 'a COPY column list carries a statement', change: (toc) => void (toc.toc.tables[0]!.columns[0] = `id) FROM STDIN; ALTER ROLE ${tenant} SUPERUSER; COPY public.t (id`)},
	{name: 'the CREATE DATABASE options carry a statement', change: (toc) => void (toc.toc.database.createOptions += `; ALTER ROLE ${tenant} SUPERUSER; --`)},
	{name: 'the database settings alter a role', change: (toc) => void toc.toc.database.postCreateSql.push(`ALTER ROLE ${tenant} SUPERUSER;`)},
	{name: 'the database settings name another database', change: (toc) => void toc.toc.database.postCreateSql.push('ALTER DATABASE postgres SET work_mem TO \'1MB\';')},
];

describe('attack: a crafted PostgreSQL archive with resealed checksums stays inside --target-db', () => {
	let admin: pg.Client;
	let dir: string;
	let archive: string;
	let tocMember: string;
	const source = uniqueName('pgcrafted_src');
	const made: string[] = [];

	async function isSuperuser(role: string): Promise<boolean> {
		const {rows} = await admin.query('SELECT rolsuper FROM pg_roles WHERE rolname = $1', [role]);
		return rows[0]?.rolsuper === true;
	}

	before(async () => {
		admin = await postgresSuperuserClient();
		dir = await mkdtemp(join(tmpdir(), 'dbbackup-pg-crafted-'));
		await rm(marker, {force: true});
		await admin.query(`DROP ROLE IF EXISTS ${evil}`);
		await admin.query(`DROP ROLE IF EXISTS ${tenant}`);
		await admin.query(`CREATE ROLE ${tenant} LOGIN`);
		await admin.query(`CREATE DATABASE ${source} OWNER ${tenant}`);
		const client = await postgresSuperuserClient(source);
		await client.query("CREATE TABLE public.t (id integer PRIMARY KEY, v text); INSERT INTO public.t VALUES (1, 'a'), (2, 'b'); COMMENT ON DATABASE " + source + " IS 'shop';");
		await client.end();
		archive = join(dir, 'source.tar');
		const result = await runCli(['backup', 'single', source, '--output', archive, '--compress', 'none', '--yes', ...superuserArgs], {timeoutMs});
		assert.equal(result.code, 0, result.stderr);
		const manifest = await resealArchive(archive, join(dir, 'unchanged.tar'), (_, data) => data);
		tocMember = manifest.members.map((member) => member.path).find((path) => path.endsWith('.toc.json'))!;
		assert.ok(tocMember);
	});

	after(async () => {
		await dropPostgresDatabases([source, evil, ...made]);
		await admin.query(`DROP ROLE IF EXISTS ${evil}`);
		await admin.query(`DROP ROLE IF EXISTS ${tenant}`);
		await admin.end();
		await rm(dir, {recursive: true, force: true});
		await rm(marker, {force: true});
	});

	test('the unchanged, resealed archive restores (the rules refuse nothing our dumps write)', async () => {
		const copy = uniqueName('pgcrafted_ok');
		made.push(copy);
		const result = await runCli(['restore', join(dir, 'unchanged.tar'), '--target-db', copy, '--yes', ...superuserArgs], {timeoutMs});
		assert.equal(result.code, 0, result.stderr);
	});

	for (const attack of ATTACKS) {
		test(attack.name, async () => {
			const crafted = join(dir, `${made.length}.tar`);
			await resealArchive(archive, crafted, (path, data) => {
				if (path !== tocMember) return data;
				const toc = JSON.parse(data.toString('utf8')) as StoredTocJson;
				attack.change(toc);
				return Buffer.from(JSON.stringify(toc));
			});
			const copy = uniqueName('pgcrafted_copy');
			made.push(copy);
			const result = await runCli(['restore', crafted, '--target-db', copy, '--yes', ...superuserArgs], {timeoutMs});
			assert.equal(result.code, 5, `${result.stdout}\n${result.stderr}`);
			assert.match(result.stderr, /\.toc\.json: .*altered after it was made/s);
			assert.equal(await isSuperuser(tenant), false, 'the tenant is not superuser');
			const {rows: roles} = await admin.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [evil]);
			assert.equal(roles.length, 0, 'no role was created');
			const {rows: members} = await admin.query("SELECT 1 FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.member WHERE r.rolname = $1", [tenant]);
			assert.equal(members.length, 0, 'no role membership was granted');
			assert.equal(existsSync(marker), false, 'no program ran');
			const {rows: databases} = await admin.query('SELECT datname FROM pg_database WHERE datname = ANY($1)', [[copy, evil]]);
			assert.deepEqual(databases, [], 'refused before any database was created');
			const {rows: settings} = await admin.query("SELECT 1 FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase WHERE d.datname = 'postgres'");
			assert.equal(settings.length, 0, 'no setting of another database changed');
		});
	}
});
