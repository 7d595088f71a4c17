import assert from 'node:assert/strict';
import {randomBytes} from 'node:crypto';
import {DeleteObjectCommand, ListObjectsV2Command, PutObjectCommand} from '@aws-sdk/client-s3';
import {after, before, describe, test} from 'node:test';
import {IntegrityError, UsageError, WorkError} from '../../../source/core/errors.ts';
import {readBytes} from '../../../source/storage/target/read-bytes.ts';
import {DEAD_UPLOAD_AGE_MS, S3Target} from '../../../source/storage/s3/target.ts';
import {recordingBus} from '../../harness/recording-bus.ts';
import {startS3FaultProxy, type S3FaultProxy} from '../../harness/s3-fault-proxy.ts';
import {FAST_RETRY, inspector, MIB, objectBytes, objectExists, randomStream, s3, sha256, testConnection, uniquePrefix, useTestCredentials} from './helpers.ts';

useTestCredentials();
const look = inspector();
let proxy: S3FaultProxy;
const targets: S3Target[] = [];
const KIB = 1024;
const SEGMENT = 64 * KIB;

before(async () => {
	proxy = await startS3FaultProxy(s3.endpoint);
});

after(async () => {
	for (const target of targets) target.connection.client.destroy();
	look.destroy();
	await proxy.close();
});

/** A target over a fresh prefix, through the proxy (which records), with small segments. */
function fresh(segmentBytes = SEGMENT): S3Target {
	const target = new S3Target(testConnection(proxy.endpoint), s3.bucket, uniquePrefix('app'), {partSize: 5 * MIB, workers: 2, retry: FAST_RETRY, appendSegmentBytes: segmentBytes});
	targets.push(target);
	return target;
}

function segmentKey(target: S3Target, name: string, start: number): string {
	return `${target.keyOf(name)}.segments/${String(start).padStart(16, '0')}`;
}

/** Every key under the target's prefix, with its size, as s3rver has them. */
async function keysUnder(target: S3Target): Promise<Record<string, number>> {
	const answer = await look.send(new ListObjectsV2Command({Bucket: s3.bucket, Prefix: target.prefix}));
	return Object.fromEntries((answer.Contents ?? []).map((object) => [object.Key!.slice(target.prefix.length), object.Size!]));
}

function putsOf(key: string): number {
	return proxy.requestsOf('PutObject').filter((request) => request.path === `/${s3.bucket}/${key}`).length;
}

/** Writes `data` in chunks of `chunkBytes`. */
async function writeAll(file: {write(bytes: Uint8Array): Promise<void>}, data: Buffer, chunkBytes = 10_007): Promise<void> {
	for (let offset = 0; offset < data.length; offset += chunkBytes) await file.write(data.subarray(offset, offset + chunkBytes));
}

/** An artifact `name` of `data`, written, synced and closed. */
async function written(target: S3Target, name: string, data: Buffer): Promise<void> {
	const file = await target.openAppend(name, {create: 'new'});
	await writeAll(file, data);
	await file.sync();
	await file.close();
}

