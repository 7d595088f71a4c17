import assert from 'node:assert/strict';
import {describe, test} from 'node:test';
import {formatS3Url, parseS3Url} from '../../../source/storage/s3/url.ts';

describe('s3:// URLs', () => {
	test('split into the bucket and the key or prefix', () => {
		assert.deepEqual(parseS3Url('s3://backups/shop/2026/shop.tar'), {bucket: 'backups', key: 'shop/2026/shop.tar'});
		assert.deepEqual(parseS3Url('s3://backups/shop/'), {bucket: 'backups', key: 'shop/'});
		assert.deepEqual(parseS3Url('s3://backups'), {bucket: 'backups', key: ''});
		assert.deepEqual(parseS3Url('S3://my.bucket-1/a b/ü?#.tar'), {bucket: 'my.bucket-1', key: 'a b/ü?#.tar'});
		assert.equal(formatS3Url('backups', 'shop/shop.tar'), 's3://backups/shop/shop.tar');
	});

	for (const [url, problem] of [
		['s3://', 'no bucket name after s3://'],
		['s3:///shop/a.tar', 'no bucket name after s3://'],
		['s3://a/x', '"a" is not a bucket name (3 to 63 letters, digits, dots and hyphens)'],
		['s3://bad bucket/x', '"bad bucket" is not a bucket name (3 to 63 letters, digits, dots and hyphens)'],
		['s3://-dash/x', '"-dash" is not a bucket name (3 to 63 letters, digits, dots and hyphens)'],
		['s3://bucket/a\nb', 'the path holds a control character'],
		[`s3://bucket/${'k'.repeat(1025)}`, "the path is longer than S3's 1024 bytes"],
		['https://bucket/x', 'not an s3:// URL'],
		['s3:/bucket/x', 'not an s3:// URL'],
	]) {
		test(`${JSON.stringify(url.slice(0, 40))} is refused: ${problem}`, () => {
			assert.throws(() => parseS3Url(url), {name: 'UsageError', code: 'S3_URL_INVALID', exitCode: 2, message: `${url}: ${problem}`});
		});
	}
});
