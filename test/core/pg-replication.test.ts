/**
 * The contract of source/core/pg-replication with the pinned `pg` and a real PostgreSQL 15: replication
 * commands on a walsender connection, their result sets, a BASE_BACKUP's CopyOut messages and a
 * START_REPLICATION's CopyBoth, an error that leaves the connection usable, and LSN/segment names.
 */
import assert from 'node:assert/strict';
import {after, before, describe, test} from 'node:test';
import type pg from 'pg';
import type {ConnectionSettings} from '../../source/core/connection-settings.ts';
import {formatLsn, parseLsn, parseSegmentFileName, segmentFileName, segmentOf} from '../../source/core/pg-replication/lsn.ts';
import {ReplicationSession} from '../../source/core/pg-replication/session.ts';
import {postgresSuperuserClient} from '../harness/db.ts';
import {getTestServers} from '../harness/servers.ts';

function superuser(): ConnectionSettings {
	const {postgres} = getTestServers();
	return {dbType: 'postgres', socket: postgres.socketDir, port: postgres.port, user: postgres.superuser};
}

describe('pg-replication: replication commands through the pinned pg', () => {
	let sql: pg.Client;
	before(async () => {
		sql = await postgresSuperuserClient();
	});
	after(async () => {
		await sql.end();
	});

	test('LSNs and segment file names as the server writes them', () => {
		assert.equal(parseLsn('16/B374D848'), 0x16b374d848n);
		assert.equal(formatLsn(0x16b374d848n), '16/B374D848');
		assert.equal(formatLsn(0n), '0/0');
		assert.equal(segmentFileName(1, segmentOf(parseLsn('0/3000028'), 16 * 1024 * 1024), 16 * 1024 * 1024), '000000010000000000000003');
		assert.equal(segmentFileName(2, segmentOf(parseLsn('1/FF000000'), 16 * 1024 * 1024), 16 * 1024 * 1024), '0000000200000001000000FF');
		assert.deepEqual(parseSegmentFileName('0000000200000001000000FF', 16 * 1024 * 1024), {timeline: 2, segment: 0x1ffn});
		assert.throws(() => parseLsn('16-B3'), /not a WAL position/);
	});

	test('IDENTIFY_SYSTEM, an error, then a command again on the same connection', async () => {
		const session = await ReplicationSession.open(superuser());
		try {
			const system = await session.identifySystem();
			assert.match(system.systemId, /^\d+$/);
			assert.equal(system.timeline, 1);
			assert.ok(parseLsn(system.xlogpos) > 0n);
			await assert.rejects(session.command('DROP_REPLICATION_SLOT no_such_slot_here'), /does not exist/);
			assert.equal((await session.identifySystem()).systemId, system.systemId);
		} finally {
			await session.end();
		}
	});

	test('BASE_BACKUP: the CopyOut\'s archive, data, progress and manifest messages, then the end position', async () => {
		const session = await ReplicationSession.open(superuser());
		const kinds = new Map<string, number>();
		let bytes = 0;
		let manifest = '';
		// in PostgreSQL 15 the data messages after 'm' are the manifest's
		let inManifest = false;
		try {
			const sets = await session.command("BASE_BACKUP (LABEL 'contract', PROGRESS, CHECKPOINT 'fast', MANIFEST 'yes', MANIFEST_CHECKSUMS 'SHA256')", {
				onCopyData: (payload) => {
					const kind = String.fromCharCode(payload[0]!);
					kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
					if (kind === 'm') inManifest = true;
					if (kind === 'd' && inManifest) manifest += payload.subarray(1).toString('utf8');
					else if (kind === 'd') bytes += payload.length - 1;
					// a slow consumer: the reading waits for it
					return kind === 'd' && kinds.get('d') === 3 ? new Promise((resolve) => setTimeout(resolve, 50)) : undefined;
				},
			});
			// the start position and the tablespaces, then the end position
			assert.deepEqual(sets[0]!.columns, ['recptr', 'tli']);
			assert.ok(parseLsn(sets[0]!.rows[0]![0]!) > 0n);
			assert.deepEqual(sets.at(-1)!.columns, ['recptr', 'tli']);
			assert.ok(kinds.get('n')! >= 1, 'a new archive');
			assert.ok(kinds.get('d')! > 10, 'data');
			assert.ok(kinds.get('p')! >= 1, 'progress');
			assert.ok(bytes > 10_000_000, `the tar of the cluster (${bytes} bytes)`);
			assert.match(manifest, /"PostgreSQL-Backup-Manifest-Version": 1/);
			assert.match(manifest, /"Manifest-Checksum": "[0-9a-f]{64}"/);
		} finally {
			await session.end();
		}
	});

	test('START_REPLICATION: XLogData and keepalives in a CopyBoth, a standby status update, the client ending the copy', async () => {
		const slot = `contract_${process.pid}`;
		const session = await ReplicationSession.open(superuser(), 'physical');
		try {
			await session.command(`CREATE_REPLICATION_SLOT ${slot} PHYSICAL RESERVE_WAL`);
			const start = (await session.identifySystem()).xlogpos;
			await sql.query('CREATE TABLE IF NOT EXISTS replication_contract (v text)');
			await sql.query("INSERT INTO replication_contract SELECT 'row ' || g FROM generate_series(1, 1000) g");
			let received = 0n;
			let sent = false;
			let started: 'out' | 'both' | undefined;
			await session.command(`START_REPLICATION SLOT ${slot} PHYSICAL ${start}`, {
				onCopyStart: (kind) => {
					started = kind;
				},
				onCopyData: (payload) => {
					if (payload[0] === 0x77) {
						// 'w': start LSN, end LSN, send time, then the WAL bytes
						const from = payload.readBigUInt64BE(1);
						const data = payload.length - 25;
						received = from + BigInt(data);
					}
					if (received > parseLsn(start) + 1000n && !sent) {
						sent = true;
						const status = Buffer.alloc(34);
						status[0] = 0x72; // 'r'
						status.writeBigUInt64BE(received, 1);
						status.writeBigUInt64BE(received, 9);
						status.writeBigUInt64BE(0n, 17);
						status.writeBigInt64BE(0n, 25);
						status[33] = 0;
						session.sendCopyData(status);
						session.endCopy();
					}
				},
			});
			assert.equal(started, 'both');
			assert.ok(sent, 'WAL arrived and the status went out');
			const {rows} = await sql.query<{restart_lsn: string}>('SELECT restart_lsn::text FROM pg_replication_slots WHERE slot_name = $1', [slot]);
			assert.ok(parseLsn(rows[0]!.restart_lsn) > parseLsn(start), 'the slot advanced to what we said is flushed');
		} finally {
			await session.command(`DROP_REPLICATION_SLOT ${slot}`).catch(() => undefined);
			await session.end();
			await sql.query('DROP TABLE IF EXISTS replication_contract');
		}
	});
});
