/** Helpers of the DDL tests: pg_dump as the oracle, and applying a toc to a new database. */
import {execFile, spawnSync} from 'node:child_process';
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {promisify} from 'node:util';
import type pg from 'pg';
import {readDatabaseToc} from '../../../../source/engines/postgres-logical/ddl/read-toc.ts';
import {TOC_SESSION_SETTINGS} from '../../../../source/engines/postgres-logical/ddl/session.ts';
import type {DatabaseToc, DdlEntry} from '../../../../source/engines/postgres-logical/ddl/types.ts';
import {quoteIdent} from '../../../../source/engines/postgres-logical/identifiers.ts';
import {postgresSuperuserClient} from '../../../harness/db.ts';
import {getTestServers} from '../../../harness/servers.ts';

const run = promisify(execFile);
const PG_BIN = '/usr/lib/postgresql/15/bin';

/** Lines that differ between two runs of pg_dump on identical databases. */
const RUN_SPECIFIC = [/^-- Dumped from database version /, /^-- Dumped by pg_dump version /, /^\\restrict /, /^\\unrestrict /];

/** `pg_dump --schema-only` as the superuser over the socket, without its per-run lines. */
export async function dumpSchema(database: string, flags: string[] = []): Promise<string> {
	const {postgres} = getTestServers();
	const {stdout} = await run(
		`${PG_BIN}/pg_dump`,
		['--schema-only', '-h', postgres.socketDir, '-p', String(postgres.port), '-U', postgres.superuser, ...flags, database],
		{maxBuffer: 64 * 1024 * 1024},
	);
	return stdout
		.split('\n')
		.filter((line) => !RUN_SPECIFIC.some((pattern) => pattern.test(line)))
		.join('\n');
}

/** `diff -u` of the two dumps, cut to a length an assertion message can show. */
export function firstDifferences(expected: string, actual: string, maxLines = 80): string {
	const directory = mkdtempSync(join(tmpdir(), 'ddl-diff-'));
	try {
		writeFileSync(join(directory, 'source.sql'), expected);
		writeFileSync(join(directory, 'restored.sql'), actual);
		const result = spawnSync('diff', ['-u', 'source.sql', 'restored.sql'], {cwd: directory, encoding: 'utf8'});
		return result.stdout.split('\n').slice(0, maxLines).join('\n');
	} finally {
		rmSync(directory, {recursive: true, force: true});
	}
}

/** readDatabaseToc inside a REPEATABLE READ, READ ONLY transaction, as the engine runs it. */
export async function readToc(database: string, options: {noOwner?: boolean; noPrivileges?: boolean} = {}): Promise<DatabaseToc> {
	const client = await postgresSuperuserClient(database);
	try {
		await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY');
		const toc = await readDatabaseToc(client, options);
		await client.query('COMMIT');
		return toc;
	} finally {
		await client.end();
	}
}

/** Creates `target` from the toc's database options and owner (unless noOwner), then its post-create SQL. */
export async function createDatabaseFromToc(superuser: pg.Client, toc: DatabaseToc, target: string, options: {noOwner?: boolean} = {}): Promise<void> {
	await superuser.query(`CREATE DATABASE ${quoteIdent(target)} ${toc.database.createOptions}`);
	if (!options.noOwner) await superuser.query(`ALTER DATABASE ${quoteIdent(target)} OWNER TO ${quoteIdent(toc.database.owner)}`);
	for (const statement of toc.database.postCreateSql) {
		await superuser.query(statement.replaceAll('{{database}}', quoteIdent(target)));
	}
}

export async function applyEntries(client: pg.Client, entries: DdlEntry[]): Promise<void> {
	for (const setting of TOC_SESSION_SETTINGS) await client.query(setting);
	for (const entry of entries) {
		try {
			await client.query(entry.sql);
		} catch (error) {
			throw new Error(`entry ${entry.id} failed: ${(error as Error).message}\n${entry.sql}`, {cause: error});
		}
	}
}

/** Shuffles with a seeded generator (mulberry32), so a failing order can be replayed. */
export function seededRandom(seed: number): () => number {
	let state = seed >>> 0;
	return () => {
		state = (state + 0x6d2b79f5) >>> 0;
		let t = state;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}

/** A random order of `entries` in which every entry comes after the ones it depends on (among `entries` and `applied`). */
export function shuffledTopologicalOrder(entries: DdlEntry[], applied: Set<string>, random: () => number): DdlEntry[] {
	const pending = new Map(entries.map((entry) => [entry.id, entry]));
	const done = new Set(applied);
	const order: DdlEntry[] = [];
	while (pending.size > 0) {
		const ready = [...pending.values()].filter((entry) => entry.dependsOn.every((id) => done.has(id)));
		if (ready.length === 0) throw new Error(`no entry is ready among ${[...pending.keys()].join(', ')}`);
		const pick = ready[Math.floor(random() * ready.length)];
		order.push(pick);
		done.add(pick.id);
		pending.delete(pick.id);
	}
	return order;
}
