/** What `engine list` / `engine info` and physical-backup are told about engines: only what this version can do. */
import assert from 'node:assert/strict';
import {describe, test} from 'node:test';
import {availabilityRows} from '../../source/engines/registry.ts';
import {selectPhysical} from '../../source/engines/selector.ts';
import {btrfsSnapshot, mariadbEnvironment, mysqlEnvironment, postgresEnvironment} from '../fixtures/environments.ts';

describe('capabilities shown', () => {
	test('an engine whose driver is not built neither backs up nor restores; the logical engines and basebackup do both and stream', () => {
		for (const env of [mariadbEnvironment(), mysqlEnvironment(), postgresEnvironment()]) {
			for (const row of availabilityRows(env)) {
				const built = row.kind === 'logical' || row.name === 'basebackup';
				assert.equal(row.capabilities.backup, built, `${row.name} backup`);
				assert.equal(row.capabilities.restore, built, `${row.name} restore`);
				assert.equal(row.capabilities.streaming, built, `${row.name} streaming`);
				assert.equal(row.capabilities.kind, row.kind);
			}
		}
	});
});

describe('selectPhysical', () => {
	test('MySQL with every clone check passing: no physical engine runs, each says why', () => {
		const choice = selectPhysical(mysqlEnvironment({snapshot: btrfsSnapshot}));
		assert.equal(choice.engine, null);
		assert.deepEqual(choice.candidates.map((row) => row.name), ['clone', 'snapshot']);
		for (const row of choice.candidates) assert.match(row.availability.reason!, /driver is not built/);
	});

	test('PostgreSQL: basebackup, then snapshot; basebackup runs', () => {
		const choice = selectPhysical(postgresEnvironment());
		assert.equal(choice.engine, 'basebackup');
		assert.deepEqual(choice.candidates.map((row) => row.name), ['basebackup', 'snapshot']);
	});
});