describe('an appendable artifact in S3 (segments, requests recorded by our proxy)', () => {
	test('exists empty from create new, and after a sync stat, list and readRange show its bytes under its name', async () => {
		const target = fresh();
		const file = await target.openAppend('log.000001', {create: 'new'});
		assert.equal(file.name, 'log.000001');
		assert.equal(file.size, 0);
		assert.deepEqual(await keysUnder(target), {'log.000001.segments/0000000000000000': 0});
		assert.equal((await target.stat('log.000001'))?.bytes, 0);
		await file.write(Buffer.from('hello '));
		await file.write(Buffer.from('world'));
		assert.equal(file.size, 11);
		assert.equal((await target.stat('log.000001'))?.bytes, 0, 'not in S3 before the sync');
		await file.sync();
		const stat = await target.stat('log.000001');
		assert.equal(stat?.name, 'log.000001');
		assert.equal(stat?.bytes, 11);
		assert.ok(stat!.modifiedAt.getTime() > Date.now() - 3_600_000);
		await target.put('other.sql', Buffer.from('x'));
		const listed = (await target.list()).map((artifact) => [artifact.name, artifact.bytes]).sort();
		assert.deepEqual(listed, [['log.000001', 11], ['other.sql', 1]], 'the segments are not listed as artifacts of their own');
		assert.deepEqual((await target.list('log')).map((artifact) => artifact.name), ['log.000001']);
		assert.equal((await readBytes(target, 'log.000001')).toString(), 'hello world');
		assert.equal((await readBytes(target, 'log.000001', 6, 9)).toString(), 'wor');
		assert.equal((await readBytes(target, 'log.000001', 50)).length, 0, 'past the end gives nothing, like a file');
		await file.close();
		await file.close();
		await assert.rejects(file.write(Buffer.from('late')), {code: 'ARTIFACT_NOT_OPEN'});
	});

	test('writes spanning many segments freeze each at exactly the segment size, and read back identical', async () => {
		const target = fresh();
		const data = randomBytes(5 * SEGMENT + 12_345);
		await written(target, 'big', data);
		const keys = await keysUnder(target);
		assert.deepEqual(
			Object.keys(keys),
			[0, 1, 2, 3, 4, 5].map((index) => `big.segments/${String(index * SEGMENT).padStart(16, '0')}`),
		);
		assert.deepEqual(Object.values(keys), [SEGMENT, SEGMENT, SEGMENT, SEGMENT, SEGMENT, 12_345]);
		assert.equal((await target.stat('big'))?.bytes, data.length);
		assert.equal(sha256(await readBytes(target, 'big')), sha256(data));
		assert.deepEqual(await readBytes(target, 'big', SEGMENT - 100, 3 * SEGMENT + 5), data.subarray(SEGMENT - 100, 3 * SEGMENT + 5), 'a range across segments');
		assert.deepEqual(await readBytes(target, 'big', 2 * SEGMENT, 2 * SEGMENT + 10), data.subarray(2 * SEGMENT, 2 * SEGMENT + 10));
	});

	test('a sync re-uploads the open segment whole under its key, only when it has new bytes; a full one is uploaded as it fills', async () => {
		const target = fresh();
		const first = segmentKey(target, 'log', 0);
		const second = segmentKey(target, 'log', SEGMENT);
		const file = await target.openAppend('log', {create: 'new'});
		assert.equal(putsOf(first), 1, 'the empty segment of create new');
		await file.write(Buffer.alloc(100, 1));
		await file.write(Buffer.alloc(100, 2));
		assert.equal(putsOf(first), 1, 'a write below the segment size only fills memory');
		await file.sync();
		assert.equal(putsOf(first), 2);
		assert.equal((await objectBytes(look, first)).length, 200);
		await file.sync();
		assert.equal(putsOf(first), 2, 'nothing new, nothing sent');
		await file.write(Buffer.alloc(SEGMENT, 3));
		assert.equal(putsOf(first), 3, 'the full segment went up at the write');
		assert.equal(putsOf(second), 0);
		assert.equal((await objectBytes(look, first)).length, SEGMENT);
		await file.sync();
		assert.equal(putsOf(second), 1);
		assert.equal((await objectBytes(look, second)).length, 200);
		await file.write(Buffer.from('tail'));
		await file.close();
		assert.equal(putsOf(second), 2, 'close uploads what sync had not');
		assert.equal((await target.stat('log'))?.bytes, SEGMENT + 204);
	});

	test('a refused upload is the mapped one-line error naming the segment; the bytes stay in memory for the next sync (403 answered by our proxy)', async () => {
		const target = fresh();
		const key = segmentKey(target, 'log', 0);
		const file = await target.openAppend('log', {create: 'new'});
		await file.write(Buffer.from('kept in memory'));
		proxy.addRule({operation: 'PutObject', match: (request) => request.path === `/${s3.bucket}/${key}`, times: 1, fault: {kind: 'error', status: 403, code: 'AccessDenied', message: 'Access Denied'}});
		await assert.rejects(file.sync(), {name: 'ConnectionError', code: 'S3_ACCESS_DENIED', message: `cannot upload s3://${s3.bucket}/${key}: access denied by ${proxy.endpoint} (AccessDenied)`});
		await file.sync();
		await file.close();
		assert.equal((await readBytes(target, 'log')).toString(), 'kept in memory');
	});

	test('reopened existing, it goes on at its end: from a short last segment, and from a full one', async () => {
		const target = fresh();
		const data = randomBytes(3 * SEGMENT + 777);
		await written(target, 'short', data.subarray(0, SEGMENT + 500));
		const again = await target.openAppend('short', {create: 'existing'});
		assert.equal(again.size, SEGMENT + 500);
		await writeAll(again, data.subarray(SEGMENT + 500));
		await again.close();
		assert.equal(sha256(await readBytes(target, 'short')), sha256(data));
		assert.deepEqual(Object.values(await keysUnder(target)), [SEGMENT, SEGMENT, SEGMENT, 777]);

		await written(target, 'full', data.subarray(0, 2 * SEGMENT));
		const more = await target.openAppend('full', {create: 'existing'});
		assert.equal(more.size, 2 * SEGMENT);
		await writeAll(more, data.subarray(2 * SEGMENT));
		await more.close();
		assert.equal(sha256(await readBytes(target, 'full')), sha256(data));
	});

	test('truncateTo cuts inside a segment, at a boundary and to 0, then writing goes on from there', async () => {
		const target = fresh();
		const data = randomBytes(3 * SEGMENT + 100);
		await written(target, 'cut', data);

		const inside = await target.openAppend('cut', {create: 'existing', truncateTo: SEGMENT + 1000});
		assert.equal(inside.size, SEGMENT + 1000);
		assert.deepEqual(await keysUnder(target), {'cut.segments/0000000000000000': SEGMENT, [`cut.segments/${String(SEGMENT).padStart(16, '0')}`]: 1000});
		await inside.write(Buffer.from('next'));
		await inside.close();
		assert.deepEqual(await readBytes(target, 'cut'), Buffer.concat([data.subarray(0, SEGMENT + 1000), Buffer.from('next')]));

		const boundary = await target.openAppend('cut', {create: 'existing', truncateTo: SEGMENT});
		assert.equal(boundary.size, SEGMENT);
		assert.deepEqual(await keysUnder(target), {'cut.segments/0000000000000000': SEGMENT});
		await boundary.write(Buffer.from('after'));
		await boundary.close();
		assert.deepEqual(await readBytes(target, 'cut'), Buffer.concat([data.subarray(0, SEGMENT), Buffer.from('after')]));

		await assert.rejects(target.openAppend('cut', {create: 'existing', truncateTo: SEGMENT + 6}), RangeError);
		assert.equal((await target.stat('cut'))?.bytes, SEGMENT + 5, 'unchanged');

		const zero = await target.openAppend('cut', {create: 'existing', truncateTo: 0});
		assert.equal(zero.size, 0);
		assert.deepEqual(await keysUnder(target), {'cut.segments/0000000000000000': 0}, 'the empty artifact is still there');
		await zero.write(Buffer.from('again'));
		await zero.close();
		assert.equal((await readBytes(target, 'cut')).toString(), 'again');
	});

	test('create new refuses a name held by segments or by an object; create existing requires segments and refuses a sealed object', async () => {
		const target = fresh();
		await written(target, 'seg', Buffer.from('bytes'));
		const url = target.describe('seg');
		await assert.rejects(target.openAppend('seg', {create: 'new'}), (error: unknown) => {
			assert.ok(error instanceof UsageError);
			assert.equal(error.code, 'ARTIFACT_EXISTS');
			assert.equal(error.message, `${url} already exists; dbbackup does not overwrite a backup`);
			assert.match(error.hint ?? '', /the objects under .*seg\.segments\//);
			return true;
		});
		assert.equal((await readBytes(target, 'seg')).toString(), 'bytes', 'left as it is');
		await target.put('obj', Buffer.from('object'));
		await assert.rejects(target.openAppend('obj', {create: 'new'}), {name: 'UsageError', code: 'ARTIFACT_EXISTS', message: `${target.describe('obj')} already exists; dbbackup does not overwrite a backup`});
		await assert.rejects(target.openAppend('obj', {create: 'existing'}), (error: unknown) => {
			assert.ok(error instanceof WorkError);
			assert.equal(error.code, 'ARTIFACT_SEALED');
			assert.equal(error.message, `${target.describe('obj')} is complete; it cannot grow`);
			return true;
		});
		await assert.rejects(target.openAppend('missing', {create: 'existing'}), {name: 'WorkError', code: 'ARTIFACT_MISSING', message: `${target.describe('missing')} does not exist`});
		assert.equal(await target.stat('missing'), undefined);
		await assert.rejects(readBytes(target, 'missing'), {name: 'UsageError', code: 'S3_OBJECT_NOT_FOUND', message: `${target.describe('missing')} does not exist`});
		assert.deepEqual(Object.keys(await keysUnder(target)).sort(), ['obj', 'seg.segments/0000000000000000']);
	});

	test('a segment missing in the middle is S3_SEGMENTS_INVALID, exit 5, naming the URL and the offsets', async () => {
		const target = fresh();
		await written(target, 'gap', randomBytes(3 * SEGMENT + 10));
		await look.send(new DeleteObjectCommand({Bucket: s3.bucket, Key: segmentKey(target, 'gap', SEGMENT)}));
		const url = target.describe('gap');
		const expected = (error: unknown) => {
			assert.ok(error instanceof IntegrityError);
			assert.equal(error.code, 'S3_SEGMENTS_INVALID');
			assert.equal(error.exitCode, 5);
			assert.equal(error.message, `${url} is damaged: its segment at byte ${2 * SEGMENT} leaves a gap after byte ${SEGMENT}`);
			return true;
		};
		await assert.rejects(target.openAppend('gap', {create: 'existing'}), expected);
		await assert.rejects(readBytes(target, 'gap'), expected);
		await assert.rejects(target.seal('gap'), expected);
		assert.equal((await target.stat('gap'))?.bytes, SEGMENT, 'stat gives what is contiguous from the start');
	});

	test('overwriteAt replaces bytes in place, across a segment boundary, and refuses a range past the end', async () => {
		const target = fresh();
		const data = randomBytes(2 * SEGMENT + 50);
		await written(target, 'patch', data);
		const patch = Buffer.from('0123456789');
		await target.overwriteAt('patch', SEGMENT - 4, patch);
		await target.overwriteAt('patch', 13, Buffer.from([0xff]));
		const expected = Buffer.from(data);
		patch.copy(expected, SEGMENT - 4);
		expected[13] = 0xff;
		assert.deepEqual(await readBytes(target, 'patch'), expected);
		assert.deepEqual(Object.values(await keysUnder(target)), [SEGMENT, SEGMENT, 50], 'the segments keep their sizes');
		await assert.rejects(target.overwriteAt('patch', 2 * SEGMENT + 45, patch), RangeError);
		await assert.rejects(target.overwriteAt('missing', 0, patch), {code: 'ARTIFACT_MISSING'});
		await target.seal('patch');
		await assert.rejects(target.overwriteAt('patch', 0, patch), {code: 'ARTIFACT_SEALED'});
	});

	test('seal of a small artifact makes it one object and removes the segments; sealing again does nothing', async () => {
		const target = fresh();
		const data = randomBytes(SEGMENT - 10);
		await written(target, 'small.000001', data);
		const before = await target.stat('small.000001');
		await target.seal('small.000001');
		assert.deepEqual(await keysUnder(target), {'small.000001': data.length});
		assert.deepEqual(await objectBytes(look, target.keyOf('small.000001')), data);
		assert.equal(putsOf(target.keyOf('small.000001')), 1);
		const after = await target.stat('small.000001');
		assert.equal(after?.bytes, before?.bytes);
		assert.deepEqual((await target.list()).map((artifact) => [artifact.name, artifact.bytes]), [['small.000001', data.length]]);
		assert.deepEqual(await readBytes(target, 'small.000001'), data);
		await target.seal('small.000001');
		assert.equal(putsOf(target.keyOf('small.000001')), 1);
		await target.seal('never-written');
	});

	test('seal of an artifact larger than a segment streams it into a multipart upload', async () => {
		const target = fresh(MIB);
		const {data} = randomStream(11 * MIB + 3);
		await written(target, 'large.000001', data);
		assert.equal(Object.keys(await keysUnder(target)).length, 12);
		await target.seal('large.000001');
		assert.deepEqual(await keysUnder(target), {'large.000001': data.length});
		assert.equal(sha256(await objectBytes(look, target.keyOf('large.000001'))), sha256(data));
		const operations = proxy.requests.filter((request) => request.path === `/${s3.bucket}/${target.keyOf('large.000001')}`).map((request) => request.operation);
		assert.deepEqual(
			operations.filter((operation) => operation !== 'UploadPart' && operation !== 'HeadObject'),
			['CreateMultipartUpload', 'CompleteMultipartUpload'],
		);
		assert.equal(operations.filter((operation) => operation === 'UploadPart').length, 3);
		assert.equal(sha256(await readBytes(target, 'large.000001')), sha256(data));
	});

	test('seal after a crash between the upload and the deletes only deletes the stale segments; the object wins meanwhile', async () => {
		const target = fresh();
		const data = randomBytes(2 * SEGMENT + 3);
		await written(target, 'crash', data);
		await look.send(new PutObjectCommand({Bucket: s3.bucket, Key: target.keyOf('crash'), Body: data}));
		assert.deepEqual((await target.list()).map((artifact) => [artifact.name, artifact.bytes]), [['crash', data.length]], 'stale segments are not listed');
		await assert.rejects(target.openAppend('crash', {create: 'existing'}), {code: 'ARTIFACT_SEALED'});
		await target.seal('crash');
		assert.deepEqual(await keysUnder(target), {crash: data.length});
		assert.equal(putsOf(target.keyOf('crash')), 0, 'not uploaded again');
		assert.deepEqual(await readBytes(target, 'crash'), data);
	});

	test('seal as another name: the segments become that object (X.partial becomes X); again, or after a crash before the deletes, nothing is uploaded twice; another object of that name is never replaced', async () => {
		const target = fresh();
		const data = randomBytes(2 * SEGMENT + 5);
		await written(target, 'seg.partial', data);
		await target.seal('seg.partial', {as: 'seg'});
		assert.deepEqual(await keysUnder(target), {seg: data.length});
		assert.deepEqual(await readBytes(target, 'seg'), data);
		assert.equal(await target.stat('seg.partial'), undefined);
		await target.seal('seg.partial', {as: 'seg'});
		assert.equal(putsOf(target.keyOf('seg')), 1);
		// a crash between the upload and the deletes: the object is there, the segments too
		await written(target, 'again.partial', data);
		await look.send(new PutObjectCommand({Bucket: s3.bucket, Key: target.keyOf('again'), Body: data}));
		await target.seal('again.partial', {as: 'again'});
		assert.equal(putsOf(target.keyOf('again')), 0, 'not uploaded again');
		assert.equal(await target.stat('again.partial'), undefined);
		// an object of that name and another size is another artifact
		await written(target, 'other.partial', data);
		await target.put('other', Buffer.from('something else'));
		await assert.rejects(target.seal('other.partial', {as: 'other'}), {code: 'ARTIFACT_EXISTS'});
		assert.deepEqual(await readBytes(target, 'other'), Buffer.from('something else'));
		assert.deepEqual(await readBytes(target, 'other.partial'), data, 'the segments are kept');
	});

	test('delete removes the segments (and an object of the name); a missing name is no error', async () => {
		const target = fresh();
		await written(target, 'gone', randomBytes(3 * SEGMENT));
		await written(target, 'kept', Buffer.from('kept'));
		await target.delete('gone');
		await target.delete('gone');
		assert.deepEqual(Object.keys(await keysUnder(target)), ['kept.segments/0000000000000000']);
		assert.equal(await target.stat('gone'), undefined);
		await written(target, 'both', Buffer.from('segments'));
		await target.put('both', Buffer.from('object'));
		await target.delete('both');
		assert.equal(await objectExists(look, target.keyOf('both')), false);
		assert.deepEqual(Object.keys(await keysUnder(target)), ['kept.segments/0000000000000000']);
	});

	test('the leftover sweep leaves segments alone, however old they look (their listing answered by our proxy)', async () => {
		const target = fresh();
		await written(target, 'mysql-bin.000007', randomBytes(SEGMENT + 1));
		// a name the scratch sweep would take for a spill, its segments a week old
		const spillLike = '.x.tar.spill-1-0-ab12';
		await written(target, spillLike, Buffer.from('binlog bytes'));
		const old = new Date(Date.now() - 7 * DEAD_UPLOAD_AGE_MS).toISOString();
		const listing = `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult><Name>${s3.bucket}</Name><KeyCount>1</KeyCount><IsTruncated>false</IsTruncated><Contents><Key>${segmentKey(target, spillLike, 0)}</Key><LastModified>${old}</LastModified><Size>12</Size></Contents></ListBucketResult>`;
		proxy.addRule({operation: 'ListObjectsV2', match: (request) => request.query.prefix === `${target.keyOf(spillLike)}.segments/`, fault: {kind: 'respond', status: 200, body: listing}});
		assert.equal((await target.stat(spillLike))?.modifiedAt.toISOString(), old);
		const {bus, events} = recordingBus();
		assert.deepEqual(await target.removeDeadLeftovers(bus), []);
		assert.deepEqual(events, []);
		assert.equal(Object.keys(await keysUnder(target)).length, 3);
		assert.equal(proxy.requestsOf('DeleteObject').filter((request) => request.path.startsWith(`/${s3.bucket}/${target.prefix}`)).length, 0);
	});
});
