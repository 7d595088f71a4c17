import {test, describe, afterEach} from 'node:test';
import assert from 'node:assert/strict';
import {cleanup, render} from 'ink-testing-library';
import {ConnectionError} from '../../source/core/errors.ts';
import type {DetectedEnvironment} from '../../source/core/detect/types.ts';
import {EventBus} from '../../source/core/events.ts';
import {App} from '../../source/ui/app.tsx';
import {
	describeBinlog,
	describeGtid,
	describePrivileges,
	describeSnapshot,
	environmentTitle,
} from '../../source/core/detect/describe.ts';
import {deferred, FakeController, LEFT, mariadbFull, mariadbUnknowns, postgres, RIGHT, waitForText} from './fake-controller.ts';

afterEach(() => cleanup());

function openDetection(controller: FakeController, bus = new EventBus()) {
	const instance = render(<App bus={bus} controller={controller} initialScreen="detect" />);
	return {...instance, bus};
}

/** The line of the frame that starts with a fact's label. */
function row(frame: string, label: string): string {
	const line = frame.split('\n').find((candidate) => candidate.startsWith(label.padEnd(16)));
	assert.ok(line, `no "${label}" row in:\n${frame}`);
	return line;
}

describe('detection screen', () => {
	test('shows "Detecting…" with the current stage until detection answers', async () => {
		const controller = new FakeController();
		const answer = deferred<typeof mariadbFull[]>();
		controller.detectAnswer = () => answer.promise;
		const {lastFrame, bus} = openDetection(controller);
		await waitForText(lastFrame, 'Detecting…');
		bus.stage('reading binlog status', '127.0.0.1:3306');
		await waitForText(lastFrame, 'Detecting… · reading binlog status 127.0.0.1:3306');
		bus.stage('examining the data directory');
		const frame = await waitForText(lastFrame, 'Detecting… · examining the data directory');
		assert.doesNotMatch(frame, /reading binlog status/);
		answer.resolve([mariadbFull]);
		await waitForText(lastFrame, 'Version');
	});

	test('a fully known MariaDB: every value with how it was found', async () => {
		const controller = new FakeController();
		controller.detectAnswer = async () => [mariadbFull];
		const {lastFrame} = openDetection(controller);
		const frame = await waitForText(lastFrame, 'Privileges');
		assert.match(frame, /MariaDB root@127\.0\.0\.1:3306/);
		assert.doesNotMatch(frame, /server 1 of/);
		assert.match(row(frame, 'Version'), /10\.11\.6-MariaDB-0\+deb12u1 {2}via SELECT VERSION\(\)/);
		assert.match(row(frame, 'Flavor'), /MariaDB {2}via version string contains "MariaDB"/);
		assert.match(row(frame, 'Data size'), /1\.5 GiB in 3 databases {2}via information_schema\.TABLES/);
		assert.match(row(frame, 'Clone plugin'), /not supported by this server {2}via MariaDB has no clone plugin/);
		assert.match(row(frame, 'Binlog'), /on, format ROW, checksum CRC32, at mysql-bin\.000003:1234 {2}via SHOW MASTER STATUS/);
		assert.match(row(frame, 'GTID'), /mode available, position 0-1-42, gtid_strict_mode OFF, gtid_domain_id 0/);
		assert.match(row(frame, 'Datadir'), /\/mnt\/data\/mysql {2}via @@datadir/);
		assert.match(row(frame, 'Filesystem'), /btrfs mounted at \/mnt\/data \(device \/dev\/loop0\) {2}via \/proc\/self\/mountinfo/);
		assert.match(row(frame, 'Snapshot'), /capable \(btrfs \/mnt\/data\/mysql\): the data directory is a btrfs subvolume/);
		assert.match(row(frame, 'Privileges'), /missing for 1 of 2 engines {2}via SHOW GRANTS/);
		assert.doesNotMatch(frame, /unknown:/);

		// per-database sizes, largest first, human-readable
		const lines = frame.split('\n');
		const shop = lines.findIndex((line) => /^\s+shop\s+1\.2 GiB {2}12 tables$/.test(line));
		const analytics = lines.findIndex((line) => /^\s+analytics\s+300 MiB {2}4 tables$/.test(line));
		const mysql = lines.findIndex((line) => /^\s+mysql\s+2\.0 MiB {2}31 tables$/.test(line));
		assert.ok(shop > 0 && shop < analytics && analytics < mysql, frame);

		assert.match(frame, /✓ mysqldump/);
		assert.match(frame, /✗ snapshot {2}missing BINLOG MONITOR, SUPER/);
	});

	test('unknown items say why they are unknown', async () => {
		const controller = new FakeController();
		controller.detectAnswer = async () => [mariadbUnknowns];
		const {lastFrame} = openDetection(controller);
		const frame = await waitForText(lastFrame, 'Privileges');
		assert.match(frame, /MariaDB app@db2\.example\.com:3307\/shop/);
		assert.match(row(frame, 'Data size'), /unknown: information_schema\.TABLES shows only tables the user can read/);
		assert.match(row(frame, 'GTID'), /unknown: binary logging is off/);
		assert.match(row(frame, 'Filesystem'), /unknown: the server runs on another machine/);
		assert.match(row(frame, 'Snapshot'), /unknown: the filesystem of the data directory is unknown/);
		assert.match(row(frame, 'Privileges'), /unknown: SHOW GRANTS failed: access denied/);
		// known ones still show their source
		assert.match(row(frame, 'Binlog'), /off {2}via @@log_bin/);
		assert.match(row(frame, 'Version'), /10\.6\.18-MariaDB {2}via SELECT VERSION\(\)/);
	});

	test('several servers: one at a time, ←/→ to switch, PostgreSQL with its own items', async () => {
		const {lastFrame, stdin} = openDetection(new FakeController());
		let frame = await waitForText(lastFrame, 'server 1 of 3');
		assert.match(frame, /MariaDB root@127\.0\.0\.1:3306/);

		stdin.write(LEFT);
		frame = await waitForText(lastFrame, 'server 3 of 3');
		assert.match(frame, /PostgreSQL postgres@127\.0\.0\.1:5433\/postgres/);
		assert.match(row(frame, 'Version'), /15\.8 \(Debian 15\.8-0\+deb12u1\) {2}via SHOW server_version/);
		assert.match(row(frame, 'Data size'), /48\.0 MiB in 2 databases {2}via pg_database_size\(\)/);
		assert.match(row(frame, 'wal_level'), /replica {2}via SHOW wal_level/);
		assert.match(row(frame, 'Data directory'), /\/tmp\/pg-demo\/data {2}via SHOW data_directory/);
		assert.match(row(frame, 'Filesystem'), /ext4 mounted at \/ \(device \/dev\/sda1\)/);
		assert.match(row(frame, 'Snapshot'), /not capable: ext4 has no snapshots {2}via filesystem type/);
		assert.match(row(frame, 'Privileges'), /enough for every engine \(2\)/);
		assert.doesNotMatch(frame, /Binlog|Clone plugin|GTID/);
		const lines = frame.split('\n');
		assert.ok(
			lines.findIndex((line) => /^\s+inventory\s+40\.5 MiB$/.test(line)) <
				lines.findIndex((line) => /^\s+postgres\s+7\.5 MiB$/.test(line)),
		);

		stdin.write(RIGHT);
		frame = await waitForText(lastFrame, 'server 1 of 3');
		stdin.write(RIGHT);
		frame = await waitForText(lastFrame, 'server 2 of 3');
		assert.match(frame, /MariaDB app@db2\.example\.com:3307\/shop/);
	});

	test('a detection error is shown with its hint, and r runs detection again', async () => {
		const controller = new FakeController();
		let attempt = 0;
		controller.detectAnswer = async () => {
			attempt++;
			if (attempt === 1) {
				throw new ConnectionError({
					code: 'CONNECTION_REFUSED',
					message: 'cannot connect to 127.0.0.1:3306: connection refused',
					hint: 'Is the server running? Check --host/--port or MYSQL_HOST.',
					target: '127.0.0.1:3306',
				});
			}
			return [mariadbFull];
		};
		const {lastFrame, stdin} = openDetection(controller);
		const frame = await waitForText(lastFrame, 'connection refused');
		assert.match(frame, /✗ cannot connect to 127\.0\.0\.1:3306: connection refused \[CONNECTION_REFUSED\]/);
		assert.match(frame, /→ Is the server running\? Check --host\/--port or MYSQL_HOST\./);
		assert.match(frame, /● connection failed/);

		stdin.write('r');
		await waitForText(lastFrame, 'Version', '● connected');
		assert.equal(controller.calls.detect, 2);
	});

	test('r runs detection again and stays on the server shown', async () => {
		const controller = new FakeController();
		const again = deferred<DetectedEnvironment[]>();
		const {lastFrame, stdin} = openDetection(controller);
		await waitForText(lastFrame, 'server 1 of 3');
		stdin.write(RIGHT);
		await waitForText(lastFrame, 'server 2 of 3', 'MariaDB app@db2.example.com:3307/shop');
		controller.detectAnswer = () => again.promise;
		stdin.write('r');
		await waitForText(lastFrame, 'Detecting…');
		again.resolve([mariadbFull, mariadbUnknowns, postgres]);
		const frame = await waitForText(lastFrame, 'server 2 of 3', 'Version');
		assert.match(frame, /MariaDB app@db2\.example\.com:3307\/shop/);
		assert.equal(controller.calls.detect, 2);
	});

	test('a server that is gone after r falls back to the last one there is', async () => {
		const controller = new FakeController();
		const again = deferred<DetectedEnvironment[]>();
		const {lastFrame, stdin} = openDetection(controller);
		await waitForText(lastFrame, 'server 1 of 3');
		stdin.write(LEFT);
		await waitForText(lastFrame, 'server 3 of 3');
		controller.detectAnswer = () => again.promise;
		stdin.write('r');
		await waitForText(lastFrame, 'Detecting…');
		again.resolve([mariadbFull, mariadbUnknowns]);
		await waitForText(lastFrame, 'server 2 of 2', 'MariaDB app@db2.example.com:3307/shop');
	});

	test('a non-product error is shown as unexpected, not a crash', async () => {
		const controller = new FakeController();
		controller.detectAnswer = async () => {
			throw new TypeError('Cannot read properties of undefined');
		};
		const {lastFrame} = openDetection(controller);
		const frame = await waitForText(lastFrame, 'Cannot read properties of undefined');
		assert.match(frame, /\[UNEXPECTED\]/);
		assert.match(frame, /→ This is a bug/);
	});

	test('no servers at all', async () => {
		const controller = new FakeController();
		controller.detectAnswer = async () => [];
		const {lastFrame} = openDetection(controller);
		await waitForText(lastFrame, 'No server to examine.');
	});
});

