import assert from 'node:assert/strict';
import {mkdtemp, rm, writeFile} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {after, before, describe, test} from 'node:test';
import {CliAppController, outputDirectory} from '../../source/cli/app-controller.ts';
import {defaultConfig} from '../../source/core/config/defaults.ts';
import type {Config} from '../../source/core/config/types.ts';
import {EventBus} from '../../source/core/events.ts';
import {ConnectionError, UsageError} from '../../source/core/errors.ts';
import {freePort} from '../../source/sandbox/free-port.ts';
import {mariadbConnection, uniqueName} from '../harness/db.ts';
import {getTestServers} from '../harness/servers.ts';

const {mariadb} = getTestServers();
const live = {dbType: 'mysql' as const, host: mariadb.host, port: mariadb.port, user: mariadb.user, password: mariadb.password};

test('a failed detection marks the connection as error and becomes the exit code; a later success clears it', async () => {
	const dead = {...live, port: await freePort()};
	const failing = new CliAppController(new EventBus(), [dead], true);
	assert.equal(failing.connectionState(), 'connecting');
	await assert.rejects(failing.detect(), ConnectionError);
	assert.equal(failing.connectionState(), 'error');
	assert.equal(failing.lastFailure?.exitCode, 3);

	const working = new CliAppController(new EventBus(), [live], true);
	const [env] = await working.detect();
	assert.equal(env?.dbType, 'mysql');
	assert.equal(working.connectionState(), 'connected');
	assert.equal(working.lastFailure, undefined);
	assert.match(working.connectionLabel(), new RegExp(`^mysql dbbackup@127\\.0\\.0\\.1:${mariadb.port}$`));
});

test('engine selection reuses the environment just detected, then detects afresh', async () => {
	const bus = new EventBus();
	let connects = 0;
	bus.on('stage', (event) => {
		if (event.name === 'connect') connects++;
	});
	const controller = new CliAppController(bus, [live], true);
	await controller.detect();
	const [selection] = await controller.selectEngine();
	assert.equal(selection?.preferred, 'mysqldump');
	assert.equal(connects, 1);
	await controller.selectEngine();
	assert.equal(connects, 2);
});

test('not configured until the demo starts', () => {
	const controller = new CliAppController(new EventBus(), [live], false);
	assert.equal(controller.isConfigured(), false);
	assert.equal(controller.connectionState(), 'not-configured');
	assert.equal(controller.connectionLabel(), 'not configured');
});

describe('the default output directory', () => {
	test('cwd without output.path; the directory of a file path; a directory path itself', async () => {
		const dir = await mkdtemp(path.join(os.tmpdir(), 'dbbackup-outdir-'));
		try {
			assert.equal(outputDirectory(undefined, '/work'), '/work');
			assert.equal(outputDirectory('/backups/nightly.tar', '/work'), '/backups');
			assert.equal(outputDirectory('/backups/', '/work'), path.resolve('/backups'));
			assert.equal(outputDirectory('out/nightly.tar', '/work'), '/work/out');
			// an existing directory named without a trailing slash is the directory itself
			assert.equal(outputDirectory(dir, '/work'), dir);
		} finally {
			await rm(dir, {recursive: true, force: true});
		}
	});

	test('the controller hands out what it was given, cwd by default', () => {
		assert.equal(new CliAppController(new EventBus(), [live], true, {}, '/srv/backups').defaultOutputDir(), '/srv/backups');
		assert.equal(new CliAppController(new EventBus(), [live], true).defaultOutputDir(), process.cwd());
	});
});

/** A configuration with these output keys, as the CLI hands it to the app. */
function withOutput(output: Partial<Config['output']>): {config: Config} {
	const config = defaultConfig();
	return {config: {...config, output: {...config.output, ...output}}};
}

const STAMPED = String.raw`\d{8}T\d{6}\.\d{3}Z-[0-9a-f]{4}\.tar`;

