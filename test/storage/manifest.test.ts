import assert from 'node:assert/strict';
import {describe, test} from 'node:test';
import {IntegrityError} from '../../source/core/errors.ts';
import {
	manifestProblems,
	parseManifest,
	serializeManifest,
	validateManifest,
	type Manifest,
} from '../../source/storage/archive/manifest.ts';

function goodManifest(): Manifest {
	return {
		formatVersion: 1,
		tool: {name: 'dbbackup', version: '0.1.0'},
		engine: 'mysqldump',
		dbType: 'mysql',
		server: {version: '10.11.6-MariaDB', flavor: 'mariadb', host: 'db1.example:3306'},
		databases: [{name: 'shop', tables: [{name: 'orders', rows: 3, members: ['data/shop/orders.00001.sql.zst']}]}],
		members: [
			{path: 'schema/shop.sql.zst', bytes: 120, rawBytes: 300, sha256: 'a'.repeat(64), compression: 'zstd'},
			{path: 'data/shop/orders.00001.sql.zst', bytes: 90, rawBytes: 200, sha256: 'b'.repeat(64), compression: 'zstd', rows: 3},
		],
		coordinates: {binlogFile: 'mysql-bin.000003', binlogPos: 4, gtid: '0-1-42'},
		startedAt: '2025-01-02T03:04:05.000Z',
		finishedAt: '2025-01-02T03:04:09.500Z',
		lockMs: 12,
		options: {compress: 'zstd', level: 3},
	};
}

function expectProblem(change: (manifest: any) => void, field: string, message: RegExp): void {
	const manifest: any = goodManifest();
	change(manifest);
	const problems = manifestProblems(manifest);
	assert.ok(
		problems.some((problem) => problem.field === field && message.test(problem.message)),
		`expected a problem at ${field}, got ${JSON.stringify(problems)}`,
	);
	assert.throws(() => parseManifest(JSON.stringify(manifest), 'backup.tar (manifest.json)'), (error: unknown) => {
		assert.ok(error instanceof IntegrityError);
		assert.equal(error.exitCode, 5);
		assert.equal(error.code, 'MANIFEST_INVALID');
		assert.match(error.message, /^backup\.tar \(manifest\.json\): the manifest is not valid: /);
		return true;
	});
}

