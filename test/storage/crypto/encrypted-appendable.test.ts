import assert from 'node:assert/strict';
import {randomBytes} from 'node:crypto';
import {mkdirSync, readdirSync, readFileSync, statSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {after, before, test} from 'node:test';
import {segmentNameOf} from '../../../source/storage/crypto/encrypted-appendable.ts';
import {LocalDirectoryTarget} from '../../../source/storage/target/local-directory.ts';
import type {ArtifactTarget} from '../../../source/storage/target/types.ts';
import {tempDir, type TempDir} from '../helpers.ts';
import {appendAll, BINLOG, encryptedAppendableCases, readAll, SEGMENT, segmentsOf, written} from './encrypted-appendable-cases.ts';

let dir: TempDir;
let count = 0;

before(() => {
	dir = tempDir();
});

after(() => dir.remove());

/** Every file under `root`, subdirectories and temporary files included. */
function filesUnder(root: string): Map<string, Buffer> {
	const found = new Map<string, Buffer>();
	for (const entry of readdirSync(root, {recursive: true, encoding: 'utf8'})) {
		const file = path.join(root, entry);
		if (statSync(file).isFile()) found.set(entry, readFileSync(file));
	}
	return found;
}

encryptedAppendableCases({
	label: 'a local directory',
	async fresh() {
		const root = dir.at(`t${count++}`);
		mkdirSync(root);
		return new LocalDirectoryTarget(root);
	},
	async storedBytes(inner: ArtifactTarget) {
		return filesUnder((inner as LocalDirectoryTarget).root);
	},
	extra(open) {
		test('segments are flat files beside the artifact, 0600, and a put stopped half-way (a `.partial` left by kill -9) does not block the next sync or seal', async () => {
			const root = dir.at(`t${count++}`);
			mkdirSync(root);
			const inner = new LocalDirectoryTarget(root);
			const target = open(inner);
			const data = randomBytes(2 * SEGMENT + 10);
			const file = await target.openAppend(BINLOG, {create: 'new'});
			await appendAll(file, data.subarray(0, SEGMENT + 5));
			await file.sync();
			assert.deepEqual(readdirSync(root).sort(), [`.${BINLOG}.eseg-0000000000000000`, `.${BINLOG}.eseg-${String(SEGMENT).padStart(16, '0')}`]);
			for (const name of readdirSync(root)) assert.equal(statSync(path.join(root, name)).mode & 0o777, 0o600, name);
			writeFileSync(path.join(root, `${segmentNameOf(BINLOG, SEGMENT)}.partial`), 'half a put');
			await appendAll(file, data.subarray(SEGMENT + 5));
			await file.sync();
			await file.close();
			assert.ok((await readAll(target, BINLOG)).equals(data));
			writeFileSync(path.join(root, `${BINLOG}.partial`), 'half a seal');
			await target.seal(BINLOG);
			assert.deepEqual(readdirSync(root), [BINLOG]);
			assert.equal(statSync(path.join(root, BINLOG)).mode & 0o777, 0o600);
			assert.ok((await readAll(target, BINLOG)).equals(data));
		});

		test('a binlog written without encryption is refused, not continued encrypted', async () => {
			const root = dir.at(`t${count++}`);
			mkdirSync(root);
			const inner = new LocalDirectoryTarget(root);
			const plain = await inner.openAppend(BINLOG, {create: 'new'});
			await plain.write(Buffer.from('\xfebinlog', 'latin1'));
			await plain.close();
			const target = open(inner);
			await assert.rejects(target.openAppend(BINLOG, {create: 'existing'}), (error: Error & {code?: string}) => {
				assert.equal(error.code, 'ARTIFACT_SEALED');
				assert.match(error.message, /was written without encryption; it cannot grow encrypted/);
				return true;
			});
			assert.deepEqual(await segmentsOf(inner, BINLOG), []);
			// it still reads as it is
			assert.equal((await readAll(target, BINLOG)).toString('latin1'), '\xfebinlog');
			await written(target, 'mysql-bin.000002', Buffer.from('abcd'));
			assert.equal((await target.stat('mysql-bin.000002'))?.bytes, 4);
		});
	},
});
