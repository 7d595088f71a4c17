import {test, describe, afterEach} from 'node:test';
import assert from 'node:assert/strict';
import {IntegrityError, UsageError} from '../../source/core/errors.ts';
import {EventBus} from '../../source/core/events.ts';
import {App} from '../../source/ui/app.tsx';
import type {Catalog, CatalogBackup, VerifyReport} from '../../source/ui/controller.ts';
import {backupFlags, shortTime, summaryRows, tableColumns, windowText} from '../../source/ui/screens/backups-list.tsx';
import {
	catalog,
	catalogBackups,
	deferred,
	DOWN,
	ENTER,
	ESC,
	FakeController,
	pause,
	plain,
	UP,
	verifyReportFor,
	waitForFrame,
	waitForText,
} from './fake-controller.ts';
import {assertFits, cells, cleanupSized, renderSized, type TerminalSize} from './sized-render.ts';

afterEach(() => cleanupSized());

const SMALL: TerminalSize = {columns: 80, rows: 24};
const LARGE: TerminalSize = {columns: 160, rows: 50};

const NEWEST = 'shop-20261116T020000Z-0c0c.tar';
const PINNED = 'all-20261112T020000Z-77aa.tar';
const ENCRYPTED = 'encrypted-20261114T020000Z-9f3c.tar';

type Stdin = {write: (data: string) => void};

/** Types text one key at a time, as a person does (a lone q is the frame's quit key elsewhere). */
function type(stdin: Stdin, text: string) {
	for (const key of text) stdin.write(key);
}

function open(controller = new FakeController(), size: TerminalSize = SMALL, bus = new EventBus()) {
	return {...renderSized(<App bus={bus} controller={controller} initialScreen="backups" />, size), bus, controller};
}

/** Opens the screen, takes the location offered and waits for the list. */
async function openList(controller = new FakeController(), size: TerminalSize = SMALL, bus = new EventBus()) {
	const rendered = open(controller, size, bus);
	await waitForText(rendered.lastFrame, 'Location', 'Enter list');
	rendered.stdin.write(ENTER);
	const frame = await waitForText(rendered.lastFrame, 'Started', 'Enter open');
	return {...rendered, frame};
}

/** The table's row of backup `name` (cut in the middle: matched by its start and its tag). */
function rowOf(frame: string, start: string, tag: string): string {
	const row = frame.split('\n').find((line) => line.includes(start) && line.includes(tag));
	assert.ok(row, `no row for ${start}…${tag}:\n${frame}`);
	return row;
}

