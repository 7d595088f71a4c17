import assert from 'node:assert/strict';
import {PutObjectCommand} from '@aws-sdk/client-s3';
import {after, before, describe, test} from 'node:test';
import {UsageError} from '../../../source/core/errors.ts';
import {readBytes} from '../../../source/storage/target/read-bytes.ts';
import {DEAD_UPLOAD_AGE_MS, S3Target, s3DirectoryTarget, s3TargetFor} from '../../../source/storage/s3/target.ts';
import {recordingBus} from '../../harness/recording-bus.ts';
import {startS3FaultProxy, type S3FaultProxy} from '../../harness/s3-fault-proxy.ts';
import {collect} from '../helpers.ts';
import {FAST_RETRY, inspector, MIB, objectBytes, objectExists, randomStream, s3, sha256, testConnection, testSettings, uniquePrefix, useTestCredentials} from './helpers.ts';

useTestCredentials();
const look = inspector();
let proxy: S3FaultProxy;
const targets: S3Target[] = [];

before(async () => {
	proxy = await startS3FaultProxy(s3.endpoint);
});

after(async () => {
	for (const target of targets) target.connection.client.destroy();
	look.destroy();
	await proxy.close();
});

/** A target over a fresh prefix, through the proxy (which only records unless a test adds a rule). */
function fresh(label = 'tgt'): S3Target {
	const target = new S3Target(testConnection(proxy.endpoint), s3.bucket, uniquePrefix(label), {partSize: 5 * MIB, workers: 2, retry: FAST_RETRY});
	targets.push(target);
	return target;
}

function requestsFor(target: S3Target, name: string) {
	return proxy.requests.filter((request) => request.path === `/${s3.bucket}/${target.keyOf(name)}`);
}

