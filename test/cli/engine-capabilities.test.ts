/** What `engine list` / `engine info` and physical-backup are told about engines: only what this version can do. */
import assert from 'node:assert/strict';
import {describe, test} from 'node:test';
import {availabilityRows} from '../../source/engines/registry.ts';
import {selectPhysical} from '../../source/engines/selector.ts';
import {btrfsSnapshot, mariadbEnvironment, mysqlEnvironment, postgresEnvironment} from '../fixtures/environments.ts';

describe('capabilities shown', () => {
	test('every engine backs up, restores and streams to S3', () => {
		for (const env of [mariadbEnvironment(), mysqlEnvironment(), postgresEnvironment()]) {
			for (const row of availabilityRows(env)) {
				const built = row.kind === 'logical' || row.name === 'basebackup' || row.name === 'clone' || row.name === 'snapshot';
				assert.equal(row.capabilities.backup, built, `${row.name} backup`);
				assert.equal(row.capabilities.restore, built, `${row.name} restore`);
				assert.equal(row.capabilities.streaming, built, `${row.name} streaming`);
				assert.equal(row.capabilities.kind, row.kind);
			}
		}
	});
});

describe('selectPhysical', () => {
	test('MySQL with every clone check passing: clone runs', () => {
		const choice = selectPhysical(mysqlEnvironment({snapshot: btrfsSnapshot}));
		assert.equal(choice.engine, 'clone');
		assert.deepEqual(choice.candidates.map((row) => row.name), ['clone', 'snapshot']);
	});

	test('PostgreSQL: basebackup, then snapshot; basebackup runs', () => {
		const choice = selectPhysical(postgresEnvironment());
		assert.equal(choice.engine, 'basebackup');
		assert.deepEqual(choice.candidates.map((row) => row.name), ['basebackup', 'snapshot']);
	});
});
