/**
 * Whom a restored data directory belongs to: the server runs as an ordinary OS user (PostgreSQL refuses
 * root outright; mysqld runs as root only when told to) and needs to own its files. As root, the files
 * are given to that user (the server's usual account unless one is named); as anyone else, they stay
 * the restoring user's, who then runs the server.
 */
import {execFile} from 'node:child_process';
import {stat} from 'node:fs/promises';
import {dirname} from 'node:path';
import {userInfo} from 'node:os';
import {promisify} from 'node:util';
import {UsageError} from '../../core/errors.ts';

const run = promisify(execFile);

/** The OS account a kind of server runs as. */
export interface ServerAccount {
	/** "PostgreSQL", "MySQL" */
	product: string;
	/** the account its packages create: postgres, mysql */
	defaultUser: string;
	/** mysqld starts as root with --user=root; PostgreSQL never does */
	rootAllowed: boolean;
}

export const POSTGRES_ACCOUNT: ServerAccount = {product: 'PostgreSQL', defaultUser: 'postgres', rootAllowed: false};

export interface FileOwner {
	name: string;
	uid: number;
	gid: number;
	/** every group the owner is in (its primary one first) */
	groups: number[];
	/** files are chown'd to the owner (the restore runs as root) */
	chown: boolean;
}

async function lookUp(name: string): Promise<{uid: number; gid: number; groups: number[]} | undefined> {
	try {
		const uid = Number((await run('id', ['-u', '--', name])).stdout.trim());
		const gid = Number((await run('id', ['-g', '--', name])).stdout.trim());
		const groups = (await run('id', ['-G', '--', name])).stdout.trim().split(/\s+/).map(Number).filter(Number.isSafeInteger);
		return Number.isSafeInteger(uid) && Number.isSafeInteger(gid) ? {uid, gid, groups: [gid, ...groups.filter((group) => group !== gid)]} : undefined;
	} catch {
		return undefined;
	}
}

/** The owner of the files a restore writes; `requested`: --datadir-owner. */
export async function resolveOwner(requested: string | undefined, account: ServerAccount = POSTGRES_ACCOUNT): Promise<FileOwner> {
	const self = userInfo();
	if (self.uid !== 0) {
		if (requested !== undefined && requested !== self.username) {
			throw new UsageError({
				code: 'DATADIR_OWNER_REFUSED',
				message: `--datadir-owner ${requested}: only root can give the restored files to another user; they belong to ${self.username}, who runs the server`,
				hint: `Leave --datadir-owner out, or run the restore as root (or as ${requested}).`,
			});
		}
		return {name: self.username, uid: self.uid, gid: self.gid, groups: [self.gid, ...(process.getgroups?.() ?? []).filter((group) => group !== self.gid)], chown: false};
	}
	const name = requested ?? account.defaultUser;
	const ids = await lookUp(name);
	if (!ids) {
		throw new UsageError({
			code: 'DATADIR_OWNER_UNKNOWN',
			message:
				requested === undefined
					? `running as root: the restored files must belong to the OS user ${account.product} runs as, and there is no user "${account.defaultUser}" here`
					: `--datadir-owner ${requested}: there is no such OS user here`,
			hint: `Install ${account.product} (its package creates the ${account.defaultUser} user), create the user, or name the one the server runs as with --datadir-owner USER.`,
		});
	}
	if (ids.uid === 0 && !account.rootAllowed) {
		throw new UsageError({
			code: 'DATADIR_OWNER_REFUSED',
			message: `--datadir-owner ${name} is root: ${account.product} refuses to run as root, and to start on files root owns`,
			hint: `Name the OS user the server runs as (usually ${account.defaultUser}).`,
		});
	}
	return {name, ...ids, chown: true};
}

/**
 * The first existing directory above `dir` that `owner` cannot enter (no search permission for it), or
 * undefined: a server running as the owner could not reach its data directory or tablespace through it.
 */
export async function unreachableParent(dir: string, owner: FileOwner): Promise<{path: string; mode: number; uid: number} | undefined> {
	for (let current = dirname(dir); ; current = dirname(current)) {
		const stats = await stat(current).catch(() => undefined);
		if (stats) {
			const searchable = stats.uid === owner.uid ? (stats.mode & 0o100) !== 0 : owner.groups.includes(stats.gid) ? (stats.mode & 0o010) !== 0 : (stats.mode & 0o001) !== 0;
			if (!searchable) return {path: current, mode: stats.mode & 0o7777, uid: stats.uid};
		}
		if (current === dirname(current)) return undefined;
	}
}