describe('backups helpers', () => {
	test('times are local and short, the year instead of the time when far off', () => {
		const now = Date.parse('2026-11-16T09:00:00.000Z');
		const local = new Date('2026-11-15T14:03:27.000Z');
		const pad = (n: number) => String(n).padStart(2, '0');
		assert.match(shortTime(local.toISOString(), now), new RegExp(`^[A-Z][a-z]{2} ${pad(local.getDate())} ${pad(local.getHours())}:${pad(local.getMinutes())}$`));
		assert.match(shortTime('2025-01-02T12:00:00.000Z', now), /^Jan 0[12] {2}2025$/);
		assert.equal(shortTime('not a time', now), 'not a time');
	});

	test('flags: encrypted, incomplete or unreadable, pinned', () => {
		assert.equal(backupFlags(catalogBackups[4]!), '   ');
		assert.equal(backupFlags(catalogBackups[0]!), '  P');
		assert.equal(backupFlags(catalogBackups[2]!), 'E  ');
		assert.equal(backupFlags(catalogBackups[3]!), ' ! ');
		assert.equal(backupFlags({...catalogBackups[4]!, problem: 'bad manifest'}), ' ! ');
	});

	test('the columns fill the width exactly; the kind shows from 100 columns', () => {
		for (const width of [80, 100, 160, 240]) {
			const columns = tableColumns(width);
			const total = 2 + columns.time + columns.name + columns.engine + columns.databases + columns.size + columns.compression + columns.flags;
			assert.equal(total, width, `at ${width}`);
			assert.ok(columns.name >= 20, `the name gets ${columns.name} at ${width}`);
		}
		assert.equal(tableColumns(80).withKind, false);
		assert.equal(tableColumns(100).withKind, true);
	});

	test('recovery windows in one line', () => {
		assert.match(windowText(catalog.windows[0]!), /^mysql shop: any moment \w{3} \d\d \d\d:\d\d → \w{3} \d\d \d\d:\d\d \(3 backups\)$/);
		assert.match(windowText(catalog.windows[1]!), /^mysql analytics: only \w{3} \d\d \d\d:\d\d \(1 backup\)$/);
		const later = {...catalog.windows[1]!, backups: 2, latest: {...catalog.windows[1]!.latest, at: '2026-11-14T02:00:00.000Z'}};
		assert.match(windowText(later), /^mysql analytics: backup moments \w{3} \d\d \d\d:\d\d → \w{3} \d\d \d\d:\d\d \(2 backups\)$/);
	});

	test('the summary gives way to the table on a short terminal', () => {
		assert.deepEqual(summaryRows(catalog, 20), {windows: 2, rows: 4});
		assert.deepEqual(summaryRows(catalog, 7), {windows: 1, rows: 3});
		assert.deepEqual(summaryRows(catalog, 4), {windows: 0, rows: 1});
		assert.deepEqual(summaryRows({...catalog, windows: []}, 20), {windows: 1, rows: 2});
	});
});

