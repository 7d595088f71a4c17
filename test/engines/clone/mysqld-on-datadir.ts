/**
 * A throwaway mysqld of the harness's MySQL binaries on a directory a clone wrote (or a restore of its
 * archive): the product's own starter (source/sandbox/mysqld-on-datadir.ts: a private socket, grant
 * tables skipped), with the binary log and GTIDs on as on the donor. For tests that read what such a
 * directory holds.
 */
import {chown, mkdtemp, rm, stat} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import type {Connection} from 'mysql2/promise';
import {mysqlProgram, mysqlTreeOptions, startMysqldOnDataDirectory} from '../../../source/sandbox/index.ts';

export interface MysqldOnDirectory {
	/** root over the private socket */
	connect(): Promise<Connection>;
	stop(): Promise<void>;
}

export async function startMysqldOn(root: string, datadir: string): Promise<MysqldOnDirectory> {
	const work = await mkdtemp(join(tmpdir(), 'dbbackup-clone-test-mysqld-'));
	// the server runs as the directory's owner (root for a clone the sandbox's root-run server wrote)
	const owner = await stat(datadir);
	if (process.getuid?.() === 0) await chown(work, owner.uid, owner.gid);
	try {
		const server = await startMysqldOnDataDirectory({
			flavor: 'mysql',
			program: mysqlProgram(root, 'mysqld'),
			programOptions: mysqlTreeOptions(root),
			datadir,
			workDir: work,
			osUser: owner.uid === 0 ? 'root' : 'mysql',
			binlogBasename: 'restored-bin',
			gtid: true,
			startTimeoutMs: 120_000,
			log: () => undefined,
		});
		return {
			connect: () => server.connect(),
			async stop() {
				await server.stop();
				await rm(work, {recursive: true, force: true});
			},
		};
	} catch (error) {
		await rm(work, {recursive: true, force: true});
		throw error;
	}
}