describe('what the backup form starts with', () => {
	test('the compression and the workers of output.compress and output.workers; zstd and the cores without a config', () => {
		const configured = new CliAppController(new EventBus(), [live], true, {}, '/b', withOutput({compress: 'gzip', workers: 3}));
		assert.equal(configured.defaultCompression(), 'gzip');
		assert.equal(configured.defaultWorkers(), 3);
		assert.equal(new CliAppController(new EventBus(), [live], true, {}, '/b', withOutput({compress: 'none'})).defaultCompression(), 'none');
		const bare = new CliAppController(new EventBus(), [live], true);
		assert.equal(bare.defaultCompression(), 'zstd');
		assert.equal(bare.defaultWorkers(), os.availableParallelism());
	});

	test('the preview of a name follows the naming rule of the command line: the databases, or "encrypted" with output.encrypt', () => {
		const plain = new CliAppController(new EventBus(), [live], true, {}, '/b', withOutput({}));
		assert.match(plain.previewBackupName(['shop']), new RegExp(`^shop-${STAMPED}$`));
		assert.match(plain.previewBackupName([]), new RegExp(`^all-${STAMPED}$`));
		assert.match(plain.previewBackupName(['-x']), new RegExp(`^db_-x-${STAMPED}$`));
		const encrypted = new CliAppController(new EventBus(), [live], true, {}, '/b', withOutput({encrypt: true}));
		assert.match(encrypted.previewBackupName(['shop']), new RegExp(`^encrypted-${STAMPED}$`));
	});
});

describe('which server a request goes to', () => {
	const postgresTarget = {dbType: 'postgres' as const, host: '127.0.0.1', port: 1, user: 'postgres'};

	test('one server per kind, labelled like the header', () => {
		const controller = new CliAppController(new EventBus(), [postgresTarget, live], true);
		assert.deepEqual(controller.servers(), [
			{dbType: 'postgres', label: 'postgres postgres@127.0.0.1:1'},
			{dbType: 'mysql', label: `mysql ${mariadb.user}@127.0.0.1:${mariadb.port}`},
		]);
	});

	test('asking for a kind that is not configured is a usage error that becomes the exit code', async () => {
		const controller = new CliAppController(new EventBus(), [live], true);
		await assert.rejects(controller.listDatabases({dbType: 'postgres'}), (error: unknown) => {
			assert.ok(error instanceof UsageError);
			assert.equal(error.code, 'NO_SERVER');
			return true;
		});
		assert.equal(controller.lastFailure?.exitCode, 2);
		// not a connection problem: the header does not say the connection failed
		assert.equal(controller.connectionState(), 'connecting');
	});
});

