/**
 * `restore … --datadir DIR --verify-start` for a MySQL-family backup (clone, snapshot): a throwaway
 * mysqld of the backup's flavor and release series started on the restored directory (a private
 * socket, no TCP, grant tables skipped, nothing of the directory's configuration), InnoDB's crash
 * recovery let run, every user table put through CHECK TABLE and counted, the recovered binary log
 * position and GTID set read and compared with the backup's, and a clean shutdown — which leaves the
 * directory recovered and ready to start for real.
 */
import {execFile} from 'node:child_process';
import {chmod, chown, mkdtemp, readFile, rm, stat} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {promisify} from 'node:util';
import mysql, {type Connection, type RowDataPacket} from 'mysql2/promise';
import {DbBackupError, UsageError, WorkError} from '../core/errors.ts';
import type {EventBus} from '../core/events.ts';
import {binlogBasename, isMariadbManifest, type MysqlCoordinates} from '../engines/physical/index.ts';
import type {DataDirectoryRestore, VerifiedStart} from '../engines/types.ts';
import {ensureMysqlBinaries, locateBinary, mysqlProgram, mysqlTreeOptions, startMysqldOnDataDirectory} from '../sandbox/index.ts';
import type {Manifest} from '../storage/archive/manifest.ts';

const run = promisify(execFile);

/** Crash recovery of a large redo log can take a while. */
const START_TIMEOUT_MS = 30 * 60_000;
const SYSTEM_SCHEMAS = ['mysql', 'information_schema', 'performance_schema', 'sys'];

/** A mysqld that can start on the backup's files. */
export interface MysqldChoice {
	flavor: 'mariadb' | 'mysql';
	program: {command: string; args: string[]};
	programOptions: string[];
	/** its version, as it prints it */
	version: string;
	where: string;
}

/** "10.11.6-MariaDB-0+deb12u1" → "10.11" */
function series(version: string): string | undefined {
	return /^(\d+\.\d+)/.exec(version)?.[1];
}

async function printedVersion(command: string, args: string[]): Promise<string | undefined> {
	try {
		const {stdout} = await run(command, [...args, '--version'], {timeout: 30_000});
		return /Ver\s+(\S+)/.exec(stdout)?.[1];
	} catch {
		return undefined;
	}
}

/**
 * The mysqld to verify with: the backup's flavor and release series (x.y), from this machine's server
 * packages, or for MySQL the unpacked MySQL the demo and tests use (fetched into the cache if absent).
 * Refuses before anything is restored when there is none.
 */
export async function chooseMysqld(manifest: Manifest, log: (line: string) => void): Promise<MysqldChoice> {
	const mariadb = isMariadbManifest(manifest);
	const wanted = series(manifest.server.version);
	const product = mariadb ? 'MariaDB' : 'MySQL';
	const seen: string[] = [];
	const candidates = mariadb ? ['mariadbd'] : ['mysqld'];
	for (const name of candidates) {
		const binary = locateBinary(name);
		if (!binary) continue;
		const version = await printedVersion(binary, []);
		if (!version) continue;
		// Debian's mariadb-server installs /usr/sbin/mysqld as a link to mariadbd
		const isMariadb = /mariadb/i.test(version);
		seen.push(`${binary} (${version})`);
		if (isMariadb === mariadb && series(version) === wanted) return {flavor: mariadb ? 'mariadb' : 'mysql', program: {command: binary, args: []}, programOptions: [], version, where: binary};
	}
	if (!mariadb) {
		const binaries = await ensureMysqlBinaries({log});
		const program = mysqlProgram(binaries.root, 'mysqld');
		const version = (await printedVersion(program.command, program.args)) ?? binaries.version;
		seen.push(`${binaries.root} (${version})`);
		if (series(version) === wanted) return {flavor: 'mysql', program, programOptions: mysqlTreeOptions(binaries.root), version, where: binaries.root};
	}
	throw new UsageError({
		code: 'VERIFY_START_NO_SERVER',
		message: `--verify-start needs ${product} ${wanted ?? manifest.server.version} to start on the restored directory (the backup's release series); ${seen.length > 0 ? `this machine has ${seen.join(', ')}` : `no ${candidates.join(' or ')} was found`}`,
		hint: `Install the ${product} ${wanted ?? ''} server here, or leave --verify-start out and start the directory where that server runs.`,
	});
}

/** A GTID set in one canonical spelling: no blanks, intervals sorted by source. */
export function normaliseGtidSet(set: string | undefined): string {
	return (set ?? '')
		.replace(/\s+/g, '')
		.split(',')
		.filter(Boolean)
		.sort()
		.join(',');
}

async function rowsOf(connection: Connection, sql: string): Promise<RowDataPacket[]> {
	const [rows] = await connection.query<RowDataPacket[]>(sql);
	return rows;
}

/** Where InnoDB's recovery put the binary log, as MariaDB prints it ("Last binlog file './x.000002', position 1234"). */
async function recoveredBinlogFromLog(errorLog: string): Promise<string | undefined> {
	const text = await readFile(errorLog, 'utf8').catch(() => '');
	const match = /Last binlog file '(?:\.\/)?([^']+)', position (\d+)/.exec(text);
	return match ? `${match[1]}:${match[2]}` : undefined;
}

