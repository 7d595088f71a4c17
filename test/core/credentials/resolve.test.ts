import {afterEach, beforeEach, describe, test} from 'node:test';
import assert from 'node:assert/strict';
import {mkdirSync} from 'node:fs';
import {loadConfig} from '../../../source/core/config/load.ts';
import type {DbType} from '../../../source/core/detect/types.ts';
import {resolveConnectionSettings} from '../../../source/core/credentials/resolve.ts';
import {ConfigError} from '../../../source/core/errors.ts';
import {redact, REDACTED} from '../../../source/core/redact.ts';
import {tempTree, type TempTree} from '../config/temp-tree.ts';

let tree: TempTree;
beforeEach(() => {
	tree = tempTree();
});
afterEach(() => tree.remove());

interface Setup {
	/** files written under the temp home (e.g. '.my.cnf', '.dbbackuprc', '.pgpass') */
	files?: Record<string, string>;
	env?: Record<string, string>;
	flags?: Record<string, unknown>;
	/** default sockets that "exist" */
	sockets?: string[];
}

/** Loads the config from a temp home and resolves the connection, as the CLI does. */
async function resolve(dbType: DbType, setup: Setup = {}) {
	const home = tree.at(`home-${Math.random().toString(36).slice(2)}`);
	for (const [name, text] of Object.entries(setup.files ?? {})) tree.write(`${home.slice(tree.root.length + 1)}/${name}`, text);
	const env = setup.env ?? {};
	const asked: string[] = [];
	mkdirSync(home, {recursive: true});
	const loaded = await loadConfig({cwd: home, env, flags: setup.flags ?? {}, home});
	const resolved = resolveConnectionSettings({
		dbType,
		loaded,
		env,
		home,
		osUser: 'os-user',
		socketExists: (socket) => {
			asked.push(socket);
			return (setup.sockets ?? []).includes(socket);
		},
	});
	return {...resolved, loaded, asked, home};
}

/** Each layer given as a partial setup; the strongest first. Dropping layers one by one, the next one must show. */
async function ladder(dbType: DbType, field: 'host' | 'port' | 'user' | 'database' | 'socket', layers: Array<[Setup, unknown, string | undefined]>) {
	for (let start = 0; start < layers.length; start++) {
		const merged: Setup = {files: {}, env: {}, flags: {}, sockets: []};
		for (const [layer] of layers.slice(start)) {
			Object.assign(merged.files!, layer.files);
			Object.assign(merged.env!, layer.env);
			Object.assign(merged.flags!, layer.flags);
			merged.sockets!.push(...(layer.sockets ?? []));
		}
		const {settings, origins} = await resolve(dbType, merged);
		const [, expected, origin] = layers[start];
		assert.equal(settings[field], expected, `${field} with layers from #${start}`);
		// the file's path is checked on its own below
		const shown = origins[field]?.startsWith('config file ') ? 'config file' : origins[field];
		assert.equal(shown, origin, `origin of ${field} with layers from #${start}`);
	}
}

