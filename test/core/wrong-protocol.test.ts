import assert from 'node:assert/strict';
import {test} from 'node:test';
import {connectPostgres} from '../../source/core/connect.ts';
import {ConnectionError} from '../../source/core/errors.ts';
import {getTestServers} from '../harness/servers.ts';

const {mariadb} = getTestServers();

test('--db-type postgres pointed at a real MariaDB port says the server there speaks the other protocol (not "received invalid response: 68")', async () => {
	const attempt = connectPostgres({dbType: 'postgres', host: mariadb.host, port: mariadb.port, user: 'dbbackup', password: 'x'});
	await assert.rejects(attempt, (error: unknown) => {
		assert.ok(error instanceof ConnectionError);
		assert.equal(error.code, 'WRONG_PROTOCOL');
		assert.match(error.message, new RegExp(`the server at 127\\.0\\.0\\.1:${mariadb.port} does not speak the PostgreSQL protocol`));
		assert.match(error.hint ?? '', /--db-type mysql/);
		return true;
	});
});