describe('a partial artifact in S3 (requests recorded by our proxy)', () => {
	test('is a multipart upload that becomes the object only at commit', async () => {
		const target = fresh();
		const {data, chunks} = randomStream(12 * MIB);
		const partial = await target.openPartial('a.tar');
		assert.equal(partial.location, `s3://${s3.bucket}/${target.prefix}a.tar (multipart upload, not yet complete)`);
		for (const chunk of chunks) await partial.write(chunk);
		assert.equal(await target.stat('a.tar'), undefined);
		assert.deepEqual(await target.list(), []);
		await partial.commit();
		await partial.release();
		const stat = await target.stat('a.tar');
		assert.equal(stat?.bytes, data.length);
		assert.equal(sha256(await objectBytes(look, target.keyOf('a.tar'))), sha256(data));
		assert.deepEqual(
			requestsFor(target, 'a.tar').map((request) => request.operation).filter((operation) => operation !== 'UploadPart'),
			// open looks for the name, the first full part starts the upload, the test looks, commit looks again
			['HeadObject', 'CreateMultipartUpload', 'HeadObject', 'HeadObject', 'CompleteMultipartUpload', 'HeadObject'],
		);
		const create = requestsFor(target, 'a.tar').find((request) => request.operation === 'CreateMultipartUpload');
		assert.equal(create?.headers['content-type'], 'application/x-tar');
	});

	test('an existing name is refused at open with ARTIFACT_EXISTS, unless replace, which commit honours', async () => {
		const target = fresh();
		await target.put('a.sql', Buffer.from('old'));
		const url = `s3://${s3.bucket}/${target.prefix}a.sql`;
		await assert.rejects(target.openPartial('a.sql'), {name: 'UsageError', code: 'ARTIFACT_EXISTS', exitCode: 2, message: `${url} already exists; dbbackup does not overwrite a backup`});
		const partial = await target.openPartial('a.sql', {replace: true});
		await partial.write(Buffer.from('new'));
		await partial.commit();
		assert.equal((await objectBytes(look, target.keyOf('a.sql'))).toString(), 'new');
	});

	test('commit refuses a name that appeared meanwhile, leaves that object as it is and aborts the upload', async () => {
		const target = fresh();
		const {chunks} = randomStream(7 * MIB);
		const partial = await target.openPartial('a.tar');
		for (const chunk of chunks) await partial.write(chunk);
		await look.send(new PutObjectCommand({Bucket: s3.bucket, Key: target.keyOf('a.tar'), Body: 'theirs'}));
		await assert.rejects(partial.commit(), (error: unknown) => {
			assert.ok(error instanceof UsageError);
			assert.equal(error.code, 'ARTIFACT_EXISTS');
			assert.equal(error.message, `s3://${s3.bucket}/${target.prefix}a.tar appeared while this backup was written; it was left as it is; dbbackup does not overwrite a backup`);
			return true;
		});
		await partial.abort();
		assert.equal((await objectBytes(look, target.keyOf('a.tar'))).toString(), 'theirs');
		const operations = requestsFor(target, 'a.tar').map((request) => request.operation);
		assert.equal(operations.filter((operation) => operation === 'AbortMultipartUpload').length, 1);
		assert.ok(!operations.includes('CompleteMultipartUpload'));
	});

	test('a conditional Complete refused 412 (the name taken after the last look) is ARTIFACT_EXISTS and the upload is aborted (412 answered by our proxy, as AWS answers If-None-Match)', async () => {
		const target = fresh();
		proxy.addRule({operation: 'CompleteMultipartUpload', match: (request) => request.path.endsWith(`${target.prefix}a.tar`), fault: {kind: 'error', status: 412, code: 'PreconditionFailed'}});
		const partial = await target.openPartial('a.tar');
		for (const chunk of randomStream(6 * MIB).chunks) await partial.write(chunk);
		await assert.rejects(partial.commit(), {code: 'ARTIFACT_EXISTS', message: `s3://${s3.bucket}/${target.prefix}a.tar appeared while this backup was written; it was left as it is; dbbackup does not overwrite a backup`});
		const requests = requestsFor(target, 'a.tar');
		assert.equal(requests.find((request) => request.operation === 'CompleteMultipartUpload')?.headers['if-none-match'], '*');
		assert.equal(requests.filter((request) => request.operation === 'AbortMultipartUpload').length, 1);
		assert.equal(await objectExists(look, target.keyOf('a.tar')), false);
	});

	test('a server without conditional writes (501 to If-None-Match) gets the Complete without it (501 answered by our proxy)', async () => {
		const target = fresh();
		proxy.addRule({operation: 'CompleteMultipartUpload', match: (request) => request.path.endsWith(`${target.prefix}a.tar`) && request.headers['if-none-match'] !== undefined, fault: {kind: 'error', status: 501, code: 'NotImplemented'}});
		const {data, chunks} = randomStream(6 * MIB);
		const partial = await target.openPartial('a.tar');
		for (const chunk of chunks) await partial.write(chunk);
		await partial.commit();
		assert.equal(sha256(await objectBytes(look, target.keyOf('a.tar'))), sha256(data));
		const completes = requestsFor(target, 'a.tar').filter((request) => request.operation === 'CompleteMultipartUpload');
		assert.deepEqual(
			completes.map((request) => request.headers['if-none-match']),
			['*', undefined],
		);
	});

	test('abort leaves nothing: no object, the upload aborted; after commit it removes nothing', async () => {
		const target = fresh();
		const {chunks} = randomStream(11 * MIB);
		const partial = await target.openPartial('gone.tar');
		for (const chunk of chunks) await partial.write(chunk);
		await partial.abort();
		await partial.abort();
		assert.equal(await target.stat('gone.tar'), undefined);
		assert.deepEqual(await target.list(), []);
		assert.equal(requestsFor(target, 'gone.tar').filter((request) => request.operation === 'AbortMultipartUpload').length, 1);
		await assert.rejects(partial.commit(), {code: 'ARTIFACT_NOT_OPEN'});

		const kept = await target.openPartial('kept.tar');
		await kept.write(Buffer.from('kept'));
		await kept.commit();
		await kept.abort();
		assert.equal((await objectBytes(look, target.keyOf('kept.tar'))).toString(), 'kept');
	});
});

