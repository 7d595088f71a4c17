/**
 * prune and pin on real backups of a private MariaDB and a real binlog-stream copy of it, in a local
 * directory (each test on its own copy) and in the harness's S3 server: a dry run deletes nothing and
 * says what would go and why the rest stays; --confirm deletes exactly that (sidecar first), keeps pinned
 * backups, and removes the closed binlog files older than the oldest backup that stays, while the window
 * and a replay from that backup still reach the end; with no backup of a stream's series, or a backup
 * whose coordinates cannot be read, no binlog file goes.
 */
import assert from 'node:assert/strict';
import {randomBytes} from 'node:crypto';
import {copyFile, cp, mkdtemp, readdir, readFile, rm, stat, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join, relative} from 'node:path';
import {after, before, describe, test} from 'node:test';
import mysql, {type Connection} from 'mysql2/promise';
import {locateBinlogs} from '../../../source/binlog/replay/binlog-files.ts';
import {readBinlogSequence} from '../../../source/binlog/replay/event-sequence.ts';
import {readCheckpoint} from '../../../source/binlog/stream/checkpoint.ts';
import {streamBinlogs} from '../../../source/binlog/stream/streamer.ts';
import {renderPrune} from '../../../source/cli/report/prune.ts';
import {renderStatus} from '../../../source/cli/report/status.ts';
import {EventBus} from '../../../source/core/events.ts';
import {startMariadb} from '../../../source/sandbox/mariadb.ts';
import type {RunningMariadb} from '../../../source/sandbox/types.ts';
import {buildCatalog, type Catalog} from '../../../source/services/catalog.ts';
import {deleteBackup} from '../../../source/services/retention/backup-files.ts';
import {pinBackup, unpinBackup} from '../../../source/services/retention/pin.ts';
import {executePrune, openPruneTargets, planPrune, prune, type PruneReport} from '../../../source/services/retention/prune.ts';
import type {RetentionPolicy} from '../../../source/services/retention/policy.ts';
import {verifyLocation} from '../../../source/services/verify.ts';
import {rawKeySource} from '../../../source/storage/crypto/key.ts';
import {directoryTarget, type StorageOptions} from '../../../source/storage/target/index.ts';
import type {ArtifactTarget} from '../../../source/storage/target/types.ts';
import {uniqueName} from '../../harness/db.ts';
import {s3, useTestCredentials} from '../../storage/s3/helpers.ts';
import {backupTo, insertRows, mariadbSettingsOf, masterStatusOf, streamOptionsFor} from '../backup-fixtures.ts';

useTestCredentials();
const timeoutMs = 300_000;
const FROM_TEST = 'the test';

let server: RunningMariadb;
let admin: Connection;
let dir: string;
let database: string;
/** the binlog file each backup's coordinates are in, and the one being written at the end */
const files: {b1: string; b2: string; b3: string; current: string} = {b1: '', b2: '', b3: '', current: ''};

const write = (rows: number) => insertRows(admin, database, rows);
const masterStatus = () => masterStatusOf(admin);
async function flush(): Promise<string> {
	await admin.query('FLUSH BINARY LOGS');
	return (await masterStatus()).file;
}

/** Every file under `root`, relative, with its size: what a run left. */
async function tree(root: string): Promise<string[]> {
	const entries = await readdir(root, {recursive: true, withFileTypes: true});
	const found: string[] = [];
	for (const entry of entries) {
		if (!entry.isFile()) continue;
		const file = join(entry.parentPath, entry.name);
		found.push(`${relative(root, file)} ${(await stat(file)).size}`);
	}
	return found.sort();
}

const names = (lines: string[]) => lines.map((line) => line.slice(0, line.lastIndexOf(' ')));

async function copyOfHistory(): Promise<string> {
	const copy = await mkdtemp(join(tmpdir(), 'dbbackup-prune-'));
	await cp(dir, copy, {recursive: true});
	return copy;
}

function verdicts(report: PruneReport): Record<string, string> {
	return Object.fromEntries(report.backups.map((backup) => [backup.name, backup.verdict]));
}