export async function verifyMysqlStart(restored: DataDirectoryRestore, manifest: Manifest, choice: MysqldChoice, bus: EventBus): Promise<VerifiedStart> {
	const coordinates = manifest.coordinates as MysqlCoordinates;
	const basename = binlogBasename(coordinates);
	const {uid, gid} = await stat(restored.path);
	const asRoot = process.getuid?.() === 0;
	const work = await mkdtemp(path.join(tmpdir(), 'dbbackup-verify-start-'));
	let server: Awaited<ReturnType<typeof startMysqldOnDataDirectory>> | undefined;
	const product = `${choice.flavor === 'mariadb' ? 'MariaDB' : 'MySQL'} ${choice.version}`;
	try {
		await chmod(work, 0o700);
		if (asRoot) await chown(work, uid, gid);
		const hasBinlogs = basename !== undefined && (await stat(path.join(restored.path, `${basename}.index`)).then(() => true, () => false));
		bus.stage('verify-start', `${product} on ${restored.path} (a private socket)`);
		const began = performance.now();
		server = await startMysqldOnDataDirectory({
			flavor: choice.flavor,
			program: choice.program,
			programOptions: choice.programOptions,
			datadir: restored.path,
			workDir: work,
			osUser: restored.owner,
			...(hasBinlogs ? {binlogBasename: basename} : {}),
			gtid: choice.flavor === 'mysql' && Boolean(coordinates.gtid),
			startTimeoutMs: START_TIMEOUT_MS,
			log: (line) => bus.log('info', line),
		});
		const startSeconds = (performance.now() - began) / 1000;
		const connection = await server.connect();
		const databases: VerifiedStart['databases'] = [];
		let checkedTables = 0;
		let position: string;
		try {
			await connection.query("SET SESSION sql_log_bin = 0, NAMES utf8mb4");
			const schemas = (await rowsOf(connection, `SELECT SCHEMA_NAME AS name FROM information_schema.SCHEMATA WHERE SCHEMA_NAME NOT IN (${SYSTEM_SCHEMAS.map((name) => `'${name}'`).join(', ')}) ORDER BY SCHEMA_NAME`)).map((row) => String(row.name));
			const failures: string[] = [];
			for (const schema of schemas) {
				const tables = (await connection.query<RowDataPacket[]>("SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME", [schema]))[0].map((row) => String(row.name));
				let rows = 0;
				for (const table of tables) {
					const qualified = `${mysql.escapeId(schema, true)}.${mysql.escapeId(table, true)}`;
					const results = await rowsOf(connection, `CHECK TABLE ${qualified}`);
					const bad = results.filter((row) => String(row.Msg_type).toLowerCase() === 'error' || (String(row.Msg_type).toLowerCase() === 'status' && String(row.Msg_text) !== 'OK'));
					if (bad.length > 0) failures.push(`${schema}.${table}: ${bad.map((row) => String(row.Msg_text)).join('; ')}`);
					else checkedTables += 1;
					const [count] = await rowsOf(connection, `SELECT COUNT(*) AS n FROM ${qualified}`);
					rows += Number(count?.n ?? 0);
				}
				databases.push({name: schema, tables: tables.length, rows});
			}
			if (failures.length > 0) {
				throw new WorkError({code: 'VERIFY_START_FAILED', message: `CHECK TABLE found ${failures.length} damaged table(s) in ${restored.path}: ${failures.slice(0, 5).join(' | ')}${failures.length > 5 ? ' | …' : ''}`});
			}
			const gtidVariable = choice.flavor === 'mariadb' ? '@@GLOBAL.gtid_binlog_pos' : '@@GLOBAL.gtid_executed';
			const [gtidRow] = await rowsOf(connection, `SELECT ${gtidVariable} AS gtid`);
			const recoveredGtid = normaliseGtidSet(gtidRow?.gtid === null || gtidRow?.gtid === undefined ? '' : String(gtidRow.gtid));
			const fromLog = choice.flavor === 'mariadb' ? await recoveredBinlogFromLog(server.errorLog) : undefined;
			const parts = [fromLog ? `binlog ${fromLog} (InnoDB's record)` : undefined, recoveredGtid ? `GTID ${recoveredGtid}` : undefined].filter(Boolean);
			position = parts.length > 0 ? parts.join(', ') : 'no binary log position (the source ran without binlog or GTIDs)';
			// the GTID set is exact where the server can tell it: MySQL keeps it in mysql.gtid_executed, MariaDB reads it from the binary logs
			const gtidKnown = choice.flavor === 'mysql' || hasBinlogs;
			if (coordinates.gtid && gtidKnown && recoveredGtid !== normaliseGtidSet(coordinates.gtid)) {
				throw new WorkError({
					code: 'VERIFY_START_FAILED',
					message: `the server on ${restored.path} recovered to GTID set ${recoveredGtid || '(empty)'}, but the backup recorded ${normaliseGtidSet(coordinates.gtid)}: the files are not the copy the manifest describes`,
				});
			}
		} finally {
			await connection.end().catch(() => undefined);
		}
		bus.log('info', `verify-start: ${checkedTables} table(s) checked; recovered to ${position}; stopping the server`);
		await server.stop();
		server = undefined;
		return {server: product, position, startSeconds, databases, checkedTables};
	} catch (error) {
		if (error instanceof DbBackupError && error.code === 'VERIFY_START_FAILED') throw error;
		throw new WorkError({
			code: 'VERIFY_START_FAILED',
			message: `--verify-start: ${(error as Error).message}`,
			hint: `The restored directory ${restored.path} stays as it is. Start it by hand to look closer: ${restored.startCommand}`,
			cause: error,
		});
	} finally {
		await server?.stop().catch(() => undefined);
		await rm(work, {recursive: true, force: true});
	}
}
