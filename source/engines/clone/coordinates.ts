/**
 * Where a clone is consistent. A clone into a DATA DIRECTORY leaves clone_status's BINLOG_FILE,
 * BINLOG_POSITION and GTID_EXECUTED empty on MySQL 9 (they are filled on a recipient that restarts on
 * its cloned data), and the copy's point is taken inside the clone, between its page copy and its redo
 * copy. So the donor's performance_schema.log_status is read just before and just after the clone: when
 * nothing committed in between they are the copy's coordinates exactly; otherwise the copy's point lies
 * between the two, and the manifest records that range rather than a point it cannot vouch for (a
 * server started on the restored copy reports its exact GTID set).
 */
import type {RowDataPacket} from 'mysql2/promise';
import type {MysqlConnection} from '../../core/connect.ts';
import {describeCoordinates as describePoint} from '../mysql-logical/consistency.ts';
import type {CloneStatus} from './status.ts';

export interface LogStatus {
	gtid: string;
	binlogFile?: string;
	binlogPosition?: number;
	lsn?: number;
}

export interface CloneCoordinates extends Record<string, unknown> {
	binlogFile?: string;
	binlogPosition?: number;
	gtid?: string;
	innodbLsn?: number;
	/** false: commits ran during the clone; the copy's point lies between the *Before and *After values */
	exact: boolean;
	gtidBefore?: string;
	gtidAfter?: string;
	binlogBefore?: string;
	binlogAfter?: string;
	/** where they were read */
	source: 'clone_status' | 'log_status';
}

type JsonObject = Record<string, unknown>;

function asObject(value: unknown): JsonObject {
	if (typeof value === 'string') {
		try {
			return asObject(JSON.parse(value));
		} catch {
			return {};
		}
	}
	return value !== null && typeof value === 'object' ? (value as JsonObject) : {};
}

/** performance_schema.log_status (BACKUP_ADMIN): binlog file, position and gtid_executed read together, and the InnoDB LSN. */
export async function readLogStatus(connection: MysqlConnection): Promise<LogStatus> {
	const [rows] = await connection.query<RowDataPacket[]>('SELECT LOCAL AS local, STORAGE_ENGINES AS engines FROM performance_schema.log_status');
	const local = asObject(rows[0]?.local);
	const innodb = asObject(asObject(rows[0]?.engines).InnoDB);
	const status: LogStatus = {gtid: String(local.gtid_executed ?? '').replace(/\s+/g, '')};
	if (typeof local.binary_log_file === 'string' && local.binary_log_file !== '') {
		status.binlogFile = local.binary_log_file;
		status.binlogPosition = Number(local.binary_log_position ?? 0);
	}
	if (innodb.LSN !== undefined) status.lsn = Number(innodb.LSN);
	return status;
}

function position(status: LogStatus): string | undefined {
	return status.binlogFile === undefined ? undefined : `${status.binlogFile}:${status.binlogPosition}`;
}

export function cloneCoordinates(before: LogStatus, after: LogStatus, status?: CloneStatus): CloneCoordinates {
	// a server that fills clone_status for a directory clone knows the point exactly
	if (status && (status.binlogFile !== '' || status.gtidExecuted !== '')) {
		return {
			...(status.binlogFile === '' ? {} : {binlogFile: status.binlogFile, binlogPosition: status.binlogPosition}),
			...(status.gtidExecuted === '' ? {} : {gtid: status.gtidExecuted}),
			exact: true,
			source: 'clone_status',
		};
	}
	if (before.gtid === after.gtid && position(before) === position(after)) {
		return {
			...(after.binlogFile === undefined ? {} : {binlogFile: after.binlogFile, binlogPosition: after.binlogPosition}),
			...(after.gtid === '' ? {} : {gtid: after.gtid}),
			exact: true,
			source: 'log_status',
		};
	}
	return {
		exact: false,
		...(before.gtid === '' ? {} : {gtidBefore: before.gtid}),
		...(after.gtid === '' ? {} : {gtidAfter: after.gtid}),
		...(position(before) === undefined ? {} : {binlogBefore: position(before)}),
		...(position(after) === undefined ? {} : {binlogAfter: position(after)}),
		source: 'log_status',
	};
}

export function describeCloneCoordinates(coordinates: Record<string, unknown>): string {
	if (coordinates.exact === false) {
		const from = [coordinates.binlogBefore, coordinates.gtidBefore && `GTID ${String(coordinates.gtidBefore)}`].filter(Boolean).join(', ');
		const to = [coordinates.binlogAfter, coordinates.gtidAfter && `GTID ${String(coordinates.gtidAfter)}`].filter(Boolean).join(', ');
		return `between ${from || 'unknown'} and ${to || 'unknown'} (commits ran during the clone)`;
	}
	const point = describePoint({
		binlogFile: typeof coordinates.binlogFile === 'string' ? coordinates.binlogFile : undefined,
		binlogPosition: typeof coordinates.binlogPosition === 'number' ? coordinates.binlogPosition : undefined,
		gtid: typeof coordinates.gtid === 'string' ? coordinates.gtid : undefined,
	});
	return typeof coordinates.innodbLsn === 'number' ? `${point}, InnoDB LSN ${coordinates.innodbLsn}` : point;
}