function windowOf(catalog: Catalog) {
	const window = catalog.windows.find((candidate) => candidate.database === database);
	assert.ok(window, `a window for ${database}: ${JSON.stringify(catalog.windows)}`);
	return window;
}

/** A replay from `file` on reads every event to the end of the copy, with no file missing on the way. */
async function replayReaches(streamDir: string, file: string, storage: StorageOptions = {}): Promise<{events: number; last: string}> {
	const catalog = await locateBinlogs(streamDir, storage);
	const sequence = readBinlogSequence(catalog, file);
	let events = 0;
	for (;;) {
		const step = await sequence.next();
		if (step.done) return {events, last: step.value.file};
		events += 1;
	}
}

before(async () => {
	server = await startMariadb({log: () => {}});
	admin = await mysql.createConnection({host: server.host, port: server.port, user: server.user, password: server.password, multipleStatements: true});
	database = uniqueName('pruneshop');
	await admin.query(`CREATE DATABASE \`${database}\`; CREATE TABLE \`${database}\`.t (id INT PRIMARY KEY AUTO_INCREMENT, v TEXT)`);
	await write(20);
	dir = await mkdtemp(join(tmpdir(), 'dbbackup-prune-history-'));
	const target = mariadbSettingsOf(server);

	files.b1 = (await masterStatus()).file;
	await backupTo(target, [database], join(dir, 'b1-oldest.tar'));
	await write(10);
	files.b2 = await flush();
	await write(10);
	await backupTo(target, [database], join(dir, 'b2-middle.sql'), {format: 'sql'});
	await write(10);
	files.b3 = await flush();
	await write(10);
	await backupTo(target, [database], join(dir, 'b3-newest.tar'));
	// the newest archive again without its sidecar: a backup that is not complete
	await copyFile(join(dir, 'b3-newest.tar'), join(dir, 'b4-no-sidecar.tar'));
	await write(10);
	files.current = await flush();
	await write(5);
	await streamBinlogs(streamOptionsFor(target, join(dir, 'binlog'), {file: files.b1, position: 4}), new EventBus(), new AbortController().signal);
});

after(async () => {
	await admin?.end();
	await server?.stop();
	if (dir) await rm(dir, {recursive: true, force: true});
});