describe('manifest validation', () => {
	test('a complete manifest is valid and survives serialization', () => {
		const manifest = goodManifest();
		assert.deepEqual(manifestProblems(manifest), []);
		const text = serializeManifest(manifest);
		assert.ok(text.endsWith('\n'));
		assert.deepEqual(parseManifest(text, 'x'), manifest);
		const {lockMs: _, ...withoutLock} = manifest;
		assert.deepEqual(manifestProblems(withoutLock), []);
	});

	test('the error names the first bad field and counts the others', () => {
		const manifest: any = goodManifest();
		manifest.engine = '';
		manifest.members[1].bytes = -1;
		assert.throws(() => validateManifest(manifest, 'a.tar'), {
			message: 'a.tar: the manifest is not valid: engine must be a non-empty string (and 1 more problem)',
		});
	});

	test('format version', () => {
		expectProblem((m) => (m.formatVersion = 2), 'formatVersion', /is 2, newer than this version of dbbackup reads \(1\)/);
		expectProblem((m) => delete m.formatVersion, 'formatVersion', /must be 1/);
	});

	test('tool, engine, dbType, server', () => {
		expectProblem((m) => delete m.tool.version, 'tool.version', /non-empty string/);
		expectProblem((m) => (m.tool = 'dbbackup'), 'tool', /must be an object/);
		expectProblem((m) => (m.dbType = 'oracle'), 'dbType', /"mysql" or "postgres"/);
		expectProblem((m) => (m.server.host = 'root:secret@db1'), 'server.host', /without user, password or scheme/);
		expectProblem((m) => (m.server.host = 'mysql://db1'), 'server.host', /without user, password or scheme/);
		expectProblem((m) => delete m.server.flavor, 'server.flavor', /non-empty string/);
	});

	test('members', () => {
		expectProblem((m) => (m.members[0].sha256 = 'A'.repeat(64)), 'members[0].sha256', /64 lowercase hex/);
		expectProblem((m) => (m.members[0].sha256 = 'a'.repeat(63)), 'members[0].sha256', /64 lowercase hex/);
		expectProblem((m) => (m.members[1].bytes = 1.5), 'members[1].bytes', /whole number/);
		expectProblem((m) => delete m.members[1].rawBytes, 'members[1].rawBytes', /whole number/);
		expectProblem((m) => (m.members[1].rows = -3), 'members[1].rows', /whole number/);
		expectProblem((m) => (m.members[0].compression = 'xz'), 'members[0].compression', /one of zstd, gzip, lz4, none/);
		expectProblem((m) => (m.members[0].path = '../etc/passwd'), 'members[0].path', /"\.\." segment/);
		expectProblem((m) => (m.members[0].path = '/etc/passwd'), 'members[0].path', /relative path/);
		expectProblem((m) => (m.members[0].path = 'manifest.json'), 'members[0].path', /reserved for the manifest/);
		expectProblem((m) => (m.members[1].path = m.members[0].path), 'members[1].path', /repeats "schema\/shop\.sql\.zst"/);
		expectProblem((m) => (m.members = {}), 'members', /must be an array/);
	});

	test('databases and tables', () => {
		expectProblem((m) => (m.databases[0].tables[0].members = ['data/shop/nope.sql.zst']), 'databases[0].tables[0].members[0]', /is not one of the manifest's members/);
		expectProblem((m) => (m.databases[0].tables[0].rows = '3'), 'databases[0].tables[0].rows', /whole number/);
		expectProblem((m) => m.databases.push({name: 'shop', tables: []}), 'databases[1].name', /repeats "shop"/);
		expectProblem((m) => delete m.databases[0].tables, 'databases[0].tables', /must be an array/);
		// attack: a chunk listed twice would be loaded twice
		expectProblem(
			(m) => m.databases[0].tables[0].members.push(m.databases[0].tables[0].members[0]),
			`databases[0].tables[0].members[1]`,
			/repeats "data\/.*", already listed at databases\[0\]\.tables\[0\]\.members\[0\]/,
		);
	});

	test('times, coordinates, options', () => {
		expectProblem((m) => (m.startedAt = 'yesterday'), 'startedAt', /ISO 8601/);
		expectProblem((m) => (m.finishedAt = '2025-01-01T00:00:00Z'), 'finishedAt', /before startedAt/);
		expectProblem((m) => (m.lockMs = -1), 'lockMs', /milliseconds/);
		expectProblem((m) => (m.coordinates = null), 'coordinates', /must be an object/);
		expectProblem((m) => (m.options = []), 'options', /must be an object/);
	});

	test('text that is not JSON, or JSON that is not an object', () => {
		assert.throws(() => parseManifest('{"formatVersion": 1,', 'b.tar (manifest.json)'), {
			name: 'IntegrityError',
			code: 'MANIFEST_INVALID',
			message: /^b\.tar \(manifest\.json\): the manifest is not valid JSON/,
		});
		assert.throws(() => parseManifest('[1, 2]', 'b.tar'), {message: /\(manifest\) must be an object/});
	});
});

/** A base backup's manifest: a tablespace and the data directory, their files' bytes in members, the server's backup_manifest. */
function physicalManifest(): any {
	const member = (path: string, rawBytes: number) => ({path, bytes: 10, rawBytes, sha256: 'c'.repeat(64), compression: 'zstd'});
	return {
		...goodManifest(),
		engine: 'basebackup',
		dbType: 'postgres',
		databases: [{name: 'postgres', tables: []}],
		members: [member('pgdata/16385/000000.zst', 8192), member('pgdata/base/000000.zst', 100), member('pgdata/base/000001.zst', 8), member('backup_manifest.zst', 500)],
		coordinates: {label: 'dbbackup', startLsn: '0/2000028', endLsn: '0/2000100', timeline: 1},
		physical: {
			archives: [
				{
					name: '16385',
					location: '/srv/tablespaces/t1',
					members: ['pgdata/16385/000000.zst'],
					entries: [
						{path: 'PG_15_202209061', type: 'directory', mode: 0o700},
						{path: 'PG_15_202209061/5/16386', type: 'file', mode: 0o600, size: 8192},
					],
				},
				{
					name: 'base',
					members: ['pgdata/base/000000.zst', 'pgdata/base/000001.zst'],
					entries: [
						{path: 'PG_VERSION', type: 'file', mode: 0o600, size: 3},
						{path: 'global', type: 'directory', mode: 0o700},
						{path: 'global/pg_control', type: 'file', mode: 0o600, size: 105},
						{path: 'pg_tblspc', type: 'directory', mode: 0o700},
						{path: 'pg_tblspc/16385', type: 'symlink', mode: 0o777, target: '/srv/tablespaces/t1'},
					],
				},
			],
			backupManifest: 'backup_manifest.zst',
		},
	};
}

function expectPhysicalProblem(change: (manifest: any) => void, field: string, message: RegExp): void {
	const manifest = physicalManifest();
	change(manifest);
	const problems = manifestProblems(manifest);
	assert.ok(
		problems.some((problem) => problem.field === field && message.test(problem.message)),
		`expected a problem at ${field}, got ${JSON.stringify(problems)}`,
	);
}

describe('manifest validation: the physical section (file modes, directories, symlinks)', () => {
	test('a base backup\'s manifest is valid and survives serialization', () => {
		const manifest = physicalManifest();
		assert.deepEqual(manifestProblems(manifest), []);
		assert.deepEqual(parseManifest(serializeManifest(manifest), 'x'), manifest);
	});

	test('members must exist, be listed once, and hold exactly the files\' bytes', () => {
		expectPhysicalProblem((m) => (m.physical.archives[1].members[1] = 'pgdata/base/000009.zst'), 'physical.archives[1].members[1]', /is not one of the manifest's members/);
		expectPhysicalProblem((m) => (m.physical.backupManifest = 'pgdata/base/000000.zst'), 'physical.archives[1].members[0]', /repeats "pgdata\/base\/000000.zst", already listed at physical.backupManifest/);
		expectPhysicalProblem((m) => (m.physical.archives[1].entries[0].size = 4), 'physical.archives[1].members', /hold 108 bytes, but the archive's files add up to 109/);
		expectPhysicalProblem((m) => (m.physical.archives = []), 'physical.archives', /at least one archive/);
	});

	test('paths may not escape the directory, and each kind of entry carries only its own fields', () => {
		expectPhysicalProblem((m) => (m.physical.archives[1].entries[1].path = '../etc'), 'physical.archives[1].entries[1].path', /"\.\." segment/);
		expectPhysicalProblem((m) => (m.physical.archives[1].entries[1].path = '/etc'), 'physical.archives[1].entries[1].path', /relative path/);
		expectPhysicalProblem((m) => (m.physical.archives[1].entries[1].path = 'PG_VERSION'), 'physical.archives[1].entries[1].path', /repeats "PG_VERSION"/);
		expectPhysicalProblem((m) => (m.physical.archives[1].entries[1].type = 'fifo'), 'physical.archives[1].entries[1].type', /directory, file, symlink/);
		expectPhysicalProblem((m) => (m.physical.archives[1].entries[1].mode = 0o10000), 'physical.archives[1].entries[1].mode', /permission bits/);
		expectPhysicalProblem((m) => (m.physical.archives[1].entries[1].size = 1), 'physical.archives[1].entries[1].size', /only for files/);
		expectPhysicalProblem((m) => delete m.physical.archives[1].entries[4].target, 'physical.archives[1].entries[4].target', /non-empty string/);
		expectPhysicalProblem((m) => delete m.physical.archives[1].entries[2].size, 'physical.archives[1].entries[2].size', /whole number/);
	});

	test('archives: the data directory and tablespaces with absolute locations, each once', () => {
		expectPhysicalProblem((m) => (m.physical.archives[0].location = 'relative/t1'), 'physical.archives[0].location', /absolute path/);
		expectPhysicalProblem((m) => (m.physical.archives[0].location = '/srv/../etc'), 'physical.archives[0].location', /absolute path without "\.\."/);
		expectPhysicalProblem((m) => (m.physical.archives[1].location = '/x'), 'physical.archives[1].location', /absent for the data directory/);
		expectPhysicalProblem((m) => (m.physical.archives[0].name = 'base'), 'physical.archives[1].name', /repeats "base"/);
		expectPhysicalProblem((m) => (m.physical.archives[0].name = '../x'), 'physical.archives[0].name', /"base" or a tablespace OID/);
	});
});
