/**
 * The directory the server clones into: a fresh one, named so that a run killed before it could remove
 * it is recognised by the next (`dbbackup-clone-<UTC time>-<pid>`), beside the server's data directory
 * unless backup.clone.data_dir names another parent. The server writes it, so it is on the server's
 * host; dbbackup then reads it from there, so dbbackup runs on that host too.
 */
import {readdir, readFile, rm, stat} from 'node:fs/promises';
import {hostname} from 'node:os';
import path from 'node:path';
import type {RowDataPacket} from 'mysql2/promise';
import type {MysqlConnection} from '../../core/connect.ts';
import {EngineUnavailableError, UsageError} from '../../core/errors.ts';
import type {EventBus} from '../../core/events.ts';

const PREFIX = 'dbbackup-clone-';
const NAME = /^dbbackup-clone-(\d{8}T\d{6}Z)-(\d+)$/;

export function cloneDirectoryName(now: Date = new Date(), pid: number = process.pid): string {
	const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
	return `${PREFIX}${stamp}-${pid}`;
}

/** The pid of the run that made a clone directory, or undefined for a name that is not one of ours. */
export function cloneDirectoryOwner(name: string): number | undefined {
	const match = NAME.exec(name);
	return match ? Number(match[2]) : undefined;
}

/** Whether a process with this pid runs on this host (signal 0 sends nothing). */
function isProcessAlive(pid: number): boolean {
	try {
		process.kill(pid, 0);
		return true;
	} catch (error) {
		return (error as NodeJS.ErrnoException).code === 'EPERM';
	}
}

function errno(error: unknown): string | undefined {
	return (error as NodeJS.ErrnoException | undefined)?.code;
}

export interface ServerHostFacts {
	datadir: string;
	serverUuid: string;
}

export async function readServerHostFacts(connection: MysqlConnection): Promise<ServerHostFacts> {
	const [rows] = await connection.query<RowDataPacket[]>('SELECT @@GLOBAL.datadir AS datadir, @@GLOBAL.server_uuid AS uuid');
	return {datadir: String(rows[0]?.datadir ?? ''), serverUuid: String(rows[0]?.uuid ?? '')};
}

/**
 * The server's data directory must be this machine's: its auto.cnf holds the server's UUID. A data
 * directory this user may not read is taken on its existence (the clone directory's files are checked
 * when they are read).
 */
export async function checkServerIsLocal(facts: ServerHostFacts, target: string): Promise<void> {
	const refuse = (why: string) =>
		new EngineUnavailableError({
			code: 'CLONE_NOT_ON_SERVER_HOST',
			message: `the clone engine runs on the server's host, and ${target} is not on this one (${hostname()}): ${why}`,
			hint: 'The server writes the clone into a directory on its own host and dbbackup reads it from there: run dbbackup on that host (a remote clone: on the recipient\'s host, connected to the recipient).',
		});
	try {
		const text = await readFile(path.join(facts.datadir, 'auto.cnf'), 'utf8');
		const uuid = /server-uuid\s*=\s*([0-9a-f-]+)/i.exec(text)?.[1];
		if (uuid !== undefined && uuid.toLowerCase() !== facts.serverUuid.toLowerCase()) {
			throw refuse(`${facts.datadir} here belongs to server ${uuid}, not to ${facts.serverUuid}`);
		}
	} catch (error) {
		if (error instanceof EngineUnavailableError) throw error;
		if (errno(error) === 'ENOENT' || errno(error) === 'ENOTDIR') {
			const exists = await stat(facts.datadir).then((info) => info.isDirectory(), () => false);
			if (!exists) throw refuse(`its data directory ${facts.datadir} does not exist here`);
		} else if (errno(error) !== 'EACCES' && errno(error) !== 'EPERM') {
			throw error;
		}
	}
}

/** Where the fresh directory goes: the configured parent, else the data directory's parent. */
export function cloneParent(datadir: string, configured?: string): string {
	if (configured !== undefined) return path.resolve(configured);
	return path.dirname(path.resolve(datadir));
}

export async function checkParent(parent: string): Promise<void> {
	const info = await stat(parent).catch((error: unknown) => {
		throw new UsageError({
			code: 'CLONE_DIR_UNUSABLE',
			message: `the clone directory's parent ${parent} cannot be used (${errno(error) ?? String(error)})`,
			hint: 'Create it on the server\'s host, writable by the server\'s OS user, or set backup.clone.data_dir to a directory that is.',
		});
	});
	if (!info.isDirectory()) {
		throw new UsageError({code: 'CLONE_DIR_UNUSABLE', message: `the clone directory's parent ${parent} is not a directory`, hint: 'Set backup.clone.data_dir to a directory on the server\'s host.'});
	}
}

/** A clone directory left by a run that no longer runs (killed, or the machine stopped). */
export interface Leftover {
	path: string;
	pid: number;
}

export async function findLeftovers(parent: string): Promise<Leftover[]> {
	const names = await readdir(parent).catch(() => [] as string[]);
	const leftovers: Leftover[] = [];
	for (const name of names) {
		const pid = cloneDirectoryOwner(name);
		if (pid === undefined || pid === process.pid || isProcessAlive(pid)) continue;
		leftovers.push({path: path.join(parent, name), pid});
	}
	return leftovers;
}

export async function removeCloneDirectory(directory: string): Promise<void> {
	await rm(directory, {recursive: true, force: true, maxRetries: 3});
}

/**
 * Removes the clone directories killed runs left. A clone the server still writes into one of them (its
 * client was killed, the server went on) is stopped first: the clone plugin runs one clone at a time.
 */
export async function removeLeftovers(parent: string, connection: MysqlConnection, bus: EventBus): Promise<void> {
	const leftovers = await findLeftovers(parent);
	if (leftovers.length === 0) return;
	const [rows] = await connection.query<RowDataPacket[]>('SELECT PID AS pid, STATE AS state, DESTINATION AS destination FROM performance_schema.clone_status');
	for (const leftover of leftovers) {
		const running = rows.find((row) => row.state === 'In Progress' && path.resolve(String(row.destination ?? '')) === leftover.path);
		if (running) {
			bus.log('info', `a clone into ${leftover.path} still runs on the server (session ${running.pid}) for a run that no longer exists: stopping it`);
			await connection.query(`KILL QUERY ${Number(running.pid)}`).catch(() => undefined);
			await waitUntilNotCloning(connection, leftover.path);
		}
		await removeCloneDirectory(leftover.path);
		bus.warn(`removed ${leftover.path}, the clone directory of an earlier run (pid ${leftover.pid}) that did not finish`, {code: 'CLONE_LEFTOVER_REMOVED'});
	}
}

async function waitUntilNotCloning(connection: MysqlConnection, directory: string): Promise<void> {
	const deadline = Date.now() + 60_000;
	while (Date.now() < deadline) {
		const [rows] = await connection.query<RowDataPacket[]>('SELECT STATE AS state, DESTINATION AS destination FROM performance_schema.clone_status');
		if (!rows.some((row) => row.state === 'In Progress' && path.resolve(String(row.destination ?? '')) === directory)) return;
		await new Promise((resolve) => setTimeout(resolve, 250));
	}
}