describe('prune a local directory', {timeout: timeoutMs}, () => {
	const keepTwo: RetentionPolicy = {last: 2};

	test('the history: four binlog files, the first three closed, each backup in its own file', async () => {
		assert.equal(new Set([files.b1, files.b2, files.b3, files.current]).size, 4);
		const catalog = await buildCatalog(dir);
		assert.deepEqual(catalog.backups.map((backup) => [backup.name, backup.complete, backup.binlog?.file]), [
			['b1-oldest.tar', true, files.b1],
			['b2-middle.sql', true, files.b2],
			['b3-newest.tar', true, files.b3],
			['b4-no-sidecar.tar', false, files.b3],
		]);
		assert.deepEqual(catalog.streams.map((stream) => [stream.firstFile, stream.lastFile, stream.closedFiles, stream.checkpoint?.file]), [[files.b1, files.current, 3, files.current]]);
	});

	test('a dry run deletes nothing, and says what would go and why the rest stays', async () => {
		const copy = await copyOfHistory();
		try {
			const before = await tree(copy);
			const report = await prune({location: copy, policy: keepTwo, policySource: FROM_TEST, confirm: false});
			assert.deepEqual(await tree(copy), before, 'nothing changed');
			assert.equal(report.confirmed, false);
			assert.deepEqual(report.backups.map((backup) => [backup.name, backup.verdict, backup.reasons.map((reason) => reason.rule)]), [
				['b4-no-sidecar.tar', 'leave', []],
				['b3-newest.tar', 'keep', ['last', 'newest']],
				['b2-middle.sql', 'keep', ['last']],
				['b1-oldest.tar', 'delete', []],
			]);
			assert.equal(report.backups[0]!.leftAlone, 'not complete');
			assert.deepEqual(report.backups[3]!.files, ['b1-oldest.tar.meta.json', 'b1-oldest.tar'], 'the sidecar first');
			const sizes = (await stat(join(copy, 'b1-oldest.tar'))).size + (await stat(join(copy, 'b1-oldest.tar.meta.json'))).size;
			assert.equal(report.totals.deletedBytes, sizes);
			assert.equal(report.streams.length, 1);
			const [stream] = report.streams;
			assert.deepEqual(stream!.remove.map((file) => [file.name, file.stored]), [[files.b1, [files.b1]]]);
			assert.deepEqual({file: stream!.keptFrom?.file, backup: stream!.keptFrom?.backup}, {file: files.b2, backup: 'b2-middle.sql'});
			assert.match(stream!.why, new RegExp(`everything from ${files.b2.replace(/\./g, '\\.')} on stays: it holds the coordinates of b2-middle\\.sql`));
			const text = renderPrune(report);
			assert.match(text, /dry run: nothing is deleted/);
			assert.match(text, /b1-oldest\.tar +delete/);
			assert.match(text, /b3-newest\.tar +keep +\S+ \S+ +last 1 of 2, newest/);
			assert.match(text, /b4-no-sidecar\.tar +leave .*left alone: not complete/);
			assert.match(text, new RegExp(`1 closed binlog file would go \\(.*\\): ${files.b1.replace(/\./g, '\\.')}`));
			assert.match(text, /Would delete 1 backup .* and 1 binlog file/);
		} finally {
			await rm(copy, {recursive: true, force: true});
		}
	});

	test('--confirm deletes exactly those; the window and a replay from the oldest backup that stays still reach the end', async () => {
		const copy = await copyOfHistory();
		try {
			const streamDir = join(copy, 'binlog');
			const before = await tree(copy);
			const indexBefore = await readFile(join(streamDir, 'binlog-index.json'));
			const report = await prune({location: copy, policy: keepTwo, policySource: FROM_TEST, confirm: true});
			assert.equal(report.failure, undefined);
			const after = await tree(copy);
			assert.deepEqual(names(before).filter((name) => !names(after).includes(name)), ['b1-oldest.tar', 'b1-oldest.tar.meta.json', `binlog/${files.b1}`]);
			assert.deepEqual(names(after).filter((name) => !names(before).includes(name)), []);
			assert.deepEqual(await readFile(join(streamDir, 'binlog-index.json')), indexBefore, 'binlog-index.json is not rewritten');
			assert.equal(report.backups.find((backup) => backup.name === 'b1-oldest.tar')?.deleted, true);
			assert.equal(report.streams[0]!.remove[0]!.deleted, true);
			assert.match(renderPrune(report), /Deleted 1 backup .* and 1 binlog file/);

			const catalog = await buildCatalog(copy);
			assert.deepEqual(catalog.backups.map((backup) => backup.name), ['b2-middle.sql', 'b3-newest.tar', 'b4-no-sidecar.tar']);
			assert.equal(catalog.streams[0]!.firstFile, files.b2);
			const window = windowOf(catalog);
			assert.equal(window.pointInTime, true);
			assert.equal(window.earliest.backup, 'b2-middle.sql');
			assert.equal(window.latest.at, (await readCheckpoint(streamDir))!.eventTime);
			const located = await locateBinlogs(streamDir);
			assert.deepEqual(located.names, [files.b2, files.b3, files.current]);
			const replay = await replayReaches(streamDir, files.b2);
			assert.equal(replay.last, files.current);
			assert.ok(replay.events > 20, `${replay.events} events`);
			const verified = await verifyLocation(streamDir, {}, new EventBus());
			assert.equal(verified.items[0]!.files, 3);
		} finally {
			await rm(copy, {recursive: true, force: true});
		}
	});

	test('a pinned backup is kept, and its binlog files with it; unpinned, it goes with the files before the next one', async () => {
		const copy = await copyOfHistory();
		try {
			const oldest = join(copy, 'b1-oldest.tar');
			const pinned = await pinBackup(oldest, {}, {reason: 'audit 2026'});
			assert.equal(pinned.changed, true);
			assert.equal(pinned.record?.reason, 'audit 2026');
			assert.equal((await pinBackup(oldest)).changed, false, 'pinning again changes nothing');
			const catalog = await buildCatalog(copy);
			assert.equal(catalog.backups.find((backup) => backup.name === 'b1-oldest.tar')?.pinned, true);
			assert.equal(catalog.backups.find((backup) => backup.name === 'b2-middle.sql')?.pinned, undefined);
			assert.match(renderStatus(catalog), /b1-oldest\.tar .*complete, pinned/);
			await assert.rejects(deleteBackup(await directoryTarget(copy), 'b1-oldest.tar', 'archive'), /is pinned and is not deleted/);

			const kept = await prune({location: copy, policy: {last: 1}, policySource: FROM_TEST, confirm: true});
			assert.deepEqual(verdicts(kept), {'b4-no-sidecar.tar': 'leave', 'b3-newest.tar': 'keep', 'b2-middle.sql': 'delete', 'b1-oldest.tar': 'keep'});
			assert.deepEqual(kept.backups.find((backup) => backup.name === 'b1-oldest.tar')!.reasons, [{rule: 'pinned'}]);
			assert.deepEqual(kept.streams[0]!.remove, []);
			assert.match(kept.streams[0]!.why, /from .* on stays: it holds the coordinates of b1-oldest\.tar/);
			assert.deepEqual((await readdir(copy)).filter((name) => name !== 'binlog').sort(), ['b1-oldest.tar', 'b1-oldest.tar.meta.json', 'b1-oldest.tar.pin', 'b3-newest.tar', 'b3-newest.tar.meta.json', 'b4-no-sidecar.tar']);
			assert.deepEqual((await locateBinlogs(join(copy, 'binlog'))).names, [files.b1, files.b2, files.b3, files.current]);

			const unpinned = await unpinBackup(oldest);
			assert.deepEqual({changed: unpinned.changed, reason: unpinned.record?.reason}, {changed: true, reason: 'audit 2026'});
			assert.equal((await unpinBackup(oldest)).changed, false);
			const gone = await prune({location: copy, policy: {last: 1}, policySource: FROM_TEST, confirm: true});
			assert.deepEqual(verdicts(gone), {'b4-no-sidecar.tar': 'leave', 'b3-newest.tar': 'keep', 'b1-oldest.tar': 'delete'});
			assert.deepEqual(gone.streams[0]!.remove.map((file) => [file.name, file.deleted]), [[files.b1, true], [files.b2, true]]);
			assert.deepEqual((await locateBinlogs(join(copy, 'binlog'))).names, [files.b3, files.current]);
			assert.equal(windowOf(await buildCatalog(copy)).earliest.backup, 'b3-newest.tar');
			assert.equal((await replayReaches(join(copy, 'binlog'), files.b3)).last, files.current);
		} finally {
			await rm(copy, {recursive: true, force: true});
		}
	});

	test('pin refuses what is not a backup there, and unpin a name with neither backup nor pin', async () => {
		await assert.rejects(pinBackup(join(dir, 'nothing-here.tar')), (error: Error & {code?: string}) => error.code === 'NOT_A_BACKUP' && /is not there/.test(error.message));
		await assert.rejects(pinBackup(join(dir, 'binlog', 'binlog-index.json')), (error: Error & {code?: string}) => error.code === 'NOT_A_BACKUP' && /not a backup's name/.test(error.message));
		await assert.rejects(pinBackup(join(dir, 'b1-oldest.tar.meta.json')), /not a backup's name/);
		await assert.rejects(unpinBackup(join(dir, 'nothing-here.sql')), /is not there/);
	});

	test('no backup that stays records a file of the stream\'s series: no binlog file goes; a backup judged by its file time says so', async () => {
		const copy = await copyOfHistory();
		try {
			await rm(join(copy, 'b4-no-sidecar.tar'));
			// a script of another tool, written now: the newest backup, with no start time or coordinates of its own
			await writeFile(join(copy, 'zz-foreign.sql'), 'CREATE TABLE t (a int);\nINSERT INTO t VALUES (1);\n');
			const report = await prune({location: copy, policy: {last: 1}, policySource: FROM_TEST, confirm: true});
			assert.deepEqual(verdicts(report), {'zz-foreign.sql': 'keep', 'b3-newest.tar': 'delete', 'b2-middle.sql': 'delete', 'b1-oldest.tar': 'delete'});
			const foreign = report.backups[0]!;
			assert.equal(foreign.atSource, 'file time');
			assert.equal(foreign.atNote, 'the script records no start time');
			assert.match(renderPrune(report), /\(file time\) +zz-foreign\.sql +keep +\S+ \S+ +last 1 of 1, newest/);
			assert.match(renderPrune(report), /note: judged by the file's time, not a recorded start \(marked "file time"\): the script records no start time: zz-foreign\.sql/);
			assert.deepEqual(report.streams[0]!.remove, []);
			assert.match(report.streams[0]!.why, /nothing goes: no backup that stays records a binlog file of this stream's series/);
			assert.deepEqual((await locateBinlogs(join(copy, 'binlog'))).names, [files.b1, files.b2, files.b3, files.current]);
			assert.deepEqual((await readdir(copy)).filter((name) => !name.startsWith('binlog')).sort(), ['zz-foreign.sql']);
		} finally {
			await rm(copy, {recursive: true, force: true});
		}
	});

	test('an encrypted backup that stays, read without its key: its coordinates are unknown, so no binlog file goes; with the key they are', async () => {
		const copy = await copyOfHistory();
		const withKey: StorageOptions = {encryption: rawKeySource(randomBytes(32))};
		try {
			await backupTo(mariadbSettingsOf(server), [database], join(copy, 'b5-encrypted.tar'), {storage: withKey});
			const blind = await planPrune(copy, {}, {last: 2}, FROM_TEST);
			assert.deepEqual(verdicts(blind), {'b5-encrypted.tar': 'keep', 'b4-no-sidecar.tar': 'leave', 'b3-newest.tar': 'keep', 'b2-middle.sql': 'delete', 'b1-oldest.tar': 'delete'});
			assert.equal(blind.backups[0]!.atSource, 'file time');
			assert.equal(blind.backups[0]!.atNote, 'encrypted, and no key was given');
			assert.ok(blind.notes.some((note) => /file's time.*encrypted, and no key was given: b5-encrypted\.tar$/.test(note)), blind.notes.join('\n'));
			assert.deepEqual(blind.streams[0]!.remove, []);
			assert.match(blind.streams[0]!.why, /nothing goes: the binlog coordinates of b5-encrypted\.tar \(encrypted, and no key was given\) cannot be known.*give the key/);

			const seeing = await planPrune(copy, withKey, {last: 2}, FROM_TEST);
			assert.equal(seeing.backups[0]!.atSource, 'manifest');
			assert.deepEqual(seeing.streams[0]!.remove.map((file) => file.name), [files.b1, files.b2], 'b4 (left alone, in the third file) and b3 are the oldest that stay');
			assert.equal(seeing.streams[0]!.keptFrom?.file, files.b3);
		} finally {
			await rm(copy, {recursive: true, force: true});
		}
	});

	test('the sidecar goes first: a target whose delete of the archive fails after its sidecar went (a fault a real disk does not produce on demand) leaves a backup that reads as not complete', async () => {
		const copy = await copyOfHistory();
		try {
			const plan = await planPrune(copy, {}, keepTwo, FROM_TEST);
			const targets = await openPruneTargets(plan, {});
			const deletes: string[] = [];
			const failing = new Proxy(targets.backups, {
				get(target, property, receiver) {
					if (property === 'delete') {
						return async (name: string) => {
							deletes.push(name);
							if (name.endsWith('.tar')) throw new Error('injected: EIO deleting the archive');
							await target.delete(name);
						};
					}
					const value = Reflect.get(target, property, receiver) as unknown;
					return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
				},
			}) as ArtifactTarget;
			const report = await executePrune(plan, {backups: failing, streams: targets.streams});
			targets.close();
			assert.deepEqual(deletes, ['b1-oldest.tar.meta.json', 'b1-oldest.tar']);
			assert.match(report.failure?.message ?? '', /deleting .*b1-oldest\.tar: injected: EIO/);
			assert.notEqual(report.backups.find((backup) => backup.name === 'b1-oldest.tar')?.deleted, true);
			assert.ok(report.notes.some((note) => /b1-oldest\.tar: b1-oldest\.tar is left, its sidecar is gone/.test(note)), report.notes.join('\n'));
			assert.equal(report.streams[0]!.remove[0]!.deleted, undefined, 'no binlog file is deleted after a failure');
			assert.deepEqual((await locateBinlogs(join(copy, 'binlog'))).names, [files.b1, files.b2, files.b3, files.current]);
			const half = (await buildCatalog(copy)).backups.find((backup) => backup.name === 'b1-oldest.tar');
			assert.equal(half?.complete, false, 'without its sidecar it is no complete backup');
			assert.match(renderPrune(report), /b1-oldest\.tar +NOT deleted[\s\S]*STOPPED: deleting/);
		} finally {
			await rm(copy, {recursive: true, force: true});
		}
	});
});

describe('prune an S3 prefix', {timeout: timeoutMs}, () => {
	test('the same code path: a dry run lists, --confirm deletes the objects (sidecar first), the stream in a sub-prefix keeps what the backup that stays needs; pins work there', async () => {
		const prefix = `s3://${s3.bucket}/${uniqueName('prune')}/`;
		const storage: StorageOptions = {s3: {endpoint: s3.endpoint, region: s3.region}};
		const target = mariadbSettingsOf(server);
		const start = await masterStatus();
		await backupTo(target, [database], `${prefix}s3-old.tar`, {storage});
		await write(5);
		const second = await flush();
		await write(5);
		await backupTo(target, [database], `${prefix}s3-new.tar`, {storage});
		await write(5);
		await flush();
		await write(5);
		await streamBinlogs(streamOptionsFor(target, `${prefix}binlog/`, start), new EventBus(), new AbortController().signal);
		const listing = async (url: string) => (await (await directoryTarget(url, storage)).list()).map((stat) => stat.name).sort();
		const before = await listing(prefix);
		const streamBefore = await listing(`${prefix}binlog/`);
		assert.ok(streamBefore.includes(start.file) && streamBefore.includes(second));

		const dry = await prune({location: prefix, storage, policy: {last: 1}, policySource: FROM_TEST, confirm: false});
		assert.deepEqual(verdicts(dry), {'s3-new.tar': 'keep', 's3-old.tar': 'delete'});
		assert.equal(dry.backups[1]!.url, `${prefix}s3-old.tar`);
		assert.deepEqual(dry.streams.map((stream) => [stream.url, stream.remove.map((file) => file.name), stream.keptFrom?.file]), [[`${prefix}binlog/`, [start.file], second]]);
		assert.deepEqual(await listing(prefix), before);
		assert.deepEqual(await listing(`${prefix}binlog/`), streamBefore);

		const pinned = await pinBackup(`${prefix}s3-old.tar`, storage, {reason: 'keep in S3'});
		assert.equal(pinned.marker, `${prefix}s3-old.tar.pin`);
		assert.equal((await buildCatalog(prefix, storage)).backups.find((backup) => backup.name === 's3-old.tar')?.pinned, true);
		const held = await prune({location: prefix, storage, policy: {last: 1}, policySource: FROM_TEST, confirm: true});
		assert.deepEqual(verdicts(held), {'s3-new.tar': 'keep', 's3-old.tar': 'keep'});
		assert.deepEqual(held.streams[0]!.remove, []);
		assert.equal((await unpinBackup(`${prefix}s3-old.tar`, storage)).changed, true);

		const done = await prune({location: prefix, storage, policy: {last: 1}, policySource: FROM_TEST, confirm: true});
		assert.equal(done.failure, undefined);
		const after = await listing(prefix);
		assert.deepEqual(before.filter((name) => !after.includes(name)).sort(), ['s3-old.tar', 's3-old.tar.meta.json']);
		const streamAfter = await listing(`${prefix}binlog/`);
		assert.deepEqual(streamBefore.filter((name) => !streamAfter.includes(name)), [start.file]);
		const catalog = await buildCatalog(prefix, storage);
		assert.deepEqual(catalog.backups.map((backup) => backup.name), ['s3-new.tar']);
		const window = windowOf(catalog);
		assert.equal(window.pointInTime, true);
		assert.equal(window.earliest.backup, 's3-new.tar');
		assert.equal((await locateBinlogs(`${prefix}binlog/`, storage)).names[0], second);
	});
});
