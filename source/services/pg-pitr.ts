/**
 * `restore BASEBACKUP --datadir DIR --wal STORE [--until TIME | --until-lsn LSN | --until-xid XID |
 * --until-name RESTOREPOINT] [--wal-fetch]`: PostgreSQL point-in-time recovery. The base backup is
 * restored into the data directory as without --wal; then recovery.signal and the recovery settings
 * (restore_command, the target, promote at the end) make the server the directory is started with
 * replay the store's WAL up to the target. Everything that can refuse is
 * checked before anything is written: the store is of the backup's cluster and holds the WAL from the
 * backup's start with no segment missing (walChainProblem, as the catalog's recovery window), the
 * target lies between the backup's end and what the store holds, and the WAL to copy fits. By default
 * the WAL recovery needs is copied into the data directory first (pg-pitr-stage.ts) and the
 * restore_command only copies a local file; with --wal-fetch it is this same dbbackup's wal-fetch on
 * the store instead, run by the server as its OS user, who must then be able to read the store.
 */
import {chown, stat, writeFile, appendFile} from 'node:fs/promises';
import path from 'node:path';
import {badFlagValue, IntegrityError, UsageError} from '../core/errors.ts';
import type {EventBus} from '../core/events.ts';
import {formatLsn, parseLsn, segmentOf} from '../core/pg-replication/lsn.ts';
import {isObjectStoreUrl} from '../core/object-store-url.ts';
import type {Manifest} from '../storage/archive/manifest.ts';
import type {StorageOptions} from '../storage/target/index.ts';
import {directoryTarget} from '../storage/target/index.ts';
import {readWalCheckpoint} from '../wal/store/checkpoint.ts';
import {listStore} from '../wal/store/layout.ts';
import {parseUntilTime} from '../binlog/replay/target.ts';
import type {CatalogBackup, CatalogWalStream} from './catalog/types.ts';
import {heldSegments, walGaps} from './catalog/wal-streams.ts';
import {walChainProblem} from './catalog/window.ts';
import {POSTGRES_ACCOUNT, resolveOwner} from '../engines/physical/index.ts';
import {checkStageSpace, listWalStore, stageWal, STAGE_DIRECTORY, walFilesToStage, type WalStagePlan} from './pg-pitr-stage.ts';

/** What the flags ask for. */
export interface WalRecoveryRequest {
	/** the wal-stream store: a directory or an s3:// prefix */
	wal: string;
	until?: string;
	untilLsn?: string;
	untilXid?: string;
	untilName?: string;
	/** --wal-fetch: no copy; the restore_command fetches each file from the store */
	fetch?: boolean;
	/** --datadir-owner: the OS user the server (and so its restore_command) runs as */
	owner?: string;
}

/** The checked plan: the settings to write and what they mean. */
export interface WalRecoveryPlan {
	store: string;
	/** e.g. `LSN 0/3000060`, `restore point before_step3`, `the end of the WAL in the store (LSN 0/5000000)` */
	target: string;
	/** the recovery target lines appended to postgresql.auto.conf (restore_command comes with the mode) */
	settings: string[];
	/** the WAL copied into the data directory first; absent with --wal-fetch */
	stage?: WalStagePlan;
}

const DEFAULT_SEGMENT_BYTES = 16 * 1024 * 1024;

/** A string as a PostgreSQL configuration value ('…', quotes doubled). */
function confString(value: string): string {
	return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}

