/** What BinlogDecoder.decode returns: one shape per event kind, each with its 19-byte header decoded. */
import type {MysqlGtidSid} from '../protocol/commands.ts';
import type {ChecksumAlgorithmValue, EventHeader} from './header.ts';
import type {QueryStatus} from './query-status.ts';

interface Base {
	header: EventHeader;
}

export interface FormatDescriptionEvent extends Base {
	kind: 'format-description';
	binlogVersion: number;
	serverVersion: string;
	createTimestamp: number;
	headerLength: number;
	/** the algorithm of the events after this one (and of this one) */
	checksum: ChecksumAlgorithmValue;
	/** post-header length of each event type, indexed by type code − 1 */
	postHeaderLengths: Uint8Array;
}

export interface RotateEvent extends Base {
	kind: 'rotate';
	position: number;
	nextFile: string;
}

export {OVER_MAX_DBS, type QueryStatus} from './query-status.ts';

export interface QueryEvent extends Base {
	kind: 'query';
	threadId: number;
	executionSeconds: number;
	errorCode: number;
	schema: string;
	sql: string;
	/** the statement as the server wrote it (the client's character set, not always UTF-8) */
	sqlBytes: Buffer;
	status: QueryStatus;
}

export interface XidEvent extends Base {
	kind: 'xid';
	xid: bigint;
}

export interface TableMap {
	tableId: bigint;
	schema: string;
	table: string;
	/** binlog column types (MYSQL_TYPE_* codes) */
	columnTypes: number[];
	/** per column: the type's metadata as one number (see column-layout.ts), 0 when the type has none */
	columnMeta: number[];
	nullable: boolean[];
	flags: number;
}

export interface TableMapEvent extends Base, TableMap {
	kind: 'table-map';
}

export type RowsAction = 'insert' | 'update' | 'delete';

/** Rows event flag: the last rows event of a statement. */
export const STMT_END_F = 1;

export interface RowsEvent extends Base {
	kind: 'rows';
	action: RowsAction;
	version: 1 | 2;
	tableId: bigint;
	schema?: string;
	table?: string;
	/** rows (update: before/after pairs) in the event */
	rowCount: number;
	flags: number;
}

export interface MariadbXid {
	formatId: number;
	gtrid: Buffer;
	bqual: Buffer;
}

export interface MariadbGtidEvent extends Base {
	kind: 'mariadb-gtid';
	domainId: number;
	serverId: number;
	sequence: bigint;
	flags: number;
	/** no COMMIT/XID ends the group (DDL, non-transactional) */
	standalone: boolean;
	/** "domain-server-sequence" */
	gtid: string;
	commitId?: bigint;
	/** XA PREPARE / XA COMMIT|ROLLBACK groups */
	xid?: MariadbXid;
	/** MariaDB 10.5+ flags_extra byte, when written */
	flagsExtra?: number;
}

export interface MariadbGtid {
	domainId: number;
	serverId: number;
	sequence: bigint;
}

export interface MariadbGtidListEvent extends Base {
	kind: 'mariadb-gtid-list';
	gtids: MariadbGtid[];
	/** the high 4 bits of the count field */
	listFlags: number;
}

export interface MariadbBinlogCheckpointEvent extends Base {
	kind: 'mariadb-binlog-checkpoint';
	file: string;
}

export interface AnnotateRowsEvent extends Base {
	kind: 'annotate-rows';
	sql: string;
}

export interface MysqlGtidEvent extends Base {
	kind: 'mysql-gtid';
	/** ANONYMOUS_GTID_LOG_EVENT (gtid_mode OFF) */
	anonymous: boolean;
	flags: number;
	/** 8-4-4-4-12 lowercase */
	uuid: string;
	gno: bigint;
	/** "uuid:gno" */
	gtid: string;
	lastCommitted?: bigint;
	sequenceNumber?: bigint;
	/** microseconds since the epoch (MySQL 8.0.1+) */
	immediateCommitTimestamp?: bigint;
	originalCommitTimestamp?: bigint;
	transactionLength?: bigint;
}

export interface PreviousGtidsEvent extends Base {
	kind: 'previous-gtids';
	set: MysqlGtidSid[];
}

export interface RowsQueryEvent extends Base {
	kind: 'rows-query';
	sql: string;
}

export interface HeartbeatEvent extends Base {
	kind: 'heartbeat';
	file: string;
}

export interface IntvarEvent extends Base {
	kind: 'intvar';
	/** 1 LAST_INSERT_ID, 2 INSERT_ID */
	subtype: number;
	value: bigint;
}

export interface RandEvent extends Base {
	kind: 'rand';
	seed1: bigint;
	seed2: bigint;
}

export interface UserVarEvent extends Base {
	kind: 'user-var';
	name: string;
	isNull: boolean;
	/** the whole body as written (name, null flag, type, charset, value, flags): re-emitting it replays the event */
	raw: Buffer;
	/** 0 STRING, 1 REAL, 2 INT, 4 DECIMAL; absent when NULL */
	valueType?: number;
	charset?: number;
	value?: Buffer;
	/** 1 = UNSIGNED; absent when the server did not write it */
	valueFlags?: number;
}

export interface XaPrepareEvent extends Base {
	kind: 'xa-prepare';
	onePhase: boolean;
	formatId: number;
	gtrid: Buffer;
	bqual: Buffer;
}

export interface StopEvent extends Base {
	kind: 'stop';
}

export interface IncidentEvent extends Base {
	kind: 'incident';
	incidentType: number;
	message: string;
}

export interface OtherEvent extends Base {
	kind: 'other';
	/** eventTypeName of the header's type, or a note on why the body was not decoded */
	typeName: string;
}

export type DecodedEvent =
	| FormatDescriptionEvent
	| RotateEvent
	| QueryEvent
	| XidEvent
	| TableMapEvent
	| RowsEvent
	| MariadbGtidEvent
	| MariadbGtidListEvent
	| MariadbBinlogCheckpointEvent
	| AnnotateRowsEvent
	| MysqlGtidEvent
	| PreviousGtidsEvent
	| RowsQueryEvent
	| HeartbeatEvent
	| IntvarEvent
	| RandEvent
	| UserVarEvent
	| XaPrepareEvent
	| StopEvent
	| IncidentEvent
	| OtherEvent;

export type DecodedEventKind = DecodedEvent['kind'];
