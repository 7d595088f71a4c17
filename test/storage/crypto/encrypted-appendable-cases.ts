import assert from 'node:assert/strict';
import {randomBytes} from 'node:crypto';
import {describe, test} from 'node:test';
import {IntegrityError, UsageError, WorkError} from '../../../source/core/errors.ts';
import {parseSegmentName, segmentNameOf} from '../../../source/storage/crypto/encrypted-appendable.ts';
import {EncryptedTarget, type EncryptedTargetOptions} from '../../../source/storage/crypto/encrypted-target.ts';
import {isEncryptedArtifact} from '../../../source/storage/crypto/header.ts';
import {passphraseSource, type EncryptionKeySource} from '../../../source/storage/crypto/key.ts';
import {readBytes} from '../../../source/storage/target/read-bytes.ts';
import type {AppendableArtifact, ArtifactTarget} from '../../../source/storage/target/types.ts';
import {collect, sha256} from '../helpers.ts';
import {newKey} from './crypto-helpers.ts';

/*
 * The cases of encrypted appendable artifacts, run over each inner target: a local directory
 * (encrypted-appendable.test.ts) and the harness's S3 server (encrypted-appendable-s3.test.ts).
 */

export interface InnerBackend {
	label: string;
	/** an empty inner target of its own */
	fresh(): Promise<ArtifactTarget>;
	/** every stored byte under the target's root, by name (temporary files and S3 segments included) */
	storedBytes(inner: ArtifactTarget): Promise<Map<string, Buffer>>;
	/** tests that only a local directory needs */
	extra?: (open: (inner: ArtifactTarget, key?: EncryptionKeySource, options?: EncryptedTargetOptions) => EncryptedTarget) => void;
}

/** plaintext bytes of an appendable segment, and of the cipher segments inside each (2^10) */
export const SEGMENT = 4096;
export const TEST_OPTIONS: EncryptedTargetOptions = {appendSegmentBytes: SEGMENT, segmentLog2: 10};

export const BINLOG = 'mysql-bin.000001';

export async function appendAll(file: AppendableArtifact, data: Uint8Array, chunk = 1000): Promise<void> {
	for (let offset = 0; offset < data.length; offset += chunk) await file.write(data.subarray(offset, offset + chunk));
}

export function readAll(target: ArtifactTarget, name: string, start = 0, end?: number): Promise<Buffer> {
	return collect(target.readRange(name, start, end));
}

/** The inner names of the segments of `name`, in order. */
export async function segmentsOf(inner: ArtifactTarget, name: string): Promise<string[]> {
	return (await inner.list())
		.map((stat) => stat.name)
		.filter((candidate) => parseSegmentName(candidate)?.name === name)
		.sort();
}

/** Artifact `name` of `data`, written through `target` in odd chunks, synced and closed. */
export async function written(target: EncryptedTarget, name: string, data: Buffer): Promise<void> {
	const file = await target.openAppend(name, {create: 'new'});
	await appendAll(file, data, 777);
	await file.sync();
	await file.close();
}

async function rejectsWith(action: Promise<unknown>, kind: new (...args: never[]) => Error, code: string, message?: RegExp): Promise<Error> {
	try {
		await action;
	} catch (error) {
		assert.ok(error instanceof kind, `expected ${kind.name} ${code}, got ${String(error)}`);
		assert.equal((error as {code?: string}).code, code, error.message);
		if (message) assert.match(error.message, message);
		return error;
	}
	assert.fail(`expected ${code}`);
}

