import {realpathSync} from 'node:fs';
import {dirname, join} from 'node:path';
import pg from 'pg';
import {isRoot, requireBinary} from '../source/sandbox/debian-packages.ts';
import {startPostgres, type RunningPostgres} from '../source/sandbox/index.ts';
import {runCommand} from '../source/sandbox/run-command.ts';
import type {RowCounts, StepServer} from './run-step.ts';

/**
 * The sandbox starts PostgreSQL with 32 MB of shared buffers and the default 1 GB max_wal_size, sized for
 * tests: a 1 GB restore would then be measured through a checkpoint every few hundred MB. The bench
 * raises both (shared_buffers needs a restart) and spaces time-based checkpoints out. Every tool meets
 * the same server. fsync and synchronous_commit stay on: the sandbox's noFsync is not used.
 */
export const PG_SERVER_SETTINGS = {
	shared_buffers: '1GB',
	max_wal_size: '8GB',
	checkpoint_timeout: '30min',
} as const;

/** Reported with the figures, so a reader sees what the tools ran against. */
const REPORTED_SETTINGS = [
	...Object.keys(PG_SERVER_SETTINGS),
	'fsync',
	'synchronous_commit',
	'full_page_writes',
	'wal_level',
	'maintenance_work_mem',
	'autovacuum',
];

/** PostgreSQL refuses to run as root; the sandbox runs the cluster as this OS user, and so do we. */
const POSTGRES_OS_USER = 'postgres';

export interface PgBenchServer {
	server: RunningPostgres;
	/** the settings as the server reports them after tuning */
	settings: Record<string, string>;
	/** directory of the cluster's own client binaries (pg_dump, pg_restore, psql, pgbench) */
	binDir: string;
	/** a superuser connection over the unix socket to `database` (the caller ends it) */
	superuser(database: string): Promise<pg.Client>;
}

/**
 * The cluster's own bin directory (/usr/lib/postgresql/15/bin on Debian), found through pg_ctl and any
 * symlink to it: PATH's pg_dump may be postgresql-common's wrapper, which picks a version of its own.
 */
export function pgBinDir(): string {
	return dirname(realpathSync(requireBinary({binary: 'pg_ctl', pkg: 'postgresql-15'})));
}

export async function startPgBenchServer(baseDir: string, log: (line: string) => void): Promise<PgBenchServer> {
	const binDir = pgBinDir();
	const server = await startPostgres({log, baseDir, startTimeoutMs: 120_000});
	const superuser = async (database: string) => {
		const client = new pg.Client({host: server.socketDir, port: server.port, user: server.superuser, database});
		await client.connect();
		return client;
	};
	try {
		const admin = await superuser('postgres');
		try {
			for (const [name, value] of Object.entries(PG_SERVER_SETTINGS)) {
				await admin.query(`ALTER SYSTEM SET ${name} = ${admin.escapeLiteral(value)}`);
			}
		} finally {
			await admin.end();
		}
		await restartCluster(binDir, server.datadir, log);
		const settings = await readSettings(await superuser('postgres'));
		for (const [name, value] of Object.entries(PG_SERVER_SETTINGS)) {
			if (settings[name] !== value) {
				throw new Error(`could not set ${name} to ${value} on the bench server (it reports ${settings[name]})`);
			}
		}
		return {server, settings, binDir, superuser};
	} catch (error) {
		await server.stop();
		throw error;
	}
}

/** pg_ctl restart, as the OS user the sandbox runs the cluster as, in a session of its own (so Ctrl-C stays ours). */
async function restartCluster(binDir: string, datadir: string, log: (line: string) => void): Promise<void> {
	const pgCtl = join(binDir, 'pg_ctl');
	const args = ['restart', '-D', datadir, '-m', 'fast', '-w', '-t', '120', '-s', '-l', join(dirname(datadir), 'postgres-bench.log')];
	log('postgres: restarting with the bench settings');
	if (isRoot()) {
		await runCommand(requireBinary({binary: 'runuser', pkg: 'util-linux'}), ['-u', POSTGRES_OS_USER, '--', pgCtl, ...args], {
			cwd: dirname(datadir),
			detached: true,
		});
	} else {
		await runCommand(pgCtl, args, {cwd: dirname(datadir), detached: true});
	}
}

async function readSettings(admin: pg.Client): Promise<Record<string, string>> {
	try {
		const {rows} = await admin.query<{name: string; value: string}>(
			'SELECT name, current_setting(name) AS value FROM unnest($1::text[]) AS name',
			[REPORTED_SETTINGS],
		);
		return Object.fromEntries(rows.map((row) => [row.name, row.value]));
	} finally {
		await admin.end();
	}
}

/** runStep's view of the bench PostgreSQL: databases made and dropped as the superuser, owned by the tools' role. */
export function pgStepServer(bench: PgBenchServer, admin: pg.Client): StepServer {
	const {server} = bench;
	const drop = (name: string) => admin.query(`DROP DATABASE IF EXISTS ${admin.escapeIdentifier(name)} WITH (FORCE)`);
	return {
		async resetDatabase(name, create) {
			await drop(name);
			if (create) await admin.query(`CREATE DATABASE ${admin.escapeIdentifier(name)} OWNER ${admin.escapeIdentifier(server.user)}`);
		},
		async dropDatabase(name) {
			await drop(name);
		},
		async settle() {
			const began = Date.now();
			// what earlier steps left in shared buffers and in the page cache goes to disk before the clock starts
			await admin.query('CHECKPOINT');
			await runCommand('sync', []);
			return (Date.now() - began) / 1000;
		},
		async serverLogBytes() {
			const {rows} = await admin.query<{bytes: string}>("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::text AS bytes");
			return Number(rows[0]!.bytes);
		},
		async verifyRowCounts(database, expected) {
			await verifyRowCounts(bench, database, expected);
		},
	};
}

export async function countRows(bench: PgBenchServer, database: string, tables: string[]): Promise<RowCounts> {
	const client = await bench.superuser(database);
	try {
		const counts: RowCounts = {};
		for (const table of tables) {
			const {rows} = await client.query<{n: string}>(`SELECT count(*)::text AS n FROM public.${client.escapeIdentifier(table)}`);
			counts[table] = Number(rows[0]!.n);
		}
		return counts;
	} finally {
		await client.end();
	}
}

/** Throws naming every table whose count differs from the source (or that is missing). */
async function verifyRowCounts(bench: PgBenchServer, database: string, expected: RowCounts): Promise<void> {
	const client = await bench.superuser(database);
	const wrong: string[] = [];
	try {
		for (const [table, count] of Object.entries(expected)) {
			let actual: string;
			try {
				const {rows} = await client.query<{n: string}>(`SELECT count(*)::text AS n FROM public.${client.escapeIdentifier(table)}`);
				if (Number(rows[0]!.n) === count) continue;
				actual = rows[0]!.n;
			} catch (error) {
				actual = (error as Error).message;
			}
			wrong.push(`${database}.${table}: ${actual} rows, source has ${count}`);
		}
	} finally {
		await client.end();
	}
	if (wrong.length > 0) throw new Error(`row counts differ after restore:\n  ${wrong.join('\n  ')}`);
}