describe('detected value descriptions', () => {
	test('binlog on and off', () => {
		assert.equal(describeBinlog({enabled: false}), 'off');
		assert.equal(describeBinlog({enabled: true, format: 'MIXED'}), 'on, format MIXED');
		assert.equal(describeBinlog({enabled: true, file: 'bin.000001'}), 'on, at bin.000001');
	});

	test('an empty GTID position is said to be empty', () => {
		assert.equal(describeGtid({mode: 'OFF', position: ''}), 'mode OFF, position (empty)');
	});

	test('snapshot without a backend', () => {
		assert.equal(describeSnapshot({capable: false, reason: 'LVM is not available'}), 'not capable: LVM is not available');
	});

	test('privileges without per-engine checks count what is held', () => {
		assert.equal(describePrivileges({grants: [], held: ['SELECT', 'RELOAD'], perEngine: {}}), '2 privileges held');
	});

	test('title falls back to MySQL/MariaDB when the flavor is unknown', () => {
		assert.equal(
			environmentTitle({...mariadbFull, flavor: {known: false, reason: 'no version'}}),
			'MySQL/MariaDB root@127.0.0.1:3306',
		);
		assert.equal(environmentTitle(postgres), 'PostgreSQL postgres@127.0.0.1:5433/postgres');
	});
});
