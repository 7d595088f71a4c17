import assert from 'node:assert/strict';
import {readFile} from 'node:fs/promises';
import {createRequire} from 'node:module';
import {describe, test} from 'node:test';
import {binlogDumpGtidPayload, binlogDumpPayload, COM_BINLOG_DUMP_GTID} from '../../../source/binlog/protocol/commands.ts';
import {DumpCommand} from '../../../source/binlog/protocol/dump-command.ts';
import {coreConnection} from '../../../source/binlog/protocol/mysql2-internals.ts';
import {readEventHeader} from '../../../source/binlog/event/header.ts';
import {EventType} from '../../../source/binlog/event/types.ts';
import {mariadbConnection} from '../../harness/db.ts';

describe('mysql2 internals the replication client relies on (contract)', () => {
	test('package.json pins mysql2 exactly, and the installed version is that one', async () => {
		const manifest = JSON.parse(await readFile(new URL('../../../package.json', import.meta.url), 'utf8')) as {dependencies: Record<string, string>};
		const pinned = manifest.dependencies.mysql2!;
		assert.match(pinned, /^\d+\.\d+\.\d+$/, 'an exact version, no range');
		const installed = (createRequire(import.meta.url)('mysql2/package.json') as {version: string}).version;
		assert.equal(installed, pinned);
	});

	test('a connection exposes addCommand, writePacket, _resetSequenceId, pause and resume, and a queued dump command gets real events', async () => {
		const connection = await mariadbConnection();
		try {
			const core = coreConnection(connection);
			for (const name of ['addCommand', 'writePacket', '_resetSequenceId', 'pause', 'resume', 'destroy'] as const) {
				assert.equal(typeof core[name], 'function', `connection.${name}`);
			}
			await connection.query('SET @master_binlog_checksum = @@global.binlog_checksum');
			const [status] = await connection.query('SHOW MASTER STATUS');
			const {File: file, Position: position} = (status as Array<{File: string; Position: number}>)[0]!;
			// non-blocking from the current end: the server sends its fake ROTATE and the format description, then EOF
			const types = await new Promise<number[]>((resolve, reject) => {
				const seen: number[] = [];
				core.addCommand(
					new DumpCommand(binlogDumpPayload({serverId: 61_001, file, position: Number(position), nonBlocking: true}), {
						onEvent: (event) => seen.push(readEventHeader(event).type),
						onEnd: () => resolve(seen),
						onError: reject,
					}),
				);
			});
			assert.deepEqual(types.slice(0, 2), [EventType.ROTATE, EventType.FORMAT_DESCRIPTION]);
		} finally {
			await connection.end();
		}
	});
});

describe('replication command packets', () => {
	test('COM_BINLOG_DUMP: position, flags, server id, file name', () => {
		const payload = binlogDumpPayload({serverId: 7, file: 'bin.000002', position: 1234, nonBlocking: true, sendAnnotateRows: true});
		assert.equal(payload[0], 0x12);
		assert.equal(payload.readUInt32LE(1), 1234);
		assert.equal(payload.readUInt16LE(5), 0x03);
		assert.equal(payload.readUInt32LE(7), 7);
		assert.equal(payload.subarray(11).toString(), 'bin.000002');
	});

	test('COM_BINLOG_DUMP_GTID (MySQL layout, byte-checked; no MySQL server here): flags, server id, empty name, position 4, the encoded set', () => {
		const payload = binlogDumpGtidPayload({serverId: 9, gtidSet: [{uuid: '3e11fa47-71ca-11e1-9e33-c80aa9429562', intervals: [{start: 1n, end: 8n}]}]});
		assert.equal(payload[0], COM_BINLOG_DUMP_GTID);
		assert.equal(payload.readUInt16LE(1), 0x04);
		assert.equal(payload.readUInt32LE(3), 9);
		assert.equal(payload.readUInt32LE(7), 0);
		assert.equal(payload.readBigUInt64LE(11), 4n);
		const size = payload.readUInt32LE(19);
		const set = payload.subarray(23);
		assert.equal(set.length, size);
		assert.equal(set.length, 8 + 16 + 8 + 16);
		assert.equal(set.readBigUInt64LE(0), 1n);
		assert.equal(set.subarray(8, 24).toString('hex'), '3e11fa4771ca11e19e33c80aa9429562');
		assert.equal(set.readBigUInt64LE(24), 1n);
		assert.equal(set.readBigUInt64LE(32), 1n);
		assert.equal(set.readBigUInt64LE(40), 8n);
	});
});
