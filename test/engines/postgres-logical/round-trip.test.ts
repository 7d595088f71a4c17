import assert from 'node:assert/strict';
import {execFile} from 'node:child_process';
import {mkdtemp, rm} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {promisify} from 'node:util';
import {after, before, describe, test} from 'node:test';
import type pg from 'pg';
import type {ConnectionSettings} from '../../../source/core/connection-settings.ts';
import {EventBus} from '../../../source/core/events.ts';
import {postgresLogicalEngine} from '../../../source/engines/postgres-logical/index.ts';
import {postgresTableChecksums} from '../../../source/engines/postgres-logical/table-checksums.ts';
import {openArchive} from '../../../source/storage/archive/reader.ts';
import {dropPostgresDatabases, postgresSuperuserClient, uniqueName} from '../../harness/db.ts';
import {getTestServers} from '../../harness/servers.ts';
import {databaseChecksums} from './checksums.ts';
import {dumpSchema, firstDifferences} from './ddl/round-trip.ts';
import {createZoo, createZooRoles, dropZooRoles, fillZoo, type ZooRoles} from './zoo.ts';

const run = promisify(execFile);

/** The superuser over the socket: the zoo has event triggers and objects owned by several roles. */
function superuserSettings(): ConnectionSettings {
	const {postgres} = getTestServers();
	return {dbType: 'postgres', socket: postgres.socketDir, port: postgres.port, user: postgres.superuser};
}

describe('postgres-logical round trip of the zoo: every object kind, every common type, hostile names', () => {
	let superuser: pg.Client;
	let roles: ZooRoles;
	let dir: string;
	const source = uniqueName('pg_zoo');
	const created: string[] = [source];
	let schema: string;
	let contents: Record<string, string>;

	before(async () => {
		superuser = await postgresSuperuserClient();
		roles = await createZooRoles(superuser);
		dir = await mkdtemp(join(tmpdir(), 'dbbackup-pg-zoo-'));
		await superuser.query(`CREATE DATABASE ${source}`);
		const zoo = await postgresSuperuserClient(source);
		try {
			await createZoo(zoo, roles);
			await fillZoo(zoo);
			await zoo.query('ANALYZE');
		} finally {
			await zoo.end();
		}
		schema = await dumpSchema(source);
		contents = await databaseChecksums(source);
		assert.ok(Object.keys(contents).length > 10, `the zoo has relations: ${Object.keys(contents).join(', ')}`);
	});

	after(async () => {
		await dropPostgresDatabases(created);
		await dropZooRoles(superuser, roles);
		await superuser.end();
		await rm(dir, {recursive: true, force: true});
	});

	async function assertSameAsSource(copy: string): Promise<void> {
		const restored = await dumpSchema(copy);
		assert.ok(restored === schema, `pg_dump --schema-only differs:\n${firstDifferences(schema, restored)}`);
		assert.deepEqual(await databaseChecksums(copy), contents);
	}

	for (const workers of [1, 3]) {
		test(`archive with ${workers} worker(s), small chunks: identical pg_dump --schema-only and equal rows, sequences, large objects`, async () => {
			const output = join(dir, `zoo-${workers}.tar`);
			const bus = new EventBus();
			const overall: Array<{done: number; total?: number}> = [];
			bus.on('progress', (event) => {
				if (event.task === 'dump') overall.push(event);
			});
			const backup = await postgresLogicalEngine.backup(
				{settings: superuserSettings(), databases: [source], output, workers, format: 'archive', compress: 'zstd', chunkRows: 40},
				bus,
			);
			assert.ok(backup.rows > 0);
			// the whole dump's progress is in rows and ends at the rows dumped, whatever the planner estimated
			assert.deepEqual(overall.at(-1), {...overall.at(-1), unit: 'rows', done: backup.rows, total: backup.rows});
			const {manifest} = await openArchive(output);
			assert.equal(manifest.engine, 'postgres-logical');
			assert.ok(manifest.databases[0].tables.some((table) => table.members.length > 1), 'some table was split into chunks');
			const copy = uniqueName('pg_zoo_copy');
			created.push(copy);
			const result = await postgresLogicalEngine.restore({settings: superuserSettings(), artifact: output, targetDb: copy, workers}, new EventBus());
			assert.equal(result.failedStatements, 0);
			await assertSameAsSource(copy);
			// the rows' checksums the dump recorded across its chunks are those of the source and of the copy
			const recorded = manifest.databases[0].tables.map(({namespace, name, rows, checksum}) => ({namespace, name, rows, checksum}));
			assert.ok(recorded.every((table) => /^rowsum1:[0-9a-f]{24}$/.test(table.checksum ?? '')));
			const key = (table: {namespace?: string; name: string}) => `${table.namespace}.${table.name}`;
			const sorted = <T extends {namespace?: string; name: string}>(tables: T[]) => [...tables].sort((a, b) => key(a).localeCompare(key(b)));
			assert.deepEqual(sorted(await postgresTableChecksums(superuserSettings(), source)), sorted(recorded));
			assert.deepEqual(sorted(await postgresTableChecksums(superuserSettings(), copy)), sorted(recorded));
		});
	}

	test('--format sql: stock psql and our restore both rebuild the zoo identically', async () => {
		const output = join(dir, 'zoo.sql');
		await postgresLogicalEngine.backup({settings: superuserSettings(), databases: [source], output, workers: 2, format: 'sql', compress: 'none'}, new EventBus());
		const {postgres} = getTestServers();
		const viaPsql = uniqueName('pg_zoo_psql');
		created.push(viaPsql);
		// the script runs in an existing database, as with pg_dump -Fp; its database-level settings are ours to give
		await superuser.query(`CREATE DATABASE ${viaPsql} TEMPLATE template0`);
		await run('/usr/lib/postgresql/15/bin/psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-h', postgres.socketDir, '-p', String(postgres.port), '-U', postgres.superuser, '-d', viaPsql, '-f', output], {maxBuffer: 64 * 1024 * 1024});
		assert.deepEqual(await databaseChecksums(viaPsql), contents);
		const ours = uniqueName('pg_zoo_script');
		created.push(ours);
		await postgresLogicalEngine.restore({settings: superuserSettings(), artifact: output, targetDb: ours, workers: 1}, new EventBus());
		assert.deepEqual(await databaseChecksums(ours), contents);
	});
});
