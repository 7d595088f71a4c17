/** What basebackup's availability check says on PostgreSQL environments, and its place in the engine registry and selection. */
import assert from 'node:assert/strict';
import {describe, test} from 'node:test';
import {basebackupBlockers, basebackupEngine} from '../../../source/engines/basebackup/index.ts';
import {baseBackupCommand, settingBytes} from '../../../source/engines/basebackup/backup.ts';
import {parseCheckpoint, parseMaxRate} from '../../../source/engines/basebackup/options.ts';
import {describeBaseBackupCoordinates} from '../../../source/engines/basebackup/coordinates.ts';
import {evaluatePostgresRole} from '../../../source/core/detect/postgres-privileges.ts';
import {findEngine} from '../../../source/engines/registry.ts';
import {known, mysqlEnvironment, postgresEnvironment, privileges, unknown} from '../../fixtures/environments.ts';

describe('basebackup availability', () => {
	test('a PostgreSQL 15 superuser with a free WAL sender can take one', () => {
		const result = basebackupEngine.checkAvailability(postgresEnvironment({walSenders: known({max: 10, used: 2}, 'q')}));
		assert.equal(result.available, true, result.reason);
		assert.deepEqual(result.info, {version: '15.18', wal_level: 'replica', wal_senders: '2 of 10 in use'});
	});

	test('each missing piece is a reason of its own: version, REPLICATION, wal_level, WAL senders', () => {
		const old = postgresEnvironment({version: known({text: '14.11', major: 14, minor: 11, patch: 0}, 'v')});
		assert.match(basebackupEngine.checkAvailability(old).reason!, /PostgreSQL 14\.11 is older than 15: this version of dbbackup speaks PostgreSQL 15's BASE_BACKUP only/);
		const role = postgresEnvironment({privileges: known(privileges({basebackup: ['the REPLICATION attribute (ALTER ROLE app REPLICATION) or SUPERUSER']}), 'r')});
		assert.deepEqual(basebackupBlockers(role), ['role postgres lacks the REPLICATION attribute (ALTER ROLE app REPLICATION) or SUPERUSER']);
		assert.match(basebackupBlockers(postgresEnvironment({walLevel: known('minimal', 'w')}))[0]!, /wal_level is minimal/);
		assert.match(basebackupBlockers(postgresEnvironment({walSenders: known({max: 0, used: 0}, 'w')}))[0]!, /max_wal_senders is 0/);
		assert.match(basebackupBlockers(postgresEnvironment({walSenders: known({max: 3, used: 3}, 'w')}))[0]!, /no free WAL sender: 3 of max_wal_senders 3 are in use/);
		assert.match(basebackupBlockers(postgresEnvironment({privileges: unknown('permission denied for pg_roles')}))[0]!, /the role's attributes is unknown \(permission denied/);
		assert.deepEqual(basebackupBlockers(mysqlEnvironment()), ['basebackup copies PostgreSQL clusters; this server is MySQL/MariaDB']);
		const uncounted = basebackupEngine.checkAvailability(postgresEnvironment({walSenders: unknown('no access')}));
		assert.equal(uncounted.available, true);
		assert.match(uncounted.warnings[0]!, /free WAL senders could not be counted \(no access\)/);
	});

	test('REPLICATION or SUPERUSER is what the role needs', () => {
		const role = {role: 'app', database: 'app', superuser: false, replication: false, createdb: false, bypassRls: false, memberOf: [], noConnect: [], unreadable: [], rowSecured: [], canStartBackup: false, backupFunction: 'pg_backup_start(text, boolean)'};
		assert.deepEqual(evaluatePostgresRole(role).perEngine.basebackup, {ok: false, missing: ['the REPLICATION attribute (ALTER ROLE app REPLICATION) or SUPERUSER']});
		assert.deepEqual(evaluatePostgresRole({...role, replication: true}).perEngine.basebackup, {ok: true, missing: []});
		assert.deepEqual(evaluatePostgresRole({...role, superuser: true}).perEngine.basebackup, {ok: true, missing: []});
	});

	test('registered for PostgreSQL as a physical engine that restores into a data directory', () => {
		const engine = findEngine('basebackup', 'postgres');
		assert.equal(engine, basebackupEngine);
		assert.equal(engine.restoreTarget, 'data-directory');
		assert.deepEqual(engine.capabilities, {backup: true, restore: true, incremental: false, streaming: true, kind: 'physical'});
	});
});

describe('basebackup options', () => {
	test('the BASE_BACKUP command of PostgreSQL 15, with the label quoted', () => {
		assert.equal(
			baseBackupCommand("it's", {checkpoint: 'spread', maxRateKbps: 2048}),
			"BASE_BACKUP (LABEL 'it''s', PROGRESS, CHECKPOINT 'spread', WAL, WAIT false, MANIFEST 'yes', MANIFEST_CHECKSUMS 'SHA256', TABLESPACE_MAP, MAX_RATE 2048)",
		);
		assert.doesNotMatch(baseBackupCommand('x', {checkpoint: 'fast'}), /MAX_RATE/);
	});

	test('--max-rate in kB/s or with k / M, in the server\'s range; --checkpoint fast or spread', () => {
		assert.equal(parseMaxRate('32'), 32);
		assert.equal(parseMaxRate('100M'), 102_400);
		assert.equal(parseMaxRate('512k'), 512);
		assert.equal(parseMaxRate('1024M'), 1_048_576);
		for (const bad of ['31', '1025M', '10G', 'fast', '']) assert.throws(() => parseMaxRate(bad), {code: 'BAD_MAX_RATE', message: /--max-rate .*kB\/s/});
		assert.equal(parseCheckpoint('Spread'), 'spread');
		assert.throws(() => parseCheckpoint('slow'), {code: 'BAD_CHECKPOINT'});
	});

	test('SHOW\'s sizes in bytes (wal_segment_size, for the progress total)', () => {
		assert.equal(settingBytes('16MB'), 16 * 1024 * 1024);
		assert.equal(settingBytes('1GB'), 1024 ** 3);
		assert.equal(settingBytes('8192kB'), 8 * 1024 * 1024);
		assert.equal(settingBytes('nonsense'), undefined);
	});

	test('coordinates in one line', () => {
		assert.equal(describeBaseBackupCoordinates({label: 'x', startLsn: '0/2000028', endLsn: '0/2000100', timeline: 1}), 'LSN 0/2000028 to 0/2000100, timeline 1');
		assert.equal(describeBaseBackupCoordinates({label: 'x', startLsn: '0/2000028', endLsn: '0/3000100', timeline: 1, endTimeline: 2}), 'LSN 0/2000028 to 0/3000100, timelines 1 to 2');
		assert.equal(describeBaseBackupCoordinates({}), 'no coordinates recorded');
	});
});