describe('MySQL', () => {
	test('defaults: the local socket when it exists, else localhost:3306; the OS user', async () => {
		const tcp = await resolve('mysql');
		assert.deepEqual(tcp.settings, {dbType: 'mysql', user: 'os-user', host: 'localhost', port: 3306});
		assert.deepEqual(tcp.asked, ['/run/mysqld/mysqld.sock']);
		const socket = await resolve('mysql', {sockets: ['/run/mysqld/mysqld.sock']});
		assert.deepEqual(socket.settings, {dbType: 'mysql', user: 'os-user', socket: '/run/mysqld/mysqld.sock'});
		assert.equal(socket.origins.socket, 'default');
	});

	test('host: flag > DBBACKUP_HOST > MYSQL_HOST > config file > ~/.my.cnf > default', async () => {
		await ladder('mysql', 'host', [
			[{flags: {'connection.host': 'flag-host'}}, 'flag-host', 'flag'],
			[{env: {DBBACKUP_HOST: 'env-host'}}, 'env-host', 'DBBACKUP_HOST'],
			[{env: {MYSQL_HOST: 'mysql-host'}}, 'mysql-host', 'MYSQL_HOST'],
			[{files: {'.dbbackuprc': 'connection:\n  host: file-host\n'}}, 'file-host', 'config file'],
			[{files: {'.my.cnf': '[client]\n\nhost = cnf-host\n'}}, 'cnf-host', '~/.my.cnf [client] (line 3)'],
			[{}, 'localhost', 'default'],
		]);
	});

	test('port: flag > DBBACKUP_PORT > MYSQL_TCP_PORT > config file > ~/.my.cnf > 3306', async () => {
		await ladder('mysql', 'port', [
			[{flags: {'connection.port': 1001}}, 1001, 'flag'],
			[{env: {DBBACKUP_PORT: '1002'}}, 1002, 'DBBACKUP_PORT'],
			[{env: {MYSQL_TCP_PORT: '1003'}}, 1003, 'MYSQL_TCP_PORT'],
			[{files: {'.dbbackuprc': 'connection:\n  port: 1004\n'}}, 1004, 'config file'],
			[{files: {'.my.cnf': '[dbbackup]\nport = 1005\n'}}, 1005, '~/.my.cnf [dbbackup] (line 2)'],
			[{}, 3306, 'default'],
		]);
	});

	test('user and database: flag > DBBACKUP_* > config file > ~/.my.cnf > default', async () => {
		await ladder('mysql', 'user', [
			[{flags: {'connection.user': 'flag-user'}}, 'flag-user', 'flag'],
			[{env: {DBBACKUP_USER: 'env-user'}}, 'env-user', 'DBBACKUP_USER'],
			[{files: {'.dbbackuprc': 'connection:\n  user: file-user\n'}}, 'file-user', 'config file'],
			[{files: {'.my.cnf': '[client]\nuser = cnf-user\n'}}, 'cnf-user', '~/.my.cnf [client] (line 2)'],
			[{}, 'os-user', 'default (OS user)'],
		]);
		await ladder('mysql', 'database', [
			[{flags: {'connection.database': 'flag-db'}}, 'flag-db', 'flag'],
			[{env: {DBBACKUP_DATABASE: 'env-db'}}, 'env-db', 'DBBACKUP_DATABASE'],
			[{files: {'.dbbackuprc': 'connection:\n  database: file-db\n'}}, 'file-db', 'config file'],
			[{files: {'.my.cnf': '[client]\ndatabase = cnf-db\n'}}, 'cnf-db', '~/.my.cnf [client] (line 2)'],
			[{}, undefined, undefined],
		]);
	});

	test('the config file origin names the file', async () => {
		const {origins, home} = await resolve('mysql', {files: {'.dbbackuprc': 'connection:\n  host: h\n'}});
		assert.equal(origins.host, `config file ${home}/.dbbackuprc`);
	});

	test('socket: flag > DBBACKUP_SOCKET > MYSQL_UNIX_PORT > config file > ~/.my.cnf > default', async () => {
		await ladder('mysql', 'socket', [
			[{flags: {'connection.socket': '/flag.sock'}}, '/flag.sock', 'flag'],
			[{env: {DBBACKUP_SOCKET: '/env.sock'}}, '/env.sock', 'DBBACKUP_SOCKET'],
			[{env: {MYSQL_UNIX_PORT: '/mysql.sock'}}, '/mysql.sock', 'MYSQL_UNIX_PORT'],
			[{files: {'.dbbackuprc': 'connection:\n  socket: /file.sock\n'}}, '/file.sock', 'config file'],
			[{files: {'.my.cnf': '[client]\nsocket = /cnf.sock\n'}}, '/cnf.sock', '~/.my.cnf [client] (line 2)'],
			[{sockets: ['/run/mysqld/mysqld.sock']}, '/run/mysqld/mysqld.sock', 'default'],
		]);
	});

	test('socket or TCP: the stronger of the two decides; "localhost" means the socket unless a stronger port is given', async () => {
		const cnf = {'.my.cnf': '[client]\nhost = cnf-host\nsocket = /cnf.sock\n'};
		const hostWins = await resolve('mysql', {files: cnf, flags: {'connection.host': 'db9'}});
		assert.deepEqual(hostWins.settings, {dbType: 'mysql', user: 'os-user', host: 'db9', port: 3306});
		const socketWins = await resolve('mysql', {files: cnf, flags: {'connection.socket': '/flag.sock'}});
		assert.deepEqual(socketWins.settings, {dbType: 'mysql', user: 'os-user', socket: '/flag.sock'});
		// same layer: a real host name wins over the socket, as in the mysql client
		assert.equal((await resolve('mysql', {files: cnf})).settings.host, 'cnf-host');
		// localhost + a socket = the socket
		const local = await resolve('mysql', {env: {MYSQL_HOST: 'localhost'}, files: {'.my.cnf': '[client]\nsocket = /cnf.sock\n'}});
		assert.deepEqual(local.settings, {dbType: 'mysql', user: 'os-user', socket: '/cnf.sock'});
		const localDefault = await resolve('mysql', {flags: {'connection.host': 'localhost'}, sockets: ['/run/mysqld/mysqld.sock']});
		assert.equal(localDefault.settings.socket, '/run/mysqld/mysqld.sock');
		// an explicit port stronger than the socket: TCP, so a different local server is never picked silently
		const docker = await resolve('mysql', {flags: {'connection.host': 'localhost', 'connection.port': 3307}, sockets: ['/run/mysqld/mysqld.sock']});
		assert.deepEqual(docker.settings, {dbType: 'mysql', user: 'os-user', host: 'localhost', port: 3307});
		const portOnly = await resolve('mysql', {env: {MYSQL_TCP_PORT: '3308'}, sockets: ['/run/mysqld/mysqld.sock']});
		assert.deepEqual(portOnly.settings, {dbType: 'mysql', user: 'os-user', host: 'localhost', port: 3308});
	});

	test('password: MYSQL_PWD > ~/.my.cnf, with its source label and registered for redaction', async () => {
		const cnf = {'.my.cnf': '# backup credentials\n[client]\nuser = backup\npassword = "cnf pw#1"\n[dbbackup]\n'};
		const fromFile = await resolve('mysql', {files: cnf});
		assert.equal(fromFile.settings.password, 'cnf pw#1');
		assert.equal(fromFile.settings.passwordSource, '~/.my.cnf [client] (line 4)');
		assert.equal(fromFile.origins.password, '~/.my.cnf [client] (line 4)');
		assert.equal(redact('cnf pw#1'), REDACTED);
		const fromEnv = await resolve('mysql', {files: cnf, env: {MYSQL_PWD: 'env-pw-123'}});
		assert.equal(fromEnv.settings.password, 'env-pw-123');
		assert.equal(fromEnv.settings.passwordSource, 'MYSQL_PWD');
		assert.equal(redact('env-pw-123'), REDACTED);
		const dbbackupGroup = await resolve('mysql', {files: {'.my.cnf': '[client]\npassword = a-first\n[dbbackup]\npassword = b-second\n'}});
		assert.equal(dbbackupGroup.settings.password, 'b-second');
		assert.equal(dbbackupGroup.settings.passwordSource, '~/.my.cnf [dbbackup] (line 4)');
	});

	test('no password anywhere: none in the settings; a password without value is a warning', async () => {
		const none = await resolve('mysql');
		assert.equal(none.settings.password, undefined);
		assert.equal(none.settings.passwordSource, undefined);
		const bare = await resolve('mysql', {files: {'.my.cnf': '[client]\npassword\n'}});
		assert.equal(bare.settings.password, undefined);
		assert.match(bare.warnings.join('\n'), /~\/\.my\.cnf \[client\] \(line 2\): password has no value/);
	});

	test('~/.my.cnf is read with its includes and world-writable ones are skipped with a warning', async () => {
		tree.write('shared/creds.cnf', '[client]\nuser = from-include\n');
		tree.write('shared/open.cnf', '[client]\nuser = from-anyone\n', 0o666);
		const included = await resolve('mysql', {files: {'.my.cnf': `!include ${tree.at('shared/creds.cnf')}\n!include ${tree.at('shared/open.cnf')}\n`}});
		assert.equal(included.settings.user, 'from-include');
		assert.equal(included.origins.user, `${tree.at('shared/creds.cnf')} [client] (line 2)`);
		assert.deepEqual(included.warnings, [`${tree.at('shared/open.cnf')} is ignored: it is world-writable (chmod o-w ${tree.at('shared/open.cnf')})`]);
	});

	test('bad ports are ConfigErrors naming the variable or the file and line', async () => {
		await assert.rejects(resolve('mysql', {env: {MYSQL_TCP_PORT: 'abc'}}), (error: unknown) => {
			assert.ok(error instanceof ConfigError);
			assert.match(error.message, /^MYSQL_TCP_PORT: "abc" is not a port number/);
			return true;
		});
		await assert.rejects(resolve('mysql', {files: {'.my.cnf': '[client]\npassword = s3cret-near-port\nport = 99999\n'}}), (error: unknown) => {
			assert.ok(error instanceof ConfigError);
			assert.match(error.message, /^~\/\.my\.cnf: "99999" is not a port number/);
			assert.equal(error.line, 3);
			assert.ok(!JSON.stringify(error).includes('s3cret-near-port'));
			return true;
		});
	});
});