/** A word for sh (PostgreSQL runs restore_command through sh -c). */
export function shellQuote(word: string): string {
	return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** An epoch time as PostgreSQL reads it, with an explicit UTC offset. */
function pgTime(epochMs: number): string {
	const iso = new Date(epochMs).toISOString();
	return `${iso.slice(0, 10)} ${iso.slice(11, 23)}+00`;
}

/** The absolute path of the running CLI entry (bin/dbbackup.js or the bundle), run with this node. */
export function restoreCommandFor(store: string, entry = process.argv[1]): string {
	if (entry === undefined) throw new UsageError({code: 'PITR_NO_CLI', message: 'cannot tell where the running dbbackup is, for the restore_command'});
	// %f and %p stay unquoted: PostgreSQL substitutes a file name and a path under the data directory
	return [process.execPath, path.resolve(entry), 'wal-fetch', '--wal', store].map(shellQuote).join(' ') + ' %f %p';
}

function pitrUsage(message: string, hint?: string): UsageError {
	return new UsageError({code: 'PITR_TARGET_INVALID', message, ...(hint ? {hint} : {})});
}

/** The WAL store as the catalog sees it (no run state: not needed here). */
async function readStore(store: string, storage: StorageOptions): Promise<CatalogWalStream> {
	const target = await directoryTarget(store, storage);
	const checkpoint = await readWalCheckpoint(target).catch(() => undefined);
	const listed = await listStore(target);
	const segmentBytes = checkpoint?.segmentBytes ?? DEFAULT_SEGMENT_BYTES;
	const {held, partial, histories} = heldSegments(listed, segmentBytes);
	const names = [...held.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([, name]) => name);
	return {
		url: store,
		relative: store,
		...(checkpoint ? {systemId: checkpoint.systemId, timeline: checkpoint.timeline, segmentBytes, host: checkpoint.host, slot: checkpoint.slot} : {}),
		...(names.length > 0 ? {firstSegment: names[0], lastSegment: names.at(-1)} : {}),
		segments: held.size,
		completedBytes: 0,
		...(partial ? {partial} : {}),
		histories,
		...(checkpoint ? {checkpoint: {flushLsn: checkpoint.flushLsn, timeline: checkpoint.timeline, updatedAt: checkpoint.updatedAt, ageSeconds: 0}} : {}),
		gaps: walGaps(held, segmentBytes),
		running: {state: 'unknown', how: 'not looked at by restore'},
	};
}

/** Exactly one --until flag, parsed. */
function targetOf(request: WalRecoveryRequest): {kind: 'time'; epochMs: number} | {kind: 'lsn'; lsn: bigint} | {kind: 'xid'; xid: string} | {kind: 'name'; name: string} | undefined {
	const given = (['until', 'untilLsn', 'untilXid', 'untilName'] as const).filter((name) => request[name] !== undefined);
	if (given.length > 1) {
		throw pitrUsage(`${given.map((name) => `--${name.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`)}`).join(', ')}: give one recovery target`);
	}
	if (request.until !== undefined) return {kind: 'time', epochMs: parseUntilTime(request.until)};
	if (request.untilLsn !== undefined) {
		try {
			return {kind: 'lsn', lsn: parseLsn(request.untilLsn)};
		} catch {
			throw badFlagValue('--until-lsn', request.untilLsn, 'not a WAL position; give it as X/X, as pg_current_wal_lsn() shows it (0/3000060)');
		}
	}
	if (request.untilXid !== undefined) {
		const xid = request.untilXid.trim();
		if (!/^[1-9][0-9]*$/.test(xid) || BigInt(xid) > 0xffffffffffffffffn) throw badFlagValue('--until-xid', request.untilXid, 'not a transaction ID; give a whole number, as txid_current() shows it');
		return {kind: 'xid', xid};
	}
	if (request.untilName !== undefined) {
		if (request.untilName === '' || request.untilName.length > 63) throw badFlagValue('--until-name', request.untilName, 'not a restore point name (1 to 63 characters, as given to pg_create_restore_point)');
		return {kind: 'name', name: request.untilName};
	}
	return undefined;
}

/**
 * Checks the store and the target against the backup (`where`: its path, for messages) and returns
 * the settings to write. Reads only; writes nothing.
 */
export async function planWalRecovery(manifest: Manifest, where: string, request: WalRecoveryRequest, storage: StorageOptions, dataDirectory?: string): Promise<WalRecoveryPlan> {
	if (manifest.dbType !== 'postgres') {
		throw new UsageError({code: 'PITR_NOT_POSTGRES', message: `--wal replays PostgreSQL WAL, and ${where} is a ${manifest.dbType} backup`, hint: 'A MySQL point-in-time restore replays binlogs: --binlogs DIR.'});
	}
	const coordinates = manifest.coordinates as {startLsn?: unknown; endLsn?: unknown; timeline?: unknown; systemId?: unknown};
	if (typeof coordinates.startLsn !== 'string' || typeof coordinates.endLsn !== 'string') {
		throw new UsageError({code: 'PITR_NOT_BASE_BACKUP', message: `${where} records no WAL positions (startLsn, endLsn): it is not a base backup WAL can be replayed on`});
	}
	const target = targetOf(request);
	const store = await readStore(request.wal, storage);
	const backup = {
		name: path.basename(where),
		url: where,
		wal: {
			startLsn: coordinates.startLsn,
			endLsn: coordinates.endLsn,
			timeline: typeof coordinates.timeline === 'number' ? coordinates.timeline : 1,
			...(typeof coordinates.systemId === 'string' ? {systemId: coordinates.systemId} : {}),
		},
	} as CatalogBackup;
	const problem = walChainProblem(backup, store);
	if (problem !== undefined) {
		const otherCluster = store.systemId !== undefined && backup.wal!.systemId !== undefined && store.systemId !== backup.wal!.systemId;
		const noStore = !store.checkpoint;
		const details = {
			message: `--wal ${request.wal} cannot recover ${where}: ${problem}`,
			hint: otherCluster
				? 'Give the WAL store wal-stream writes from the cluster this base backup was taken of.'
				: noStore
					? 'Give the directory (or s3:// prefix) dbbackup wal-stream writes to.'
					: 'Recover from a base backup taken after the missing WAL, or from a store that holds it all.',
		};
		if (otherCluster) throw new UsageError({code: 'PITR_WAL_OTHER_CLUSTER', ...details});
		if (noStore) throw new UsageError({code: 'PITR_WAL_NOT_A_STORE', ...details});
		throw new IntegrityError({code: 'PITR_WAL_INCOMPLETE', ...details});
	}
	const flush = parseLsn(store.checkpoint!.flushLsn);
	const endLsn = parseLsn(coordinates.endLsn);
	const settings: string[] = [];
	let described: string;
	if (target === undefined) {
		described = `the end of the WAL in the store (LSN ${formatLsn(flush)} when checked)`;
	} else if (target.kind === 'lsn') {
		if (target.lsn < endLsn) {
			throw pitrUsage(`--until-lsn ${request.untilLsn} is before the end of ${where} (LSN ${coordinates.endLsn}): a base backup is consistent only from its end on`, 'Give a position at or after the backup\'s end, or restore an older base backup.');
		}
		if (target.lsn > flush) {
			throw pitrUsage(`--until-lsn ${request.untilLsn} is past the WAL the store ${request.wal} holds (up to LSN ${formatLsn(flush)})`, 'Give a position the store has reached (its checkpoint, dbbackup status), or leave the target out to recover all of it.');
		}
		described = `LSN ${formatLsn(target.lsn)}`;
		settings.push(`recovery_target_lsn = '${formatLsn(target.lsn)}'`);
	} else if (target.kind === 'time') {
		if (target.epochMs < Date.parse(manifest.finishedAt)) {
			throw pitrUsage(`--until ${request.until} is before ${where} finished (${manifest.finishedAt}): a base backup is consistent only from its end on`, 'Give a later time, or restore an older base backup.');
		}
		described = `time ${pgTime(target.epochMs)}`;
		settings.push(`recovery_target_time = '${pgTime(target.epochMs)}'`);
	} else if (target.kind === 'xid') {
		described = `transaction ${target.xid}`;
		settings.push(`recovery_target_xid = '${target.xid}'`);
	} else {
		described = `restore point ${JSON.stringify(target.name)}`;
		settings.push(`recovery_target_name = ${confString(target.name)}`);
	}
	if (target !== undefined) settings.push('recovery_target_inclusive = true');
	settings.push("recovery_target_timeline = 'latest'", "recovery_target_action = 'promote'");
	if (request.fetch) {
		await checkFetchable(request.wal, request.owner);
		return {store: request.wal, target: described, settings};
	}
	const segmentBytes = store.segmentBytes ?? DEFAULT_SEGMENT_BYTES;
	const first = segmentOf(parseLsn(coordinates.startLsn), segmentBytes);
	// an LSN target's record may end in the next segment
	const last = target?.kind === 'lsn' ? segmentOf(target.lsn, segmentBytes) + 1n : undefined;
	const stage = walFilesToStage(await listWalStore(request.wal, storage), segmentBytes, first, last);
	if (dataDirectory !== undefined) {
		const restored = manifest.members.reduce((sum, member) => sum + member.rawBytes, 0);
		await checkStageSpace(dataDirectory, restored + stage.bytes, `the restore (${Math.ceil(restored / (1024 * 1024))} MiB) and the WAL it replays (${stage.names.length} files)`);
	}
	return {store: request.wal, target: described, settings, stage};
}

/**
 * With --wal-fetch the server's OS user runs wal-fetch on the store: a local store it cannot read would
 * fail every fetch at the first start, so it is refused now (an s3:// store is read with that user's
 * credentials, which cannot be checked from here).
 */
async function checkFetchable(store: string, owner: string | undefined): Promise<void> {
	if (isObjectStoreUrl(store) || process.getuid?.() !== 0) return;
	const index = path.join(store, 'wal-index.json');
	const info = await stat(index).catch(() => undefined);
	if (!info) return;
	const user = await resolveOwner(owner, POSTGRES_ACCOUNT);
	const bits = info.uid === user.uid ? 0o400 : user.groups.includes(info.gid) ? 0o040 : 0o004;
	if ((info.mode & bits) === 0) {
		throw new UsageError({
			code: 'PITR_WAL_UNREADABLE',
			message: `--wal-fetch: the server runs its restore_command as ${user.name}, who cannot read ${index} (mode ${(info.mode & 0o777).toString(8).padStart(3, '0')}, owner uid ${info.uid})`,
			hint: `Leave out --wal-fetch: the restore then copies the WAL into the data directory itself, owned by ${user.name}. Or let ${user.name} read the store.`,
		});
	}
}

/**
 * The WAL copied in (unless --wal-fetch), then recovery.signal and the settings (postgresql.auto.conf,
 * appended), owned as the directory is.
 */
export async function writeWalRecovery(dataDirectory: string, plan: WalRecoveryPlan, storage: StorageOptions, bus: EventBus): Promise<string[]> {
	const {uid, gid} = await stat(dataDirectory);
	const auto = path.join(dataDirectory, 'postgresql.auto.conf');
	const signal = path.join(dataDirectory, 'recovery.signal');
	const existed = await stat(auto).then(() => true, () => false);
	const modeSettings: string[] = [];
	const notes: string[] = [];
	if (plan.stage) {
		const staged = await stageWal(plan.store, storage, plan.stage, dataDirectory, bus);
		const from = shellQuote(staged.directory);
		// cp fails for a file it does not have, which is how a restore_command says "not there"
		modeSettings.push(`restore_command = ${confString(`cp -- ${from}/%f %p`)}`, `recovery_end_command = ${confString(`rm -rf -- ${from}`)}`);
		notes.push(
			`point-in-time recovery set up: ${staged.files} WAL file(s) (${Math.ceil(staged.bytes / (1024 * 1024))} MiB) copied from ${plan.store} into ${STAGE_DIRECTORY}, each checked against the store's index; recovery.signal and, in postgresql.auto.conf, a restore_command copying from there, the target ${plan.target}, and a recovery_end_command that removes the copies; the first start replays the WAL and promotes`,
		);
	} else {
		modeSettings.push(`restore_command = ${confString(restoreCommandFor(plan.store))}`);
		notes.push(
			`point-in-time recovery set up: recovery.signal and, in postgresql.auto.conf, restore_command (wal-fetch from ${plan.store}) with the target ${plan.target}; the first start replays the WAL and promotes`,
			'the restore_command runs as the server\'s OS user with the server\'s environment: it must be able to read the store (an s3:// store needs AWS credentials there: environment or ~/.aws of that user, an instance role)',
		);
	}
	await appendFile(auto, `\n# dbbackup restore --wal: point-in-time recovery to ${plan.target}\n${[...modeSettings, ...plan.settings].join('\n')}\n`, {mode: 0o600});
	await writeFile(signal, '', {mode: 0o600});
	if (process.getuid?.() === 0) {
		await chown(signal, uid, gid);
		if (!existed) await chown(auto, uid, gid);
	}
	return notes;
}
