/**
 * The controller calls behind the Backups screen, against real archives in a temp directory: no server is
 * needed to list, open, verify and delete backups.
 */
import assert from 'node:assert/strict';
import {copyFile, readdir, readFile, writeFile} from 'node:fs/promises';
import {after, before, describe, test} from 'node:test';
import {CliAppController} from '../../source/cli/app-controller.ts';
import {DbBackupError, IntegrityError} from '../../source/core/errors.ts';
import {EventBus} from '../../source/core/events.ts';
import {writePin} from '../../source/services/retention/backup-files.ts';
import {sidecarPathOf} from '../../source/storage/archive/member-path.ts';
import {directoryTarget} from '../../source/storage/target/index.ts';
import {dumpText, tempDir, writeSampleArchive, type TempDir} from '../storage/helpers.ts';

const SHOP = 'shop-20261115T140327Z-0a1b.tar';
const PINNED = 'shop-20261114T020000Z-77aa.tar';
const DAMAGED = 'shop-20261116T020000Z-dead.tar';

let dir: TempDir;

before(async () => {
	dir = tempDir();
	const fields = {
		databases: [{name: 'shop', tables: [{name: 'orders', rows: 250, members: ['shop/orders.sql.zst']}]}],
		coordinates: {binlogFile: 'mariadb-bin.000003', binlogPos: 1234},
		startedAt: '2026-11-15T14:03:27.000Z',
		lockMs: 12,
	};
	await writeSampleArchive(dir.at(SHOP), [
		['shop/schema.sql', Buffer.from('CREATE TABLE orders (id INT PRIMARY KEY, note TEXT);\n')],
		['shop/orders.sql', dumpText(64 * 1024)],
	], fields);
	await writeSampleArchive(dir.at(PINNED), [['shop/orders.sql', dumpText(16 * 1024)]], {...fields, startedAt: '2026-11-14T02:00:00.000Z'});
	await writePin(await directoryTarget(dir.root), PINNED, {pinnedAt: '2026-11-14T03:00:00.000Z', reason: 'quarter end'});
});

after(() => dir.remove());

describe('the Backups screen controller calls', () => {
	test('the catalog of the directory: its backups with the facts of their sidecars', async () => {
		const controller = new CliAppController(new EventBus(), [], false, {}, dir.root);
		const catalog = await controller.catalog(dir.root);
		assert.equal(catalog.location, dir.root);
		assert.deepEqual(catalog.backups.map((backup) => backup.name), [PINNED, SHOP]);
		const shop = catalog.backups[1]!;
		assert.equal(shop.url, dir.at(SHOP));
		assert.equal(shop.complete, true);
		assert.equal(shop.readable, true);
		assert.equal(shop.engine, 'mysqldump');
		assert.deepEqual(shop.databases, ['shop']);
		assert.equal(shop.compression, 'zstd');
		assert.match(shop.coordinates ?? '', /mariadb-bin\.000003/);
		assert.equal(catalog.windows.find((window) => window.database === 'shop')?.backups, 2);
	});

	test('a backup opened: its tables with rows and its members with sizes', async () => {
		const controller = new CliAppController(new EventBus(), [], false, {}, dir.root);
		const contents = await controller.backupContents(dir.at(SHOP));
		assert.equal(contents.summary.kind, 'archive');
		assert.deepEqual(contents.tables, [{database: 'shop', table: 'orders', rows: 250}]);
		assert.deepEqual(contents.members.map((member) => member.path).sort(), ['shop/orders.sql.zst', 'shop/schema.sql.zst']);
		const orders = contents.members.find((member) => member.path === 'shop/orders.sql.zst')!;
		assert.equal(orders.rawBytes, 64 * 1024);
		assert.ok(orders.bytes < orders.rawBytes);
	});

	test('verify reports its stage on the bus and what it checked; a damaged copy is the IntegrityError naming it', async () => {
		const bus = new EventBus();
		const stages: string[] = [];
		bus.on('stage', (event) => stages.push(`${event.name} ${event.detail ?? ''}`));
		const controller = new CliAppController(bus, [], false, {}, dir.root);
		const report = await controller.verifyBackup(dir.at(SHOP));
		assert.equal(report.items.length, 1);
		assert.equal(report.items[0]!.kind, 'archive');
		assert.equal(report.items[0]!.members, 2);
		assert.ok(stages.some((stage) => stage.startsWith('verify') && stage.includes(SHOP)), stages.join('\n'));
		// read through a function: an assertion on the property would narrow it for the rest of the test
		const failure = () => controller.lastFailure;
		assert.equal(failure(), undefined);

		// one byte of a member's stored bytes changed, its sidecar beside it
		const bytes = await readFile(dir.at(SHOP));
		const at = bytes.indexOf(Buffer.from('shop/orders.sql')) + 1024;
		bytes[at] = bytes[at]! ^ 0xff;
		await writeFile(dir.at(DAMAGED), bytes);
		await copyFile(dir.at(sidecarPathOf(SHOP)), dir.at(sidecarPathOf(DAMAGED)));
		try {
			await assert.rejects(controller.verifyBackup(dir.at(DAMAGED)), (error: unknown) => {
				assert.ok(error instanceof IntegrityError, String(error));
				assert.match(error.message, new RegExp(DAMAGED.replace(/\./g, '\\.')));
				return true;
			});
			assert.equal(failure()?.exitCode, 5);
		} finally {
			await controller.deleteBackup(dir.root, DAMAGED, 'archive');
		}
	});

	test('delete: a pinned backup is refused and kept; another goes, sidecar and all', async () => {
		const controller = new CliAppController(new EventBus(), [], false, {}, dir.root);
		await assert.rejects(controller.deleteBackup(dir.root, PINNED, 'archive'), (error: unknown) => {
			assert.ok(error instanceof DbBackupError);
			assert.equal(error.code, 'BACKUP_PINNED');
			assert.match(error.message, /is pinned and is not deleted/);
			return true;
		});
		assert.ok((await readdir(dir.root)).includes(PINNED));

		const removed = await controller.deleteBackup(dir.root, SHOP, 'archive');
		assert.deepEqual(removed, [dir.at(sidecarPathOf(SHOP)), dir.at(SHOP)]);
		const left = await readdir(dir.root);
		assert.ok(!left.includes(SHOP) && !left.includes(sidecarPathOf(SHOP)), left.join(', '));
		assert.deepEqual((await controller.catalog(dir.root)).backups.map((backup) => backup.name), [PINNED]);
	});
});