describe('PostgreSQL', () => {
	test('defaults: the socket directory when the server socket exists (port kept), else localhost:5432', async () => {
		const tcp = await resolve('postgres');
		assert.deepEqual(tcp.settings, {dbType: 'postgres', user: 'os-user', host: 'localhost', port: 5432});
		assert.deepEqual(tcp.asked, ['/var/run/postgresql/.s.PGSQL.5432']);
		const socket = await resolve('postgres', {sockets: ['/var/run/postgresql/.s.PGSQL.5433'], env: {PGPORT: '5433'}});
		assert.deepEqual(socket.settings, {dbType: 'postgres', user: 'os-user', socket: '/var/run/postgresql', port: 5433});
	});

	test('PGHOST: a path is a socket directory, a name is TCP; the same for the config host', async () => {
		assert.deepEqual((await resolve('postgres', {env: {PGHOST: '/tmp/pg'}})).settings, {dbType: 'postgres', user: 'os-user', socket: '/tmp/pg', port: 5432});
		assert.deepEqual((await resolve('postgres', {env: {PGHOST: 'pg1', PGPORT: '6432'}})).settings, {dbType: 'postgres', user: 'os-user', host: 'pg1', port: 6432});
		const fileSocket = await resolve('postgres', {files: {'.dbbackuprc': 'connection:\n  host: /srv/pg\n'}});
		assert.equal(fileSocket.settings.socket, '/srv/pg');
		// a flag host beats PGHOST's socket directory
		assert.equal((await resolve('postgres', {env: {PGHOST: '/tmp/pg'}, flags: {'connection.host': 'pg2'}})).settings.host, 'pg2');
	});

	test('user and database: flag > DBBACKUP_* > PGUSER/PGDATABASE > config file > default; ~/.my.cnf is not read', async () => {
		await ladder('postgres', 'user', [
			[{flags: {'connection.user': 'flag-user'}}, 'flag-user', 'flag'],
			[{env: {DBBACKUP_USER: 'env-user'}}, 'env-user', 'DBBACKUP_USER'],
			[{env: {PGUSER: 'pg-user'}}, 'pg-user', 'PGUSER'],
			[{files: {'.dbbackuprc': 'connection:\n  user: file-user\n', '.my.cnf': '[client]\nuser = cnf-user\n'}}, 'file-user', 'config file'],
			[{}, 'os-user', 'default (OS user)'],
		]);
		await ladder('postgres', 'database', [
			[{flags: {'connection.database': 'flag-db'}}, 'flag-db', 'flag'],
			[{env: {DBBACKUP_DATABASE: 'env-db'}}, 'env-db', 'DBBACKUP_DATABASE'],
			[{env: {PGDATABASE: 'pg-db'}}, 'pg-db', 'PGDATABASE'],
			[{files: {'.dbbackuprc': 'connection:\n  database: file-db\n'}}, 'file-db', 'config file'],
			[{}, undefined, undefined],
		]);
	});

	test('password: PGPASSWORD > ~/.pgpass entry for the resolved host, port, database and user', async () => {
		const pgpass = ['# entries', 'pg1:5432:app:backup:app-pw', 'pg1:5432:*:backup:any-db-pw', 'localhost:5432:*:*:local-pw', ''].join('\n');
		const app = await resolve('postgres', {files: {'.pgpass': pgpass}, env: {PGHOST: 'pg1', PGUSER: 'backup', PGDATABASE: 'app'}});
		assert.equal(app.settings.password, 'app-pw');
		assert.equal(app.settings.passwordSource, '~/.pgpass line 2');
		const defaultDb = await resolve('postgres', {files: {'.pgpass': pgpass}, env: {PGHOST: 'pg1', PGUSER: 'backup'}});
		assert.equal(defaultDb.settings.passwordSource, '~/.pgpass line 3');
		const socket = await resolve('postgres', {files: {'.pgpass': pgpass}, sockets: ['/var/run/postgresql/.s.PGSQL.5432']});
		assert.equal(socket.settings.socket, '/var/run/postgresql');
		assert.equal(socket.settings.password, 'local-pw');
		const env = await resolve('postgres', {files: {'.pgpass': pgpass}, env: {PGHOST: 'pg1', PGUSER: 'backup', PGPASSWORD: 'env-pg-pw'}});
		assert.equal(env.settings.password, 'env-pg-pw');
		assert.equal(env.settings.passwordSource, 'PGPASSWORD');
		assert.equal(redact('app-pw local-pw env-pg-pw'), `${REDACTED} ${REDACTED} ${REDACTED}`);
	});

	test('PGPASSFILE names another file; an exposed file is ignored with the warning returned', async () => {
		const other = tree.write('elsewhere/pgpass', '*:*:*:*:other-file-pw\n');
		const moved = await resolve('postgres', {env: {PGPASSFILE: other}});
		assert.equal(moved.settings.password, 'other-file-pw');
		assert.equal(moved.settings.passwordSource, `${other} line 1`);
		tree.write('exposed/pgpass', '*:*:*:*:exposed-pw\n', 0o644);
		const exposed = await resolve('postgres', {env: {PGPASSFILE: tree.at('exposed/pgpass')}});
		assert.equal(exposed.settings.password, undefined);
		assert.equal(exposed.warnings.length, 1);
		assert.match(exposed.warnings[0], /pgpass is ignored: group or others can access it/);
	});

	test('a bad PGPORT is a ConfigError naming it', async () => {
		await assert.rejects(resolve('postgres', {env: {PGPORT: '0'}}), /PGPORT: "0" is not a port number/);
	});
});