describe('backups: the list', () => {
	test('asks for the location first, the output directory offered', async () => {
		const controller = new FakeController();
		controller.outputDir = '/srv/nightly';
		const {lastFrame, stdin} = open(controller);
		const frame = await waitForText(lastFrame, 'Location /srv/nightly', 'Enter list');
		assertFits(frame, SMALL);
		assert.match(frame, /dbbackup › Backups/);
		// the field has the keys: q types a q, Ctrl+C still quits
		assert.match(frame, /Ctrl\+C quit/);
		stdin.write('\u0015');
		type(stdin, 's3://bucket/quarterly/');
		await waitForText(lastFrame, 'Location s3://bucket/quarterly/');
		stdin.write(ENTER);
		await waitForText(lastFrame, 'Started');
		assert.deepEqual(controller.requests.catalog, ['s3://bucket/quarterly/']);
	});

	test('lists every backup newest first, with time, name, engine, databases, size, compression and flags, in 80×24', async () => {
		const controller = new FakeController();
		const {frame} = await openList(controller);
		assertFits(frame, SMALL);
		assert.deepEqual(controller.requests.catalog, ['/backups']);
		assert.match(frame, /5 backups at \/backups/);
		const lines = frame.split('\n');
		const order = ['0c0c.tar', '0a1b.tar', '9f3c.tar', '5e.sql.zst', '77aa.tar'].map((tag) => lines.findIndex((line) => line.includes(tag)));
		assert.ok(order.every((index, at) => index > 0 && (at === 0 || index > order[at - 1]!)), `not newest first:\n${frame}`);

		const newest = rowOf(frame, 'shop-', '0c0c.tar');
		assert.match(newest, /^❯ /);
		assert.match(newest, new RegExp(`${shortTime('2026-11-16T02:00:00.000Z').replace(/ /g, ' +')} +shop-2026.*….*0c0c\\.tar +mysqldump +shop +412 MiB +zstd`));
		// a long name is cut in the middle: its start and its tag stay
		assert.match(rowOf(frame, 'a-database-', '0a1b.tar'), /a-database-.*….*0a1b\.tar .* ! *$/);
		// encrypted without the key: name, size and time only
		assert.match(rowOf(frame, 'encrypted-', '9f3c.tar'), /encrypted-.*9f3c\.tar +no key +\? +300 MiB +\? +E *$/);
		assert.match(rowOf(frame, 'all-', '77aa.tar'), /shop, ana.* +2\.0 GiB +zstd +P$/);
		assert.match(frame, /E encrypted {2}! incomplete or unreadable {2}P pinned/);

		assert.match(frame, /Streams: 1 stream \(1 running\) · 1 note/);
		assert.match(frame, /Window mysql shop: any moment/);
		assert.match(frame, /… 1 more window \(s shows all\)/);
		assert.match(frame, /↑\/↓ move {2}Enter open {2}v verify {2}r restore {2}d delete {2}s summary {2}Esc back {2}q quit$/);
	});

	test('on a terminal narrower than the columns need, rows are cut at the edge', async () => {
		const narrow = {columns: 50, rows: 20};
		const {frame} = await openList(new FakeController(), narrow);
		const lines = frame.split('\n');
		assert.ok(lines.length <= narrow.rows, frame);
		for (const line of lines) assert.ok(cells(line) <= narrow.columns, `a line of ${cells(line)} cells: "${line}"`);
		assert.match(frame, /^❯ \w{3} \d\d \d\d:\d\d sh…/m);
	});

	test('the kind shows beside the engine on a wide terminal', async () => {
		const {frame} = await openList(new FakeController(), LARGE);
		assertFits(frame, LARGE);
		assert.match(rowOf(frame, 'shop-20261116T020000Z-0c0c.tar', '0c0c'), /mysqldump \(logical\) +shop/);
	});

	test('many backups and a full log still fit 80×24: the table scrolls with the cursor', async () => {
		const many: CatalogBackup[] = Array.from({length: 40}, (_, index) => ({
			...catalogBackups[4]!,
			name: `shop-202611${String(10 + Math.floor(index / 24)).padStart(2, '0')}T${String(index % 24).padStart(2, '0')}0000Z-${String(index).padStart(4, '0')}.tar`,
			url: `/backups/backup-${index}.tar`,
			at: new Date(Date.parse('2026-11-10T00:00:00.000Z') + index * 3_600_000).toISOString(),
		}));
		const controller = new FakeController();
		controller.catalogAnswer = async () => ({...catalog, backups: many});
		const bus = new EventBus();
		const {lastFrame, stdin, frame} = await openList(controller, SMALL, bus);
		assertFits(frame, SMALL);
		assert.match(frame, /↓ \d+ more/);
		for (let index = 0; index < 5; index++) bus.log('info', `a log line ${index} long enough to be cut at the edge of a narrow terminal, or so one hopes, really`);
		await waitForText(lastFrame, 'a log line 4');
		assertFits(plain(lastFrame()), SMALL);
		for (let index = 0; index < 20; index++) stdin.write(DOWN);
		const moved = await waitForFrame(lastFrame, (text) => /❯ .*0019\.tar/.test(text));
		assertFits(moved, SMALL);
		assert.match(moved, /↑ \d+ more/);
		assert.match(moved, /↓ \d+ more/);
	});

	test('↑/↓ and j/k move the cursor; it stops at the ends', async () => {
		const {lastFrame, stdin} = await openList();
		stdin.write(UP);
		await pause();
		assert.match(rowOf(plain(lastFrame()), 'shop-', '0c0c.tar'), /^❯/);
		stdin.write(DOWN);
		await waitForFrame(lastFrame, (frame) => /^❯ .*0a1b\.tar/m.test(frame));
		stdin.write('j');
		await waitForFrame(lastFrame, (frame) => /^❯ .*9f3c\.tar/m.test(frame));
		stdin.write('k');
		await waitForFrame(lastFrame, (frame) => /^❯ .*0a1b\.tar/m.test(frame));
		for (let index = 0; index < 10; index++) stdin.write('j');
		await waitForFrame(lastFrame, (frame) => /^❯ .*77aa\.tar/m.test(frame));
	});

	test('letters that arrive in one packet act one after the other', async () => {
		const controller = new FakeController();
		const {lastFrame, stdin} = await openList(controller);
		stdin.write('jj');
		await waitForFrame(lastFrame, (frame) => /^❯ .*9f3c\.tar/m.test(frame));
		stdin.write('kjjv');
		await waitForText(lastFrame, 'is good');
		assert.deepEqual(controller.requests.verifyBackup, ['/backups/shop-20261113T020000Z-5e5e.sql.zst']);
	});

	test('s shows the streams, every recovery window and the notes; s goes back', async () => {
		const {lastFrame, stdin} = await openList();
		stdin.write('s');
		let frame = await waitForText(lastFrame, 'Binlog streams: 1 stream (1 running)', '/backups/binlogs', 'Recovery windows', 's backups  Esc back');
		assertFits(frame, SMALL);
		assert.match(frame, /checkpoint: mariadb-bin\.000009:4567, GTID 0-1-99/);
		assert.match(frame, /streamer: running \(pid 4242 on db1\)/);
		assert.match(frame, /mysql crm: only/);
		stdin.write('s');
		frame = await waitForText(lastFrame, 'Started', 'Enter open');
	});

	test('Esc steps back to the location, and from there home', async () => {
		const {lastFrame, stdin} = await openList();
		stdin.write(ESC);
		await waitForText(lastFrame, 'Location /backups', 'Enter list');
		stdin.write(ESC);
		await waitForText(lastFrame, 'Detect environment', 'Backups', 'Quit');
	});

	test('a location that cannot be read says why; Enter edits it', async () => {
		const controller = new FakeController();
		controller.catalogAnswer = async (location) => {
			throw new UsageError({code: 'ARTIFACT_DIR_UNREADABLE', message: `cannot list ${location}: ENOENT`, hint: 'Give the directory (or s3://bucket/prefix/) the backups are written to.'});
		};
		const {lastFrame, stdin} = open(controller);
		await waitForText(lastFrame, 'Enter list');
		stdin.write(ENTER);
		const frame = await waitForText(lastFrame, 'cannot list /backups: ENOENT', '[ARTIFACT_DIR_UNREADABLE]', 'Enter edit the location');
		assert.match(frame, /→ Give the directory/);
		stdin.write(ENTER);
		await waitForText(lastFrame, 'Location /backups', 'Enter list');
	});

	test('an empty location says so, and still shows the summary', async () => {
		const controller = new FakeController();
		const empty: Catalog = {...catalog, backups: [], streams: [], windows: [], notes: []};
		controller.catalogAnswer = async () => empty;
		const {lastFrame, stdin} = open(controller);
		await waitForText(lastFrame, 'Enter list');
		stdin.write(ENTER);
		const frame = await waitForText(lastFrame, 'No backups at /backups', 'Streams: none', 'no complete backup to restore');
		assert.doesNotMatch(frame, /Enter open|v verify/);
		stdin.write('v');
		stdin.write('d');
		await pause();
		assert.deepEqual(controller.requests.verifyBackup, []);
	});
});

