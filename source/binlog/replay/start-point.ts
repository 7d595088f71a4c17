/**
 * Where a replay starts: the coordinates an archive's manifest recorded, the header of a SQL script
 * (ours: `-- binlog: FILE POS` / `-- GTID: …`; mysqldump --master-data: CHANGE MASTER TO …; mariadb-dump
 * --gtid: gtid_slave_pos), or --start-position / --start-gtid.
 */
import {UsageError} from '../../core/errors.ts';
import {parseMariadbGtidList, parseMysqlGtidSet} from '../event/gtid.ts';
import {parseFilePosition} from '../file-position.ts';
import type {ReplayStart} from './types.ts';

export function startFromManifest(coordinates: Record<string, unknown>, takenAt: string, artifact: string): ReplayStart {
	const file = typeof coordinates.binlogFile === 'string' && coordinates.binlogFile !== '' ? coordinates.binlogFile : undefined;
	const position = typeof coordinates.binlogPosition === 'number' ? coordinates.binlogPosition : undefined;
	const gtid = typeof coordinates.gtid === 'string' && coordinates.gtid !== '' ? coordinates.gtid : undefined;
	if (file === undefined && gtid === undefined) {
		throw new UsageError({
			code: 'BACKUP_HAS_NO_COORDINATES',
			message: `${artifact} records no binlog coordinates: the server had its binary log off when it was backed up`,
			hint: 'Point-in-time recovery replays the binlog from where the backup was taken; it needs a backup of a server with log_bin on.',
		});
	}
	return {file, position: file === undefined ? undefined : (position ?? 4), gtid, source: 'the backup', takenAt};
}

export function startFromFlags(startPosition: string | undefined, startGtid: string | undefined): ReplayStart | undefined {
	if (startPosition === undefined && startGtid === undefined) return undefined;
	const start: ReplayStart = {source: startPosition !== undefined ? '--start-position' : '--start-gtid'};
	if (startPosition !== undefined) Object.assign(start, parseFilePosition(startPosition, '--start-position'));
	if (startGtid !== undefined) {
		checkGtidText(startGtid);
		start.gtid = startGtid.replace(/\s+/g, '');
	}
	return start;
}

function checkGtidText(text: string): void {
	if (/^\s*\d+-\d+-\d+/.test(text)) parseMariadbGtidList(text);
	else parseMysqlGtidSet(text);
}

/** How much of a SQL script's beginning is read for its coordinates. */
export const SCRIPT_HEAD_BYTES = 64 * 1024;

/** The coordinates a SQL script's first lines record, if they record any. */
export function startFromScriptHead(head: string): ReplayStart | undefined {
	const ours = /^-- binlog: (\S+) (\d+)$/m.exec(head);
	const ourGtid = /^-- GTID: (\S+)$/m.exec(head);
	const changeMaster = /CHANGE (?:MASTER|REPLICATION SOURCE) TO (?:MASTER|SOURCE)_LOG_FILE='([^']+)',\s*(?:MASTER|SOURCE)_LOG_POS=(\d+)/i.exec(head);
	const slavePos = /gtid_slave_pos\s*=\s*'([^']*)'/i.exec(head);
	const file = ours?.[1] ?? changeMaster?.[1];
	const position = ours?.[2] ?? changeMaster?.[2];
	const gtid = ourGtid?.[1] ?? (slavePos?.[1] || undefined);
	if (file === undefined && gtid === undefined) return undefined;
	return {file, position: position === undefined ? undefined : Number(position), gtid, source: 'the script\'s header'};
}

export function noStartPoint(artifact: string): UsageError {
	return new UsageError({
		code: 'REPLAY_NEEDS_START',
		message: `${artifact} is a SQL script that records no binlog coordinates, so the replay does not know where to start`,
		hint: 'Say where the backup was taken with --start-position FILE:POS (SHOW MASTER STATUS at the time) or --start-gtid GTID (@@gtid_binlog_pos / @@gtid_executed).',
	});
}
