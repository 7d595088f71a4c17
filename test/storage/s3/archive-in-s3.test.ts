import assert from 'node:assert/strict';
import {randomBytes} from 'node:crypto';
import {before, describe, test} from 'node:test';
import {EventBus} from '../../../source/core/events.ts';
import {createArchiveWriter} from '../../../source/storage/archive/writer.ts';
import {openArchive} from '../../../source/storage/archive/reader.ts';
import {rawKeySource} from '../../../source/storage/crypto/key.ts';
import type {StorageOptions} from '../../../source/storage/target/index.ts';
import {collect, dumpText, manifestFields} from '../helpers.ts';
import {FAST_RETRY, inspector, MIB, objectBytes, s3, uniquePrefix, useTestCredentials} from './helpers.ts';
import {ListObjectsV2Command} from '@aws-sdk/client-s3';

/*
 * The archive writer and reader over the S3 target, as every engine uses them: members larger than the
 * writer's memory spill to scratch objects beside the archive (never to local disk), and the archive
 * reads back member by member with ranged GETs, encrypted or not.
 */

async function keysUnder(prefix: string): Promise<string[]> {
	const answer = await inspector().send(new ListObjectsV2Command({Bucket: s3.bucket, Prefix: prefix}));
	return (answer.Contents ?? []).map((object) => object.Key!).sort();
}

const storage = (extra: StorageOptions = {}): StorageOptions => ({s3: {endpoint: s3.endpoint, region: s3.region, partSize: 5 * MIB, workers: 2}, s3Target: {retry: FAST_RETRY}, ...extra});

before(() => useTestCredentials());

describe('an archive in S3', () => {
	for (const encrypted of [false, true]) {
		test(`${encrypted ? 'encrypted: ' : ''}members above the spill threshold go through scratch objects, not local disk (TMPDIR points nowhere); the scratch objects are gone at the end and every member reads back`, async () => {
			const prefix = uniquePrefix('spill');
			const url = `s3://${s3.bucket}/${prefix}a.tar`;
			const options = storage(encrypted ? {encryption: rawKeySource(randomBytes(32))} : {});
			const savedTmp = process.env.TMPDIR;
			process.env.TMPDIR = '/nonexistent/dbbackup-no-local-disk';
			const contents = new Map<string, Buffer>([
				['data/a/big.00001.sql', Buffer.concat([dumpText(3 * MIB), randomBytes(7 * MIB)])],
				['data/a/small.00001.sql', dumpText(100_000)],
				['data/a/big.00002.sql', randomBytes(6 * MIB)],
				['data/a/empty.00001.sql', Buffer.alloc(0)],
			]);
			const spilled: string[] = [];
			try {
				const bus = new EventBus();
				bus.on('log', (event) => {
					if (event.fields?.spilled === true) spilled.push(event.message);
				});
				const writer = await createArchiveWriter({path: url, storage: options, bus, compression: 'zstd', concurrency: 2, spillThreshold: 1 * MIB});
				await Promise.all([...contents].map(([name, data]) => writer.addMember(name, data)));
				await writer.finish(manifestFields());
			} finally {
				if (savedTmp === undefined) delete process.env.TMPDIR;
				else process.env.TMPDIR = savedTmp;
			}
			assert.deepEqual(spilled.sort(), ['archived data/a/big.00001.sql.zst', 'archived data/a/big.00002.sql.zst'], 'the two big members spilled');
			assert.deepEqual(await keysUnder(prefix), [`${prefix}a.tar`, `${prefix}a.tar.meta.json`], 'no scratch object is left');
			const archive = await openArchive(url, options);
			for (const [name, data] of contents) {
				const member = archive.manifest.members.find((candidate) => candidate.path.startsWith(name))!;
				assert.ok(member, `${name} is in the manifest`);
				assert.ok((await collect(archive.readMember(member.path))).equals(data), `${name} reads back equal`);
			}
			const stored = await objectBytes(inspector(), `${prefix}a.tar`);
			assert.equal(stored.includes(Buffer.from('data/a/big.00001.sql')), !encrypted, encrypted ? 'member names are not readable' : 'a plain tar shows its member names');
		});
	}
});
