import assert from 'node:assert/strict';
import {describe, test} from 'node:test';
import {availabilityRows, findEngine} from '../../source/engines/registry.ts';
import {PHYSICAL_THRESHOLD_BYTES, selectEngine} from '../../source/engines/selector.ts';
import {cloneEngine} from '../../source/engines/clone/index.ts';
import {snapshotEngine} from '../../source/engines/snapshot/index.ts';
import {mysqlLogicalEngine} from '../../source/engines/mysql-logical/index.ts';
import {UsageError} from '../../source/core/errors.ts';
import {availability, type BackupEngine} from '../../source/engines/types.ts';
import {btrfsSnapshot, GiB, known, mariadbEnvironment, mysqlEnvironment, postgresEnvironment, privileges, unknown} from '../fixtures/environments.ts';

describe('clone availability', () => {
	test('MariaDB has no clone plugin, and that is the only reason given', () => {
		const result = cloneEngine.checkAvailability(mariadbEnvironment());
		assert.equal(result.available, false);
		assert.deepEqual(result.reasons, ['MariaDB has no clone plugin (clone needs MySQL ≥ 8.0.17 or Percona Server ≥ 8.0.17)']);
	});

	test('MySQL 8.0.16 is too old', () => {
		const env = mysqlEnvironment({version: known({text: '8.0.16', major: 8, minor: 0, patch: 16}, 'v')});
		assert.match(cloneEngine.checkAvailability(env).reason!, /8\.0\.16 is older than 8\.0\.17/);
	});

	test('MySQL 8.0.17 with the plugin ACTIVE and BACKUP_ADMIN passes every check', () => {
		const env = mysqlEnvironment({version: known({text: '8.0.17', major: 8, minor: 0, patch: 17}, 'v')});
		const result = cloneEngine.checkAvailability(env);
		assert.deepEqual(result.reasons, []);
		assert.equal(result.available, true);
	});

	test('plugin not installed, disabled, or BACKUP_ADMIN missing are each named', () => {
		assert.match(cloneEngine.checkAvailability(mysqlEnvironment({clonePlugin: known('NOT_INSTALLED', 'p')})).reason!, /INSTALL PLUGIN clone/);
		assert.match(cloneEngine.checkAvailability(mysqlEnvironment({clonePlugin: known('DISABLED', 'p')})).reason!, /clone plugin is DISABLED, not ACTIVE/);
		const noAdmin = mysqlEnvironment({privileges: known(privileges({clone: ['BACKUP_ADMIN']}), 'g')});
		assert.match(cloneEngine.checkAvailability(noAdmin).reason!, /lacks BACKUP_ADMIN/);
	});

	test('unknown facts are reasons, with why they are unknown', () => {
		const env = mysqlEnvironment({clonePlugin: unknown('SELECT denied on information_schema.PLUGINS')});
		assert.match(cloneEngine.checkAvailability(env).reason!, /clone plugin state is unknown \(SELECT denied/);
	});

	test('Percona Server 8.0 counts as MySQL for clone', () => {
		const env = mysqlEnvironment({flavor: known('percona', 'c'), version: known({text: '8.0.36-28', major: 8, minor: 0, patch: 36}, 'v')});
		assert.deepEqual(cloneEngine.checkAvailability(env).reasons, []);
	});
});

describe('snapshot availability', () => {
	test('ext4 cannot snapshot: the detector\'s reason is passed on', () => {
		assert.match(snapshotEngine.checkAvailability(mysqlEnvironment()).reason!, /ext4 has no snapshots/);
	});

	test('a remote server cannot be snapshotted from here', () => {
		const env = mysqlEnvironment({local: known(false, 'host 10.0.0.5'), snapshot: btrfsSnapshot});
		assert.match(snapshotEngine.checkAvailability(env).reason!, /not on this machine/);
	});

	test('btrfs subvolume passes every check; RELOAD missing blocks it on MySQL', () => {
		const ok = snapshotEngine.checkAvailability(mysqlEnvironment({snapshot: btrfsSnapshot}));
		assert.deepEqual(ok.reasons, []);
		assert.equal(ok.available, true);
		assert.equal(ok.info.snapshot, 'btrfs /srv/mysql');
		const noReload = mysqlEnvironment({snapshot: btrfsSnapshot, privileges: known(privileges({snapshot: ['RELOAD']}), 'g')});
		assert.match(snapshotEngine.checkAvailability(noReload).reason!, /lacks RELOAD/);
	});
});

describe('logical availability and object-store destinations', () => {
	test('an s3:// destination holds no engine back: each one\'s archive streams to the object store', () => {
		for (const env of [mysqlEnvironment(), postgresEnvironment()]) {
			const rows = availabilityRows(env, {destination: 's3://b/p/'});
			for (const row of rows) assert.doesNotMatch(row.availability.reason ?? '', /local disk only|cannot stream/, row.name);
			assert.deepEqual(
				rows.map((row) => row.availability.available),
				availabilityRows(env).map((row) => row.availability.available),
			);
		}
	});

	test('mysqldump: SELECT missing is a reason, RELOAD missing a warning; PostgreSQL is refused', () => {
		const env = mysqlEnvironment({privileges: known(privileges({mysqldump: ['SELECT', 'RELOAD']}), 'g')});
		const result = mysqlLogicalEngine.checkAvailability(env);
		assert.match(result.reasons[0]!, /lacks SELECT/);
		assert.match(result.warnings[0]!, /lacks RELOAD/);
		assert.match(mysqlLogicalEngine.checkAvailability(postgresEnvironment()).reason!, /this server is PostgreSQL/);
	});

	test('rows list only the engines for the database type', () => {
		assert.deepEqual(availabilityRows(mysqlEnvironment()).map((row) => row.name), ['mysqldump', 'clone', 'snapshot']);
		assert.deepEqual(availabilityRows(postgresEnvironment()).map((row) => row.name), ['postgres-logical', 'basebackup', 'snapshot']);
	});

	test('findEngine resolves aliases by database type and refuses unknown names', () => {
		assert.equal(findEngine('logical', 'mysql').name, 'mysqldump');
		assert.equal(findEngine('logical', 'postgres').name, 'postgres-logical');
		assert.equal(findEngine('CLONE').name, 'clone');
		assert.throws(() => findEngine('xtrabackup'), (error: unknown) => error instanceof UsageError && /unknown engine "xtrabackup"/.test(error.message));
	});
});

describe('engine selection criteria', () => {
	test('an engine answers for itself: a new one is its own object and a registry entry, the selector unchanged', () => {
		const judged: string[] = [];
		const copier: BackupEngine = {
			...snapshotEngine,
			name: 'clone',
			description: 'a physical engine that a test adds',
			dbTypes: ['mysql'],
			selection: {
				order: 5,
				fallback: true,
				judge(_env, _context, state) {
					judged.push(`wantPhysical=${state.wantPhysical} preferred=${state.preferred ?? 'none'}`);
					return {reasons: ['The test engine can copy this server.'], prefer: state.wantPhysical};
				},
			},
			checkAvailability: () => availability([]),
		};
		const big = mysqlEnvironment({dataSize: known({totalBytes: 50 * GiB, databases: []}, 's')});
		const selection = selectEngine(big, {}, [mysqlLogicalEngine, copier]);
		assert.deepEqual(judged, ['wantPhysical=true preferred=none']);
		assert.equal(selection.preferred, 'clone');
		assert.equal(selection.engine, 'clone');
		assert.ok(selection.reasons.includes('The test engine can copy this server.'));
		assert.doesNotMatch(selection.reasons.join(' '), /No physical engine fits/, 'the logical engine saw the preference was taken');
		const small = selectEngine(mysqlEnvironment(), {}, [mysqlLogicalEngine, copier]);
		assert.equal(small.preferred, 'mysqldump');
	});

	test('small MySQL → the logical dump is preferred, size is the first reason', () => {
		const selection = selectEngine(mysqlEnvironment());
		assert.equal(selection.preferred, 'mysqldump');
		assert.match(selection.reasons[0]!, /Data size 2\.0 GiB is at most 10 GiB/);
		assert.equal(selection.engine, 'mysqldump');
		assert.doesNotMatch(selection.reasons.at(-1)!, /falling back|No engine can run/);
	});

	test('a large MariaDB on a btrfs subvolume: the snapshot engine is preferred and runs', () => {
		const selection = selectEngine(mariadbEnvironment({dataSize: known({totalBytes: 50 * GiB, databases: []}, 's'), snapshot: btrfsSnapshot}));
		assert.equal(selection.preferred, 'snapshot');
		assert.equal(selection.engine, 'snapshot');
		assert.doesNotMatch(selection.reasons.join(' '), /falling back/);
	});

	test('a large MariaDB whose user lacks RELOAD: no physical engine fits, the logical dump runs and the snapshot engine says why', () => {
		const selection = selectEngine(mariadbEnvironment({dataSize: known({totalBytes: 50 * GiB, databases: []}, 's'), snapshot: btrfsSnapshot, privileges: known(privileges({snapshot: ['RELOAD']}), 'g')}));
		assert.equal(selection.engine, 'mysqldump');
		assert.match(selection.reasons.join(' '), /No filesystem snapshot: user lacks RELOAD/);
		assert.match(selection.reasons.at(-1)!, /No physical engine fits this server/);
	});

	test('nothing can run when the logical dump lacks SELECT', () => {
		const selection = selectEngine(mysqlEnvironment({privileges: known(privileges({mysqldump: ['SELECT'], clone: ['BACKUP_ADMIN']}), 'g')}));
		assert.equal(selection.engine, null);
		assert.match(selection.reasons.at(-1)!, /No engine can run.*mysqldump would be the choice: user lacks SELECT/);
	});

	test('large MySQL with clone ready → clone', () => {
		const env = mysqlEnvironment({dataSize: known({totalBytes: PHYSICAL_THRESHOLD_BYTES + 1, databases: []}, 's')});
		const selection = selectEngine(env);
		assert.equal(selection.preferred, 'clone');
		assert.ok(selection.reasons.some((reason) => /Clone plugin is ACTIVE/.test(reason)));
	});

	test('large MariaDB on btrfs → snapshot; on ext4 → logical despite the size', () => {
		const big = known({totalBytes: 50 * GiB, databases: []}, 's');
		assert.equal(selectEngine(mariadbEnvironment({dataSize: big, snapshot: btrfsSnapshot})).preferred, 'snapshot');
		const ext4 = selectEngine(mariadbEnvironment({dataSize: big}));
		assert.equal(ext4.preferred, 'mysqldump');
		assert.ok(ext4.reasons.some((reason) => /No physical engine fits/.test(reason)));
		assert.ok(ext4.reasons.some((reason) => /MariaDB .*no clone plugin/.test(reason)));
	});

	test('exactly 10 GiB is still logical', () => {
		const env = mysqlEnvironment({dataSize: known({totalBytes: PHYSICAL_THRESHOLD_BYTES, databases: []}, 's')});
		assert.equal(selectEngine(env).preferred, 'mysqldump');
	});

	test('unknown size assumes small and says why', () => {
		const selection = selectEngine(mysqlEnvironment({dataSize: unknown('no SELECT on information_schema')}));
		assert.equal(selection.preferred, 'mysqldump');
		assert.match(selection.reasons[0]!, /unknown \(no SELECT on information_schema\)/);
	});

	test('an s3:// destination: the engine the server calls for, written to the object store, physical ones too', () => {
		const small = selectEngine(mysqlEnvironment(), {destination: 's3://backups/db.tar'});
		assert.equal(small.engine, 'mysqldump');
		assert.ok(small.reasons.some((reason) => /s3:\/\/backups\/db\.tar is an object store: the backup streams there/.test(reason)));
		const big = selectEngine(mysqlEnvironment({dataSize: known({totalBytes: PHYSICAL_THRESHOLD_BYTES + 1, databases: []}, 's')}), {destination: 's3://backups/'});
		assert.equal(big.preferred, 'clone');
		assert.equal(big.engine, 'clone', 'the clone is written beside the datadir, its archive streams to S3');
	});

	test('large PostgreSQL → basebackup (before snapshot, also on btrfs); small, or databases named → postgres-logical', () => {
		const large = known({totalBytes: 20 * GiB, databases: []}, 's');
		const big = selectEngine(postgresEnvironment({dataSize: large, snapshot: btrfsSnapshot}));
		assert.equal(big.preferred, 'basebackup');
		assert.equal(big.engine, 'basebackup');
		assert.ok(big.reasons.some((reason) => /basebackup can copy the cluster physically/.test(reason)), big.reasons.join('\n'));
		assert.equal(selectEngine(postgresEnvironment()).preferred, 'postgres-logical');
		const named = selectEngine(postgresEnvironment({dataSize: large}), {databases: ['app']});
		assert.equal(named.preferred, 'postgres-logical');
		assert.ok(named.reasons.some((reason) => /Databases were named \(app\): a base backup copies the whole cluster/.test(reason)), named.reasons.join('\n'));
	});

	test('large PostgreSQL whose role may not replicate: snapshot is preferred on btrfs, and runs', () => {
		const env = postgresEnvironment({dataSize: known({totalBytes: 20 * GiB, databases: []}, 's'), snapshot: btrfsSnapshot, privileges: known(privileges({basebackup: ['the REPLICATION attribute (ALTER ROLE app REPLICATION) or SUPERUSER']}), 'pg_roles')});
		const selection = selectEngine(env);
		assert.equal(selection.preferred, 'snapshot');
		assert.equal(selection.engine, 'snapshot');
		assert.ok(selection.reasons.some((reason) => /A base backup cannot be taken: role postgres lacks the REPLICATION attribute/.test(reason)), selection.reasons.join('\n'));
	});

	test('candidates carry every engine\'s availability for the screen and --json', () => {
		const selection = selectEngine(mariadbEnvironment());
		assert.deepEqual(selection.candidates.map((row) => [row.name, row.availability.available]), [
			['mysqldump', true],
			['clone', false],
			['snapshot', false],
		]);
	});
});
