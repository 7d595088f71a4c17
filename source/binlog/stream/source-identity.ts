import {binlogSourceChanged, IntegrityError} from '../../core/errors.ts';
import {binlogTarget, readDirFile, writeDirFile, type BinlogDir} from './dir-file.ts';
import type {BinlogFlavor} from '../flavor.ts';
import type {SourceServer} from '../protocol/replica-session.ts';

export const IDENTITY_NAME = 'binlog-stream.source.json';
const IDENTITY_VERSION = 1;

/**
 * Which server a directory copies, recorded at its first use so that the directory describes itself: a
 * later run against another server is refused before anything in it is touched.
 */
export interface SourceIdentity {
	version: 1;
	flavor: BinlogFlavor;
	serverId: number;
	/** MySQL's @@server_uuid; MariaDB has none */
	serverUuid?: string;
	/** the first binlog file streamed into the directory */
	firstFile: string;
	/** the host as given, for the reader (not compared: a server may be reached by several names) */
	host: string;
	recordedAt: string;
}

export async function readSourceIdentity(dir: BinlogDir): Promise<SourceIdentity | undefined> {
	const file = binlogTarget(dir).describe(IDENTITY_NAME);
	const parsed = await readDirFile<SourceIdentity>(dir, IDENTITY_NAME, IDENTITY_VERSION, badIdentity);
	if (!parsed) return undefined;
	if (parsed.flavor !== 'mariadb' && parsed.flavor !== 'mysql') throw badIdentity(file, 'its "flavor" is neither mariadb nor mysql');
	if (!Number.isSafeInteger(parsed.serverId)) throw badIdentity(file, 'its "serverId" is not a number');
	if (typeof parsed.firstFile !== 'string') throw badIdentity(file, 'its "firstFile" is missing');
	return parsed as SourceIdentity;
}

export async function writeSourceIdentity(dir: BinlogDir, source: SourceServer, firstFile: string, host: string): Promise<SourceIdentity> {
	const identity: SourceIdentity = {
		version: IDENTITY_VERSION,
		flavor: source.flavor,
		serverId: source.serverId,
		...(source.serverUuid ? {serverUuid: source.serverUuid} : {}),
		firstFile,
		host,
		recordedAt: new Date().toISOString(),
	};
	await writeDirFile(dir, IDENTITY_NAME, `${JSON.stringify(identity, null, 2)}\n`);
	return identity;
}

/** Refuses a server that is not the one the directory records: the uuid where both have one, else the flavor and server id, and the binlog base name. */
export function checkSourceIdentity(dir: BinlogDir, recorded: SourceIdentity, source: SourceServer): void {
	const differs =
		recorded.flavor !== source.flavor ||
		recorded.serverId !== source.serverId ||
		(recorded.serverUuid !== undefined && source.serverUuid !== undefined && recorded.serverUuid !== source.serverUuid) ||
		(source.binlogs.length > 0 && baseName(recorded.firstFile) !== baseName(source.binlogs[0]!.name));
	if (!differs) return;
	throw binlogSourceChanged(
		`${binlogTarget(dir).describe(IDENTITY_NAME)} records ${describeIdentity(recorded)}, but this server is ${describeIdentity({...source, firstFile: source.binlogs[0]?.name})}`,
		'This directory holds another server\'s binlogs. Stream this server into its own --output directory (or point --host at the server the directory copies).',
	);
}

function describeIdentity(identity: {flavor: BinlogFlavor; serverId: number; serverUuid?: string; firstFile?: string}): string {
	const uuid = identity.serverUuid ? ` server_uuid ${identity.serverUuid}` : '';
	return `${identity.flavor} server_id ${identity.serverId}${uuid}${identity.firstFile ? ` (binlogs ${baseName(identity.firstFile)}.*)` : ''}`;
}

/** `mariadb-bin` of `mariadb-bin.000042` */
function baseName(file: string): string {
	return file.slice(0, file.lastIndexOf('.'));
}

function badIdentity(file: string, why: string): IntegrityError {
	return new IntegrityError({
		code: 'BINLOG_IDENTITY_INVALID',
		message: `${file} cannot be read: ${why}`,
		hint: 'The file records which server the directory copies. Restore it, or remove it if you are sure the directory and the server belong together (it is written again).',
	});
}