describe('backups: the detail', () => {
	test('Enter opens the backup: catalog facts, then its manifest: databases, tables with rows, members with sizes', async () => {
		const controller = new FakeController();
		const {lastFrame, stdin} = await openList(controller);
		stdin.write(ENTER);
		const frame = await waitForText(lastFrame, 'Members (3)', 'shop/orders.sql.zst');
		assertFits(frame, SMALL);
		assert.deepEqual(controller.requests.backupContents, [`/backups/${NEWEST}`]);
		assert.match(frame, /Name +shop-20261116T020000Z-0c0c\.tar/);
		assert.match(frame, /State +complete/);
		assert.match(frame, /Engine +mysqldump \(logical\)/);
		assert.match(frame, /Server +mariadb 10\.11\.6-MariaDB on 127\.0\.0\.1:3306/);
		assert.match(frame, /Taken +2026-11-16 02:00:00 UTC, took 1m 05s/);
		assert.match(frame, /Coordinates +mariadb-bin\.000003:1234, GTID 0-1-42/);
		assert.match(frame, /Databases +shop {2}2 tables, 1,500 rows/);
		assert.match(frame, /orders {2}1,000 rows/);
		assert.match(frame, /40\.0 KiB +160 KiB shop\/orders\.sql\.zst/);
		assert.match(frame, /v verify {2}r restore {2}d delete {2}Esc back to the list/);

		stdin.write(ESC);
		await waitForText(lastFrame, 'Started', 'Enter open');
	});

	test('the cursor stays on the backup opened when the list comes back', async () => {
		const {lastFrame, stdin} = await openList();
		stdin.write(DOWN);
		await waitForFrame(lastFrame, (frame) => /^❯ .*0a1b\.tar/m.test(frame));
		stdin.write(ENTER);
		const frame = await waitForText(lastFrame, 'Name', 'incomplete (no sidecar)');
		assert.match(frame, /Name +a-database-with-a-rather-long-name-20261115T140327Z-0a1b\.tar/);
		stdin.write(ESC);
		await waitForFrame(lastFrame, (text) => /^❯ .*0a1b\.tar/m.test(text));
	});

	test('an encrypted backup without the key shows what is known and reads no manifest', async () => {
		const controller = new FakeController();
		const {lastFrame, stdin} = await openList(controller);
		stdin.write(DOWN);
		stdin.write(DOWN);
		await waitForFrame(lastFrame, (frame) => /^❯ .*9f3c\.tar/m.test(frame));
		stdin.write(ENTER);
		const frame = await waitForText(lastFrame, `Name          ${ENCRYPTED}`, 'no key was given');
		assertFits(frame, SMALL);
		assert.match(frame, /State +complete, encrypted, no key given/);
		assert.match(frame, /Stored +300 MiB, archive/);
		assert.doesNotMatch(frame, /Reading the manifest/);
		assert.deepEqual(controller.requests.backupContents, []);
	});

	test('a manifest that cannot be read says why under the catalog facts', async () => {
		const controller = new FakeController();
		controller.contentsAnswer = async (url) => {
			throw new IntegrityError({code: 'ARCHIVE_CHECKSUM_MISMATCH', message: `${url}: manifest.json does not match its checksum`});
		};
		const {lastFrame, stdin} = await openList(controller);
		stdin.write(ENTER);
		const frame = await waitForText(lastFrame, 'manifest.json does not match', '[ARCHIVE_CHECKSUM_MISMATCH]');
		assert.match(frame, /Coordinates +mariadb-bin/);
	});
});