describe('passwords stay in the password field', () => {
	const secrets = {
		mysqlEnv: 'leak-check-MYSQL_PWD',
		mycnf: 'leak-check-mycnf',
		pgEnv: 'leak-check-PGPASSWORD',
		pgpass: 'leak-check-pgpass',
	};

	function assertNoLeak(value: unknown, secret: string, what: string) {
		assert.ok(!JSON.stringify(value ?? null).includes(secret), `${what} contains the password`);
	}

	test('from every source, the password appears nowhere but settings.password', async () => {
		const cases: Array<[DbType, Setup, string]> = [
			['mysql', {env: {MYSQL_PWD: secrets.mysqlEnv}, flags: {'connection.host': 'db1'}}, secrets.mysqlEnv],
			['mysql', {files: {'.my.cnf': `[client]\nhost = db1\npassword = ${secrets.mycnf}\n`, '.dbbackuprc': 'connection:\n  user: u\n'}}, secrets.mycnf],
			['postgres', {env: {PGPASSWORD: secrets.pgEnv, DBBACKUP_HOST: 'pg1'}}, secrets.pgEnv],
			['postgres', {files: {'.pgpass': `*:*:*:*:${secrets.pgpass}\n`}, env: {PGHOST: 'pg1'}}, secrets.pgpass],
		];
		for (const [dbType, setup, secret] of cases) {
			const {settings, warnings, origins, loaded} = await resolve(dbType, setup);
			assert.equal(settings.password, secret);
			assertNoLeak({...settings, password: undefined}, secret, 'settings');
			assertNoLeak(origins, secret, 'origins');
			assertNoLeak(warnings, secret, 'warnings');
			assertNoLeak(loaded.sources, secret, 'sources');
			assertNoLeak(loaded.config, secret, 'config');
		}
	});

	test('an error raised after a password was read does not carry it', async () => {
		const secret = 'leak-check-before-error';
		for (const setup of [
			{files: {'.my.cnf': `[client]\npassword = ${secret}\nport = nope\n`}},
			{files: {'.my.cnf': `[client]\npassword = ${secret}\n`}, env: {MYSQL_TCP_PORT: 'x'}},
			{files: {'.my.cnf': `[client]\npassword = "${secret}\n`}},
		]) {
			await assert.rejects(resolve('mysql', setup), (error: unknown) => {
				assert.ok(error instanceof ConfigError);
				assertNoLeak({message: error.message, hint: error.hint}, secret, 'error');
				return true;
			});
		}
	});
});