describe('put, list, stat, readRange, delete (requests recorded by our proxy)', () => {
	test('work on names relative to the prefix, and list like a directory', async () => {
		const target = fresh();
		const {data} = randomStream(3 * MIB + 17);
		await target.put('shop.tar', data);
		await target.put('shop.tar.meta.json', Buffer.from('{}'));
		await target.put('other.sql', Buffer.from('select 1;'));
		await look.send(new PutObjectCommand({Bucket: s3.bucket, Key: `${target.prefix}nested/deeper.tar`, Body: 'not ours'}));
		const put = requestsFor(target, 'shop.tar.meta.json')[0]!;
		assert.equal(put.operation, 'PutObject');
		assert.ok(put.headers['content-md5']);
		assert.equal(put.headers['content-type'], 'application/json');

		const names = (await target.list()).map((item) => item.name).sort();
		assert.deepEqual(names, ['other.sql', 'shop.tar', 'shop.tar.meta.json']);
		assert.deepEqual((await target.list('shop')).map((item) => item.name).sort(), ['shop.tar', 'shop.tar.meta.json']);
		const stat = await target.stat('shop.tar');
		assert.equal(stat?.name, 'shop.tar');
		assert.equal(stat?.bytes, data.length);
		assert.ok(stat!.modifiedAt.getTime() > Date.now() - 3_600_000);
		assert.equal(await target.stat('missing.tar'), undefined);

		assert.deepEqual(await collect(target.readRange('shop.tar', 0)), data);
		assert.deepEqual(await readBytes(target, 'shop.tar', 1000, 2_000_017), data.subarray(1000, 2_000_017));
		assert.equal((await collect(target.readRange('shop.tar', 10, 10))).length, 0);

		await target.put('other.sql', Buffer.from('replaced'));
		assert.equal((await readBytes(target, 'other.sql')).toString(), 'replaced');
		await target.delete('other.sql');
		await target.delete('other.sql');
		assert.equal(await objectExists(look, target.keyOf('other.sql')), false);
		assert.equal(target.describe('x.tar'), `s3://${s3.bucket}/${target.prefix}x.tar`);
		assert.equal(target.localPath(), undefined);
		await target.checkBucket();
	});

	test('a listing longer than one page is read to its end', async () => {
		const target = fresh();
		for (let index = 0; index < 1005; index++) await look.send(new PutObjectCommand({Bucket: s3.bucket, Key: `${target.prefix}n${index}.sql`, Body: ''}));
		assert.equal((await target.list()).length, 1005);
		assert.ok(proxy.requestsOf('ListObjectsV2').filter((request) => request.query.prefix === target.prefix && request.query['continuation-token']).length >= 1);
	});

	test('s3TargetFor splits an object URL into the prefix target and the name; s3DirectoryTarget takes a prefix', async () => {
		const settings = testSettings(proxy.endpoint);
		const {target, name} = s3TargetFor(`s3://${s3.bucket}/a/b/shop.tar`, settings);
		targets.push(target);
		assert.equal(name, 'shop.tar');
		assert.equal(target.prefix, 'a/b/');
		assert.equal(target.describe(name), `s3://${s3.bucket}/a/b/shop.tar`);
		const top = s3TargetFor(`s3://${s3.bucket}/shop.tar`, settings);
		targets.push(top.target);
		assert.equal(top.target.prefix, '');
		assert.throws(() => s3TargetFor(`s3://${s3.bucket}/a/`, settings), {code: 'S3_URL_INVALID', exitCode: 2, message: `s3://${s3.bucket}/a/: names a prefix, not an object`});
		const directory = s3DirectoryTarget(`s3://${s3.bucket}/a/b`, settings);
		targets.push(directory);
		assert.equal(directory.prefix, 'a/b/');
		assert.throws(() => s3DirectoryTarget('s3:///a/', settings), {code: 'S3_URL_INVALID'});
	});
});