describe('backup and restore through the services', () => {
	const source = uniqueName('tui_src');
	const copy = uniqueName('tui_copy');
	let dir: string;

	before(async () => {
		dir = await mkdtemp(path.join(os.tmpdir(), 'dbbackup-tui-'));
		const connection = await mariadbConnection({multipleStatements: true});
		try {
			await connection.query(
				`CREATE DATABASE ${source};
				CREATE TABLE ${source}.orders (id INT PRIMARY KEY, item VARCHAR(20));
				INSERT INTO ${source}.orders VALUES (1, 'apple'), (2, 'pear'), (3, 'plum');`,
			);
		} finally {
			await connection.end();
		}
	});

	after(async () => {
		const connection = await mariadbConnection();
		try {
			await connection.query(`DROP DATABASE IF EXISTS ${source}`);
			await connection.query(`DROP DATABASE IF EXISTS ${copy}`);
		} finally {
			await connection.end();
		}
		await rm(dir, {recursive: true, force: true});
	});

	test('list, back up, list artifacts, describe, plan and restore into a new database, then plan over it', async () => {
		const bus = new EventBus();
		const tasks = new Set<string>();
		bus.on('progress', (event) => tasks.add(event.task));
		const controller = new CliAppController(bus, [live], true, {}, dir);

		const databases = await controller.listDatabases();
		const listed = databases.find((database) => database.name === source);
		assert.equal(listed?.tables, 1);
		assert.equal(controller.connectionState(), 'connected');

		const output = path.join(dir, `${source}.tar`);
		const outcome = await controller.backup({databases: [source], output, format: 'archive', compress: 'gzip', workers: 2});
		assert.equal(outcome.engine, 'mysqldump');
		assert.equal(outcome.result.artifact, output);
		assert.equal(outcome.result.rows, 3);
		assert.ok(tasks.has(`rows ${source}.orders`), `progress tasks: ${[...tasks].join(', ')}`);

		const artifacts = await controller.listArtifacts();
		assert.deepEqual(artifacts.map((artifact) => artifact.path), [output]);
		const summary = await controller.describeArtifact(output);
		assert.equal(summary.dbType, 'mysql');
		assert.deepEqual(summary.databases, [{name: source, tables: 1, rows: 3}]);

		const fresh = await controller.planRestore({dbType: summary.dbType, artifact: output, targetDb: copy, workers: 2});
		assert.deepEqual(fresh, {databases: [{source, target: copy, exists: false, tables: 0}], destructive: false});

		const restored = await controller.restore({dbType: summary.dbType, artifact: output, targetDb: copy, workers: 2});
		assert.deepEqual(restored.databases, [copy]);
		assert.equal(restored.rows, 3);
		assert.equal(controller.lastFailure, undefined);

		const over = await controller.planRestore({dbType: summary.dbType, artifact: output, targetDb: copy, workers: 2});
		assert.equal(over.destructive, true);
		assert.equal(over.databases[0]?.exists, true);
	});

	test('the Output field takes folders as the command line does: a new one (trailing /) and an existing one get a named .tar inside; a file in a missing folder gets the folder; the restore list follows', async () => {
		const home = path.join(dir, 'home-default');
		const controller = new CliAppController(new EventBus(), [live], true, {}, home);
		assert.deepEqual(await controller.listArtifacts(), [], 'the default folder, before any backup made it, lists nothing');
		const named = new RegExp(`/${source}-\\d{8}T\\d{6}\\.\\d{3}Z-[0-9a-f]{4}\\.tar$`);

		const fresh = path.join(dir, 'new-folder', 'nested') + '/';
		const first = await controller.backup({databases: [source], output: fresh, format: 'archive', compress: 'zstd', workers: 2});
		assert.match(first.result.artifact, named);
		assert.equal(path.dirname(first.result.artifact), path.resolve(fresh));
		assert.equal(controller.defaultOutputDir(), path.resolve(fresh), 'the next backup starts from the folder just used');
		assert.deepEqual((await controller.listArtifacts()).map((artifact) => artifact.path), [first.result.artifact], 'the restore list shows the backup just made');

		const existing = path.join(dir, 'new-folder');
		const second = await controller.backup({databases: [source], output: existing, format: 'archive', compress: 'zstd', workers: 2});
		assert.match(second.result.artifact, named);
		assert.equal(path.dirname(second.result.artifact), existing);

		const file = path.join(dir, 'missing-parent', 'nightly.tar');
		const third = await controller.backup({databases: [source], output: file, format: 'archive', compress: 'zstd', workers: 2});
		assert.equal(third.result.artifact, file);
	});

	test('one naming rule: an encrypted backup into the default folder is named as the preview said, "encrypted-…", not after its database', async () => {
		const keyFile = path.join(dir, 'backup.key');
		await writeFile(keyFile, `${'ab'.repeat(32)}\n`, {mode: 0o600});
		const folder = path.join(dir, 'encrypted-folder') + '/';
		const controller = new CliAppController(new EventBus(), [live], true, {}, folder, withOutput({encrypt: true, encryption_key_file: keyFile}));
		const preview = controller.previewBackupName([source]);
		const outcome = await controller.backup({databases: [source], output: folder, format: 'archive', compress: 'zstd', workers: 2});
		assert.equal(path.dirname(outcome.result.artifact), path.resolve(folder));
		assert.match(path.basename(outcome.result.artifact), new RegExp(`^encrypted-${STAMPED}$`));
		assert.equal(path.basename(outcome.result.artifact).split('-')[0], preview.split('-')[0]);
	});

	test('a path that cannot be read is refused and its failure kept for the exit code; a success clears it', async () => {
		const controller = new CliAppController(new EventBus(), [live], true, {}, dir);
		await assert.rejects(controller.describeArtifact(path.join(dir, 'missing.tar')), UsageError);
		assert.equal(controller.lastFailure?.exitCode, 2);
		await controller.listArtifacts();
		assert.equal(controller.lastFailure, undefined);
	});

	test('an S3 prefix whose endpoint does not answer: the restore list shows the target\'s own error (S3_UNREACHABLE naming the endpoint), not a wrapped copy', async () => {
		const port = await freePort();
		const saved = {...process.env};
		Object.assign(process.env, {AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'y', AWS_ENDPOINT_URL_S3: `http://127.0.0.1:${port}`, AWS_REGION: 'us-east-1'});
		try {
			const controller = new CliAppController(new EventBus(), [live], true, {}, 's3://my-backups/db/');
			await assert.rejects(controller.listArtifacts(), (error: unknown) => {
				assert.ok(error instanceof ConnectionError);
				assert.equal(error.code, 'S3_UNREACHABLE');
				assert.match(error.message, new RegExp(`^cannot reach http://127\\.0\\.0\\.1:${port} to list s3://my-backups/db/`));
				return true;
			});
			assert.equal(controller.lastFailure?.exitCode, 3);
		} finally {
			process.env = saved;
		}
	});
});