describe('backups: verify', () => {
	test('v verifies the backup under the cursor: its stage while it runs, then what was checked; Esc goes back', async () => {
		const controller = new FakeController();
		const pending = deferred<VerifyReport>();
		controller.verifyAnswer = () => pending.promise;
		const {lastFrame, stdin, bus} = await openList(controller);
		stdin.write('v');
		await waitForText(lastFrame, 'Verifying…', 'Esc is off while the verify runs');
		bus.stage('verify', `/backups/${NEWEST}`);
		let frame = await waitForText(lastFrame, `Verifying… · verify /backups/${NEWEST}`);
		assertFits(frame, SMALL);
		assert.deepEqual(controller.requests.verifyBackup, [`/backups/${NEWEST}`]);
		pending.resolve(verifyReportFor(`/backups/${NEWEST}`));
		frame = await waitForText(lastFrame, `✓ /backups/${NEWEST} is good`, 'archive: 62.0 KiB read, 3 members, 249 KiB decompressed');
		assert.match(frame, /checked: every member: size and SHA-256/);
		assert.match(frame, /Esc back/);
		stdin.write(ESC);
		await waitForText(lastFrame, 'Started', 'Enter open');
	});

	test('a damaged backup: the IntegrityError message and hint', async () => {
		const controller = new FakeController();
		controller.verifyAnswer = async (url) => {
			throw new IntegrityError({
				code: 'ARCHIVE_CHECKSUM_MISMATCH',
				message: `${url}: member shop/orders.sql.zst does not match its SHA-256`,
				hint: 'The archive was changed or damaged after it was written: restore from another backup.',
			});
		};
		const {lastFrame, stdin} = await openList(controller);
		stdin.write(ENTER);
		await waitForText(lastFrame, 'Members (3)');
		// from the detail, and back to it
		stdin.write('v');
		const frame = await waitForText(lastFrame, 'member shop/orders.sql.zst does not', '[ARCHIVE_CHECKSUM_MISMATCH]', 'Esc back');
		assertFits(frame, SMALL);
		assert.match(frame.replace(/\n/g, ' '), /does not match its SHA-256/);
		assert.match(frame, /→ The archive was changed or damaged after it was written/);
		stdin.write(ESC);
		await waitForText(lastFrame, 'Members (3)', 'Esc back to the list');
	});
});

