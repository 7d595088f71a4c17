import assert from 'node:assert/strict';
import {test} from 'node:test';
import {CliAppController} from '../../source/cli/app-controller.ts';
import {EventBus} from '../../source/core/events.ts';
import {ConnectionError} from '../../source/core/errors.ts';
import {freePort} from '../../source/sandbox/free-port.ts';
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