function escaped(text: string): string {
	return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export function encryptedAppendableCases(backend: InnerBackend): void {
	const open = (inner: ArtifactTarget, key: EncryptionKeySource = newKey(), options: EncryptedTargetOptions = TEST_OPTIONS) => new EncryptedTarget(inner, key, options);

	describe(`encrypted appendable artifacts on ${backend.label}`, () => {
		test('written, synced, closed, reopened and continued: the same bytes, across several segments, each one encrypted artifact of its own', async () => {
			const inner = await backend.fresh();
			const target = open(inner);
			const data = randomBytes(5 * SEGMENT + 1234);
			const first = await target.openAppend(BINLOG, {create: 'new'});
			assert.equal(first.size, 0);
			assert.deepEqual(await segmentsOf(inner, BINLOG), [segmentNameOf(BINLOG, 0)], 'the empty artifact exists from the start');
			assert.equal((await target.stat(BINLOG))?.bytes, 0);
			await appendAll(first, data.subarray(0, 2 * SEGMENT + 100), 333);
			await first.sync();
			assert.equal((await target.stat(BINLOG))?.bytes, 2 * SEGMENT + 100);
			await appendAll(first, data.subarray(2 * SEGMENT + 100, 3 * SEGMENT + 7), 1000);
			assert.equal(first.size, 3 * SEGMENT + 7);
			await first.close();
			await assert.rejects(first.write(Buffer.from('x')), {code: 'ARTIFACT_NOT_OPEN'});

			const second = await target.openAppend(BINLOG, {create: 'existing'});
			assert.equal(second.size, 3 * SEGMENT + 7);
			await appendAll(second, data.subarray(3 * SEGMENT + 7), 4097);
			await second.sync();
			await second.close();

			assert.equal(sha256(await readAll(target, BINLOG)), sha256(data));
			assert.equal((await target.stat(BINLOG))?.bytes, data.length);
			assert.deepEqual(
				await segmentsOf(inner, BINLOG),
				[0, 1, 2, 3, 4, 5].map((index) => segmentNameOf(BINLOG, index * SEGMENT)),
			);
			for (const segment of await segmentsOf(inner, BINLOG)) assert.ok(isEncryptedArtifact(await readBytes(inner, segment, 0, 8)), `${segment} is a DBBKENC artifact`);
			// ranges inside one cipher segment, across cipher segments, across appendable segments, past the end
			for (const [start, end] of [
				[0, 1],
				[100, 1500],
				[SEGMENT - 10, SEGMENT + 10],
				[SEGMENT * 2 - 1, SEGMENT * 4 + 1],
				[data.length - 5, data.length + 100],
				[data.length, undefined],
				[7, undefined],
			] as const) {
				assert.ok((await readAll(target, BINLOG, start, end)).equals(data.subarray(start, end)), `bytes ${start} to ${end}`);
			}
			// another target with the same key (another process) reads it too
			const key = newKey();
			const again = open(await backend.fresh(), key);
			await written(again, BINLOG, data);
			assert.ok((await readAll(open(again.inner, key), BINLOG)).equals(data));
		});

		test("'new' refuses a name that is taken, 'existing' one that is missing; a sync with nothing new stores nothing", async () => {
			const inner = await backend.fresh();
			const target = open(inner);
			await rejectsWith(target.openAppend(BINLOG, {create: 'existing'}), WorkError, 'ARTIFACT_MISSING', new RegExp(escaped(inner.describe(BINLOG))));
			await written(target, BINLOG, randomBytes(100));
			await rejectsWith(target.openAppend(BINLOG, {create: 'new'}), UsageError, 'ARTIFACT_EXISTS', new RegExp(`${escaped(inner.describe(BINLOG))} already exists`));
			await target.put('plain.000002', Buffer.from('x'));
			await rejectsWith(target.openAppend('plain.000002', {create: 'new'}), UsageError, 'ARTIFACT_EXISTS');
			await assert.rejects(target.openAppend(BINLOG, {create: 'existing', truncateTo: 101}), RangeError);

			const file = await target.openAppend(BINLOG, {create: 'existing'});
			const before = await readBytes(inner, segmentNameOf(BINLOG, 0));
			await file.sync();
			await file.close();
			assert.ok((await readBytes(inner, segmentNameOf(BINLOG, 0))).equals(before), 'nothing was rewritten');
		});

		test('truncateTo inside a segment, at a segment boundary and to 0, then writing on', async () => {
			const inner = await backend.fresh();
			const target = open(inner);
			const data = randomBytes(4 * SEGMENT + 500);
			await written(target, BINLOG, data);
			let expected = data;

			for (const to of [3 * SEGMENT + 200, 2 * SEGMENT, SEGMENT + 1, 0]) {
				const file = await target.openAppend(BINLOG, {create: 'existing', truncateTo: to});
				assert.equal(file.size, to);
				await file.close();
				expected = expected.subarray(0, to);
				assert.ok((await readAll(target, BINLOG)).equals(expected), `cut to ${to}`);
				assert.equal((await target.stat(BINLOG))?.bytes, to);
				assert.equal((await segmentsOf(inner, BINLOG)).length, Math.max(1, Math.ceil(to / SEGMENT)), `segments after the cut to ${to}`);
			}

			// cut at a boundary, then continued: the next segment is written after the full one
			const more = randomBytes(3 * SEGMENT);
			const file = await target.openAppend(BINLOG, {create: 'existing'});
			await appendAll(file, more.subarray(0, 2 * SEGMENT), 999);
			await file.close();
			const cut = await target.openAppend(BINLOG, {create: 'existing', truncateTo: SEGMENT});
			await appendAll(cut, more.subarray(2 * SEGMENT), 1111);
			await cut.sync();
			await cut.close();
			const whole = Buffer.concat([more.subarray(0, SEGMENT), more.subarray(2 * SEGMENT)]);
			assert.ok((await readAll(target, BINLOG)).equals(whole));
			assert.deepEqual(await segmentsOf(inner, BINLOG), [segmentNameOf(BINLOG, 0), segmentNameOf(BINLOG, SEGMENT)]);
		});

		test('overwriteAt rewrites the segments the bytes fall in; out of range is a RangeError', async () => {
			const inner = await backend.fresh();
			const target = open(inner);
			const data = randomBytes(3 * SEGMENT + 10);
			await written(target, BINLOG, data);
			const patch = randomBytes(50);
			await target.overwriteAt(BINLOG, SEGMENT - 20, patch);
			await target.overwriteAt(BINLOG, 5, Buffer.from([0]));
			const expected = Buffer.from(data);
			patch.copy(expected, SEGMENT - 20);
			expected[5] = 0;
			assert.ok((await readAll(target, BINLOG)).equals(expected));
			await assert.rejects(target.overwriteAt(BINLOG, data.length - 1, Buffer.alloc(2)), RangeError);
			await rejectsWith(target.overwriteAt('missing.000009', 0, Buffer.alloc(1)), WorkError, 'ARTIFACT_MISSING');
		});

		test('seal makes one encrypted artifact that reads, stats and lists as the bytes; the segments are gone; it is idempotent; a sealed artifact cannot grow or change', async () => {
			const inner = await backend.fresh();
			const target = open(inner);
			const data = randomBytes(4 * SEGMENT + 3333);
			await written(target, BINLOG, data);
			await target.seal(BINLOG);
			assert.deepEqual(await segmentsOf(inner, BINLOG), []);
			const raw = await readBytes(inner, BINLOG);
			assert.ok(isEncryptedArtifact(raw), 'the inner artifact is encrypted');
			assert.equal((await target.stat(BINLOG))?.bytes, data.length);
			assert.ok((await readAll(target, BINLOG)).equals(data));
			assert.ok((await readAll(target, BINLOG, SEGMENT - 3, 2 * SEGMENT + 9)).equals(data.subarray(SEGMENT - 3, 2 * SEGMENT + 9)));
			assert.deepEqual(
				(await target.list()).map((stat) => stat.name),
				[BINLOG],
			);
			assert.equal(await target.isEncrypted(BINLOG), true);
			await target.seal(BINLOG);
			assert.ok((await readAll(target, BINLOG)).equals(data));
			await rejectsWith(target.openAppend(BINLOG, {create: 'existing'}), WorkError, 'ARTIFACT_SEALED', /is complete/);
			await rejectsWith(target.overwriteAt(BINLOG, 0, Buffer.alloc(1)), WorkError, 'ARTIFACT_SEALED');
			await rejectsWith(target.openAppend(BINLOG, {create: 'new'}), UsageError, 'ARTIFACT_EXISTS');

			// an empty one seals to an empty encrypted artifact; a name with no segments has nothing to seal
			await written(target, 'empty.000002', Buffer.alloc(0));
			await target.seal('empty.000002');
			assert.equal((await target.stat('empty.000002'))?.bytes, 0);
			assert.equal((await readAll(target, 'empty.000002')).length, 0);
			await target.seal('nothing.000003');
			assert.equal(await target.stat('nothing.000003'), undefined);
		});

		test('a seal that stopped before deleting the segments: the artifact is read, listed once, and the next seal deletes them', async () => {
			const inner = await backend.fresh();
			const target = open(inner);
			const data = randomBytes(2 * SEGMENT + 1);
			await written(target, BINLOG, data);
			const segments = new Map<string, Buffer>();
			for (const name of await segmentsOf(inner, BINLOG)) segments.set(name, await readBytes(inner, name));
			await target.seal(BINLOG);
			// the segments back, as if the deletes had not happened, the first one with other bytes
			for (const [name, bytes] of segments) await inner.put(name, bytes);
			await target.overwriteAt(BINLOG, 0, Buffer.from('X')).catch(() => undefined);
			assert.ok((await readAll(target, BINLOG)).equals(data));
			assert.equal((await target.stat(BINLOG))?.bytes, data.length);
			assert.deepEqual(
				(await target.list()).map((stat) => stat.name),
				[BINLOG],
			);
			await target.seal(BINLOG);
			assert.deepEqual(await segmentsOf(inner, BINLOG), []);
			assert.ok((await readAll(target, BINLOG)).equals(data));
		});

		test('list hides the segments and shows each appendable artifact once, with its plaintext size, by prefix too', async () => {
			const inner = await backend.fresh();
			const target = open(inner);
			await written(target, 'mysql-bin.000001', randomBytes(2 * SEGMENT + 5));
			await written(target, 'mysql-bin.000002', randomBytes(10));
			await written(target, 'other.000001', Buffer.alloc(0));
			await target.put('binlog-index.json', Buffer.from('{}'));
			const sizes = (stats: {name: string; bytes: number}[]) => Object.fromEntries(stats.map((stat) => [stat.name, stat.bytes]));
			const listed = sizes(await target.list());
			assert.deepEqual(Object.keys(listed).sort(), ['binlog-index.json', 'mysql-bin.000001', 'mysql-bin.000002', 'other.000001']);
			assert.equal(listed['mysql-bin.000001'], 2 * SEGMENT + 5);
			assert.equal(listed['mysql-bin.000002'], 10);
			assert.equal(listed['other.000001'], 0);
			assert.deepEqual(sizes(await target.list('mysql-bin.')), {'mysql-bin.000001': 2 * SEGMENT + 5, 'mysql-bin.000002': 10});
			assert.deepEqual(sizes(await target.list('mysql-bin.000002')), {'mysql-bin.000002': 10});
			assert.deepEqual(await target.list('.'), []);
			// the inner target does list the segments: they are ordinary artifacts there
			assert.equal((await segmentsOf(inner, 'mysql-bin.000001')).length, 3);
		});

		test('no stored byte holds the plaintext: a 32-byte marker written over and over is in no artifact of the inner target, before and after seal', async () => {
			const inner = await backend.fresh();
			const target = open(inner);
			const marker = Buffer.from('MARKER-0123456789abcdef-MARKER!!');
			assert.equal(marker.length, 32);
			const data = Buffer.concat([randomBytes(SEGMENT - 10), ...Array.from({length: 300}, () => marker)]);
			const file = await target.openAppend(BINLOG, {create: 'new'});
			await appendAll(file, data, 500);
			await file.sync();
			const look = async (when: string) => {
				const stored = await backend.storedBytes(inner);
				assert.ok(stored.size > 0, 'something is stored');
				for (const [name, bytes] of stored) assert.equal(bytes.indexOf(marker), -1, `${when}: the marker is in ${name}`);
			};
			await look('synced');
			await file.close();
			await target.overwriteAt(BINLOG, SEGMENT, marker);
			await look('overwritten');
			await target.seal(BINLOG);
			await look('sealed');
			assert.ok((await readAll(target, BINLOG)).subarray(0, SEGMENT).equals(Buffer.concat([data.subarray(0, SEGMENT)])));
		});

		test('a wrong key fails reading, continuing and rewriting, naming the segment', async () => {
			const inner = await backend.fresh();
			const target = open(inner);
			await written(target, BINLOG, randomBytes(2 * SEGMENT + 10));
			const wrong = open(inner);
			const segment = new RegExp(escaped(inner.describe(segmentNameOf(BINLOG, 0))));
			await rejectsWith(readAll(wrong, BINLOG), IntegrityError, 'ENCRYPTION_WRONG_KEY', segment);
			await rejectsWith(readAll(wrong, BINLOG, 2 * SEGMENT), IntegrityError, 'ENCRYPTION_WRONG_KEY', new RegExp(escaped(inner.describe(segmentNameOf(BINLOG, 2 * SEGMENT)))));
			await rejectsWith(wrong.openAppend(BINLOG, {create: 'existing'}), IntegrityError, 'ENCRYPTION_WRONG_KEY', new RegExp(escaped(inner.describe(segmentNameOf(BINLOG, 2 * SEGMENT)))));
			await rejectsWith(wrong.overwriteAt(BINLOG, 1, Buffer.alloc(1)), IntegrityError, 'ENCRYPTION_WRONG_KEY', segment);
			await rejectsWith(wrong.seal(BINLOG), IntegrityError, 'ENCRYPTION_WRONG_KEY', segment);
			// nothing was changed by the refusals
			assert.equal((await segmentsOf(inner, BINLOG)).length, 3);
			assert.equal((await target.stat(BINLOG))?.bytes, 2 * SEGMENT + 10);
			// a passphrase is no key for it either
			await rejectsWith(readAll(open(inner, passphraseSource('not the key')), BINLOG), IntegrityError, 'ENCRYPTION_WRONG_KEY', segment);
		});

		test('a missing middle or first segment, or one moved from another offset or artifact, is ENCRYPTED_SEGMENTS_INVALID naming the artifact and the offsets; a changed one does not authenticate', async () => {
			const inner = await backend.fresh();
			const target = open(inner);
			const data = randomBytes(4 * SEGMENT + 10);
			await written(target, BINLOG, data);
			await inner.delete(segmentNameOf(BINLOG, 2 * SEGMENT));
			const gap = new RegExp(`${escaped(inner.describe(BINLOG))} is damaged: its encrypted segment at byte ${3 * SEGMENT} .* leaves a gap after byte ${2 * SEGMENT}`);
			await rejectsWith(readAll(target, BINLOG), IntegrityError, 'ENCRYPTED_SEGMENTS_INVALID', gap);
			await rejectsWith(target.openAppend(BINLOG, {create: 'existing'}), IntegrityError, 'ENCRYPTED_SEGMENTS_INVALID', gap);
			await rejectsWith(target.overwriteAt(BINLOG, 0, Buffer.alloc(1)), IntegrityError, 'ENCRYPTED_SEGMENTS_INVALID', gap);
			await rejectsWith(target.seal(BINLOG), IntegrityError, 'ENCRYPTED_SEGMENTS_INVALID', gap);
			// stat and list give what is contiguous from 0
			assert.equal((await target.stat(BINLOG))?.bytes, 2 * SEGMENT);
			assert.equal((await target.list()).find((stat) => stat.name === BINLOG)?.bytes, 2 * SEGMENT);

			await inner.delete(segmentNameOf(BINLOG, 0));
			await rejectsWith(readAll(target, BINLOG), IntegrityError, 'ENCRYPTED_SEGMENTS_INVALID', new RegExp(`segment at byte ${SEGMENT} .* leaves a gap after byte 0`));

			// two full segments swapped: each a whole artifact under the key, of the right size, but bound to its own offset
			const other = open(await backend.fresh());
			await written(other, BINLOG, data);
			const first = await readBytes(other.inner, segmentNameOf(BINLOG, 0));
			const second = await readBytes(other.inner, segmentNameOf(BINLOG, SEGMENT));
			await other.inner.put(segmentNameOf(BINLOG, 0), second);
			await other.inner.put(segmentNameOf(BINLOG, SEGMENT), first);
			const moved = (start: number) => new RegExp(`${escaped(other.inner.describe(BINLOG))} is damaged: its encrypted segment at byte ${start} .* was not written there`);
			await rejectsWith(readAll(other, BINLOG, 0, 10), IntegrityError, 'ENCRYPTED_SEGMENTS_INVALID', moved(0));
			await rejectsWith(readAll(other, BINLOG, SEGMENT + 5), IntegrityError, 'ENCRYPTED_SEGMENTS_INVALID', moved(SEGMENT));
			// the segment at the same offset of another artifact under the same key
			await other.inner.put(segmentNameOf(BINLOG, SEGMENT), second);
			await written(other, 'mysql-bin.000002', randomBytes(2 * SEGMENT));
			await other.inner.put(segmentNameOf(BINLOG, 0), await readBytes(other.inner, segmentNameOf('mysql-bin.000002', 0)));
			await rejectsWith(readAll(other, BINLOG), IntegrityError, 'ENCRYPTED_SEGMENTS_INVALID', moved(0));
			await rejectsWith(other.seal(BINLOG), IntegrityError, 'ENCRYPTED_SEGMENTS_INVALID', moved(0));
			await other.inner.put(segmentNameOf(BINLOG, 0), first);
			assert.ok((await readAll(other, BINLOG)).equals(data), 'put back, it reads again');
			// a flipped byte does not authenticate
			const damaged = Buffer.from(second);
			damaged[200] ^= 1;
			await other.inner.put(segmentNameOf(BINLOG, SEGMENT), damaged);
			await rejectsWith(readAll(other, BINLOG, SEGMENT, SEGMENT + 10), IntegrityError, 'ENCRYPTED_DAMAGED', new RegExp(escaped(other.inner.describe(segmentNameOf(BINLOG, SEGMENT)))));
		});

		test('every rewrite of a segment is encrypted afresh: the same plaintext twice gives other bytes under another file salt (no nonce is reused under a key)', async () => {
			const inner = await backend.fresh();
			const target = open(inner);
			const data = randomBytes(SEGMENT + 100);
			await written(target, BINLOG, data);
			const name = segmentNameOf(BINLOG, 0);
			const before = await readBytes(inner, name);
			await target.overwriteAt(BINLOG, 10, data.subarray(10, 11));
			const after = await readBytes(inner, name);
			assert.equal(after.length, before.length);
			assert.ok(!after.equals(before), 'the stored bytes differ');
			assert.ok(!after.subarray(32, 64).equals(before.subarray(32, 64)), 'the file salts differ');
			assert.ok(!after.subarray(96, 96 + 1024).equals(before.subarray(96, 96 + 1024)), 'the first cipher segments differ');
			assert.ok((await readAll(target, BINLOG)).equals(data));

			// a sync of the open segment re-encrypts it whole each time
			const file = await target.openAppend(BINLOG, {create: 'existing'});
			const open1 = segmentNameOf(BINLOG, SEGMENT);
			await file.write(Buffer.from('a'));
			await file.sync();
			const firstSync = await readBytes(inner, open1);
			await file.write(Buffer.from('b'));
			await file.sync();
			const secondSync = await readBytes(inner, open1);
			await file.close();
			assert.ok(!firstSync.subarray(32, 64).equals(secondSync.subarray(32, 64)));
			assert.ok((await readAll(target, BINLOG)).equals(Buffer.concat([data, Buffer.from('ab')])));
		});

		test('delete removes the artifact and every segment; stat is then undefined', async () => {
			const inner = await backend.fresh();
			const target = open(inner);
			await written(target, BINLOG, randomBytes(3 * SEGMENT));
			await written(target, 'mysql-bin.000002', randomBytes(SEGMENT + 1));
			await target.seal('mysql-bin.000002');
			await target.delete(BINLOG);
			await target.delete('mysql-bin.000002');
			assert.equal(await target.stat(BINLOG), undefined);
			assert.equal(await target.stat('mysql-bin.000002'), undefined);
			assert.deepEqual(await inner.list(), []);
			await assert.rejects(readAll(target, BINLOG));
		});

		test('segments written with other cipher segment sizes (2^10) read back through a target with the default (2^16), and the other way round', async () => {
			const key = newKey();
			const inner = await backend.fresh();
			const data = randomBytes(3 * SEGMENT + 77);
			await written(open(inner, key, {appendSegmentBytes: SEGMENT, segmentLog2: 10}), BINLOG, data);
			const reader = open(inner, key, {appendSegmentBytes: SEGMENT});
			assert.equal((await reader.stat(BINLOG))?.bytes, data.length);
			assert.ok((await readAll(reader, BINLOG, 100)).equals(data.subarray(100)));
			const file = await reader.openAppend(BINLOG, {create: 'existing', truncateTo: 2 * SEGMENT + 10});
			await file.write(Buffer.from('tail'));
			await file.close();
			const expected = Buffer.concat([data.subarray(0, 2 * SEGMENT + 10), Buffer.from('tail')]);
			assert.ok((await readAll(open(inner, key), BINLOG)).equals(expected));
		});

		test('a passphrase works as a key (scrypt once per salt)', async () => {
			const inner = await backend.fresh();
			const source = passphraseSource('correct horse battery staple');
			const data = randomBytes(2 * SEGMENT + 3);
			await written(open(inner, source, {...TEST_OPTIONS, scryptLogN: 10}), BINLOG, data);
			assert.ok((await readAll(open(inner, passphraseSource('correct horse battery staple'), TEST_OPTIONS), BINLOG)).equals(data));
		});

		backend.extra?.(open);
	});
}