describe('backups: delete', () => {
	test('nothing is deleted until the exact name is typed', async () => {
		const controller = new FakeController();
		const {lastFrame, stdin} = await openList(controller);
		stdin.write('d');
		let frame = await waitForText(lastFrame, `Type ${NEWEST} to confirm:`, 'It cannot be undone', 'Enter delete  Esc keep it  Ctrl+C quit');
		assertFits(frame, SMALL);
		assert.match(frame, /removes the archive and its sidecar \(412 MiB\)/);
		// a name that is almost it, q typed into the field and not quitting
		type(stdin, 'shop-20261116T020000Z-0c0q.tar');
		await waitForText(lastFrame, 'to confirm: shop-20261116T020000Z-0c0q.tar');
		stdin.write(ENTER);
		frame = await waitForText(lastFrame, 'That is not its name; nothing was deleted.');
		assert.deepEqual(controller.requests.deleteBackup, []);
		// Esc keeps it
		stdin.write(ESC);
		await waitForText(lastFrame, 'Started', 'Enter open');
		assert.deepEqual(controller.requests.deleteBackup, []);
		assert.equal(controller.requests.catalog.length, 1);
	});

	test('the exact name deletes it (at the catalog location, by its format), and the list is read again', async () => {
		const controller = new FakeController();
		const {lastFrame, stdin} = await openList(controller);
		stdin.write('d');
		await waitForText(lastFrame, `Type ${NEWEST} to confirm:`);
		controller.catalogAnswer = async () => ({...catalog, backups: catalogBackups.filter((backup) => backup.name !== NEWEST)});
		type(stdin, NEWEST);
		stdin.write(ENTER);
		const frame = await waitForText(lastFrame, `✓ Deleted ${NEWEST} (2 files removed)`, '4 backups at /backups');
		assertFits(frame, SMALL);
		assert.deepEqual(controller.requests.deleteBackup, [{location: '/backups', name: NEWEST, format: 'archive'}]);
		assert.equal(controller.requests.catalog.length, 2);
		assert.ok(!frame.split('\n').some((line) => line.includes('0c0c.tar') && line.includes('mysqldump')), `the deleted backup is still listed:\n${frame}`);
		// the cursor is on the one that took its place
		assert.match(frame, /^❯ .*0a1b\.tar/m);
	});

	test('a pinned backup is refused: the refusal is shown and nothing is forced', async () => {
		const controller = new FakeController();
		controller.deleteAnswer = async (location, name) => {
			throw new UsageError({code: 'BACKUP_PINNED', message: `${location}/${name} is pinned and is not deleted`, hint: `Unpin it first (dbbackup unpin ${location}/${name}) if it is really to go.`});
		};
		const {lastFrame, stdin} = await openList(controller);
		for (let index = 0; index < 4; index++) stdin.write(DOWN);
		await waitForFrame(lastFrame, (frame) => /^❯ .*77aa\.tar/m.test(frame));
		stdin.write(ENTER);
		await waitForText(lastFrame, 'State         complete, pinned');
		stdin.write('d');
		let frame = await waitForText(lastFrame, `Type ${PINNED} to confirm:`, 'It is pinned');
		type(stdin, PINNED);
		stdin.write(ENTER);
		frame = await waitForText(lastFrame, `/backups/${PINNED} is pinned and is not deleted`, '[BACKUP_PINNED]');
		assertFits(frame, SMALL);
		assert.match(frame, /→ Unpin it first/);
		assert.deepEqual(controller.requests.deleteBackup, [{location: '/backups', name: PINNED, format: 'archive'}]);
		assert.equal(controller.requests.catalog.length, 1);
		stdin.write(ESC);
		await waitForText(lastFrame, 'State         complete, pinned');
	});

	test('a SQL script is deleted as a script', async () => {
		const controller = new FakeController();
		const {lastFrame, stdin} = await openList(controller);
		for (let index = 0; index < 3; index++) stdin.write(DOWN);
		await waitForFrame(lastFrame, (frame) => /^❯ .*5e\.sql\.zst/m.test(frame));
		stdin.write('d');
		await waitForText(lastFrame, 'removes the script');
		type(stdin, 'shop-20261113T020000Z-5e5e.sql.zst');
		stdin.write(ENTER);
		await waitForText(lastFrame, '✓ Deleted shop-20261113T020000Z-5e5e.sql.zst (1 file removed)');
		assert.deepEqual(controller.requests.deleteBackup, [{location: '/backups', name: 'shop-20261113T020000Z-5e5e.sql.zst', format: 'sql'}]);
	});
});