describe('leftovers of dead runs (requests recorded by our proxy)', () => {
	test('scratch objects of backups that died more than a day ago are deleted with a warning each; recent ones and other objects are kept (objects listed by our proxy)', async () => {
		const target = fresh();
		const old = new Date(Date.now() - DEAD_UPLOAD_AGE_MS - 60_000).toISOString();
		const recent = new Date(Date.now() - 60_000).toISOString();
		const object = (name: string, modified: string) => `<Contents><Key>${target.prefix}${name}</Key><LastModified>${modified}</LastModified><Size>4096</Size></Contents>`;
		const listing = `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult><Name>${s3.bucket}</Name><Prefix>${target.prefix}.</Prefix><KeyCount>3</KeyCount><IsTruncated>false</IsTruncated>${object('.dead.tar.spill-1-0-ab12', old)}${object('.live.tar.spill-2-0-cd34', recent)}${object('.hidden-but-not-ours', old)}</ListBucketResult>`;
		proxy.addRule({operation: 'ListObjectsV2', match: (request) => request.query.prefix === `${target.prefix}.`, fault: {kind: 'respond', status: 200, body: listing}});
		const {bus, events} = recordingBus();
		const removed = await target.removeDeadLeftovers(bus);
		const url = `s3://${s3.bucket}/${target.prefix}.dead.tar.spill-1-0-ab12`;
		assert.deepEqual(removed, [{path: url, bytes: 4096}]);
		const deletes = proxy.requestsOf('DeleteObject').filter((request) => request.path.startsWith(`/${s3.bucket}/${target.prefix}`));
		assert.deepEqual(deletes.map((request) => request.path), [`/${s3.bucket}/${target.prefix}.dead.tar.spill-1-0-ab12`]);
		const warnings = events.filter((event) => event.type === 'warning');
		assert.equal(warnings.length, 1);
		assert.match(warnings[0]!.type === 'warning' ? warnings[0]!.message : '', /removed the scratch object .*\.dead\.tar\.spill-1-0-ab12 \(4\.0 KiB, written .*\), left by a backup that is no longer running/);
	});

	test('s3rver has no ListMultipartUploads: nothing to sweep', async () => {
		const {bus, events} = recordingBus();
		assert.deepEqual(await fresh().removeDeadLeftovers(bus), []);
		assert.deepEqual(events, []);
	});

	test('uploads started more than a day ago under the prefix are aborted with a warning each; recent ones and deeper ones are kept (uploads listed by our proxy)', async () => {
		const target = fresh();
		const old = new Date(Date.now() - DEAD_UPLOAD_AGE_MS - 60_000).toISOString();
		const recent = new Date(Date.now() - 60_000).toISOString();
		const upload = (key: string, id: string, initiated: string) => `<Upload><Key>${target.prefix}${key}</Key><UploadId>${id}</UploadId><Initiated>${initiated}</Initiated></Upload>`;
		const listing = `<?xml version="1.0" encoding="UTF-8"?><ListMultipartUploadsResult><Bucket>${s3.bucket}</Bucket><IsTruncated>false</IsTruncated>${upload('dead.tar', 'id-dead', old)}${upload('live.tar', 'id-live', recent)}${upload('deeper/dead.tar', 'id-deeper', old)}</ListMultipartUploadsResult>`;
		proxy.addRule({operation: 'ListMultipartUploads', match: (request) => request.query.prefix === target.prefix, fault: {kind: 'respond', status: 200, body: listing}});
		const parts = `<?xml version="1.0" encoding="UTF-8"?><ListPartsResult><IsTruncated>false</IsTruncated><Part><PartNumber>1</PartNumber><Size>${5 * MIB}</Size></Part><Part><PartNumber>2</PartNumber><Size>${MIB}</Size></Part></ListPartsResult>`;
		// s3rver lacks ListParts and AbortMultipartUpload too
		proxy.addRule({operation: 'ListParts', match: (request) => request.query.uploadId === 'id-dead', fault: {kind: 'respond', status: 200, body: parts}});
		proxy.addRule({operation: 'AbortMultipartUpload', match: (request) => request.query.uploadId === 'id-dead', fault: {kind: 'respond', status: 204, body: ''}});
		const {bus, events} = recordingBus();
		const removed = await target.removeDeadLeftovers(bus);
		const url = `s3://${s3.bucket}/${target.prefix}dead.tar`;
		assert.deepEqual(removed, [{path: url, bytes: 6 * MIB}]);
		const aborts = proxy.requestsOf('AbortMultipartUpload').filter((request) => request.path.startsWith(`/${s3.bucket}/${target.prefix}`));
		assert.deepEqual(
			aborts.map((request) => [request.path, request.query.uploadId]),
			[[`/${s3.bucket}/${target.prefix}dead.tar`, 'id-dead']],
		);
		const warnings = events.filter((event) => event.type === 'warning');
		assert.equal(warnings.length, 1);
		assert.equal(warnings[0]!.type === 'warning' && warnings[0]!.code, 'LEFTOVERS_REMOVED');
		assert.match(warnings[0]!.type === 'warning' ? warnings[0]!.message : '', new RegExp(`removed the unfinished upload of ${url} \\(6\\.0 MiB, started ${old}\\), left by a backup that is no longer running`));
	});
});