describe('backups: restore', () => {
	test('r hands the backup to the Restore screen, which goes on from its manifest', async () => {
		const controller = new FakeController();
		const {lastFrame, stdin} = await openList(controller);
		stdin.write('r');
		const frame = await waitForText(lastFrame, 'dbbackup › Restore', 'Restore into', 'Enter next');
		assertFits(frame, SMALL);
		assert.deepEqual(controller.requests.describeArtifact, [`/backups/${NEWEST}`]);
		assert.match(frame, new RegExp(`Artifact +/backups/${NEWEST.replace(/\./g, '\\.')}`));
		assert.equal(controller.calls.listArtifacts, 0);
		// back goes to Restore's own list
		stdin.write(ESC);
		await waitForText(lastFrame, 'Backups in /backups', 'Type a path…');
	});

	test('from the detail too; a backup that cannot be opened says why, Esc leads to the list', async () => {
		const controller = new FakeController();
		controller.describeAnswer = async (path) => {
			throw new UsageError({code: 'ENCRYPTION_KEY_MISSING', message: `${path} is encrypted and no key was given`});
		};
		const {lastFrame, stdin} = await openList(controller);
		stdin.write(ENTER);
		await waitForText(lastFrame, 'Members (3)');
		stdin.write('r');
		const frame = await waitForText(lastFrame, 'dbbackup › Restore', `/backups/${NEWEST} is encrypted and no key was given`, 'Esc back to the list');
		assertFits(frame, SMALL);
		stdin.write(ESC);
		await waitForText(lastFrame, 'Backups in /backups', 'Type a path…');
	});

	test('Restore opened from the menu still starts with its list', async () => {
		const controller = new FakeController();
		const {lastFrame} = renderSized(<App bus={new EventBus()} controller={controller} initialScreen="restore" />, SMALL);
		await waitForText(lastFrame, 'Backups in /backups', 'Type a path…');
		assert.deepEqual(controller.requests.describeArtifact, []);
	});
});

describe('backups: the home menu', () => {
	test('Backups is on the home menu and opens the screen', async () => {
		const controller = new FakeController();
		const {lastFrame, stdin} = renderSized(<App bus={new EventBus()} controller={controller} />, SMALL);
		await waitForText(lastFrame, '❯ Detect environment', 'Backups');
		for (let index = 0; index < 4; index++) stdin.write(DOWN);
		await waitForText(lastFrame, '❯ Backups');
		stdin.write(ENTER);
		await waitForText(lastFrame, 'dbbackup › Backups', 'Location /backups');
	});
});
