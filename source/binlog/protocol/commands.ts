import {PayloadWriter} from './outgoing-packet.ts';

/** Command bytes of the replication protocol. */
export const COM_BINLOG_DUMP = 0x12;
export const COM_REGISTER_SLAVE = 0x15;
export const COM_BINLOG_DUMP_GTID = 0x1e;

/** COM_BINLOG_DUMP flag: send EOF at the end of the last binlog instead of waiting for more. */
export const BINLOG_DUMP_NON_BLOCK = 0x01;
/** MariaDB COM_BINLOG_DUMP flag: send ANNOTATE_ROWS events too (without it the copy has holes where they were). */
export const BINLOG_SEND_ANNOTATE_ROWS_EVENT = 0x02;
/** COM_BINLOG_DUMP_GTID flag: the GTID set follows. */
export const BINLOG_THROUGH_GTID = 0x04;

export interface BinlogDumpRequest {
	serverId: number;
	file: string;
	position: number;
	nonBlocking?: boolean;
	/** MariaDB only */
	sendAnnotateRows?: boolean;
}

/** COM_BINLOG_DUMP: 1 command, 4 position, 2 flags, 4 server id, file name to the end. */
export function binlogDumpPayload(request: BinlogDumpRequest): Buffer {
	return new PayloadWriter()
		.u8(COM_BINLOG_DUMP)
		.u32(request.position)
		.u16((request.nonBlocking ? BINLOG_DUMP_NON_BLOCK : 0) | (request.sendAnnotateRows ? BINLOG_SEND_ANNOTATE_ROWS_EVENT : 0))
		.u32(request.serverId)
		.bytes(Buffer.from(request.file, 'utf8'))
		.build();
}

export interface RegisterReplicaRequest {
	serverId: number;
	hostname: string;
	user: string;
	port: number;
}

/** COM_REGISTER_SLAVE, so the server lists us in SHOW SLAVE HOSTS; the password field is left empty. */
export function registerReplicaPayload(request: RegisterReplicaRequest): Buffer {
	return new PayloadWriter()
		.u8(COM_REGISTER_SLAVE)
		.u32(request.serverId)
		.shortString(request.hostname.slice(0, 60))
		.shortString(request.user.slice(0, 32))
		.shortString('')
		.u16(request.port)
		.u32(0) // replication rank, unused
		.u32(0) // master id, filled in by the server
		.build();
}

/** One server UUID and its transaction number intervals, `end` exclusive as the wire format has it. */
export interface MysqlGtidSid {
	uuid: string;
	intervals: Array<{start: bigint; end: bigint}>;
}

export interface BinlogDumpGtidRequest {
	serverId: number;
	/** transactions already held: the server sends everything else */
	gtidSet: MysqlGtidSid[];
	nonBlocking?: boolean;
}

/** MySQL's COM_BINLOG_DUMP_GTID with an empty file name, position 4 and the encoded GTID set. */
export function binlogDumpGtidPayload(request: BinlogDumpGtidRequest): Buffer {
	const set = encodeMysqlGtidSet(request.gtidSet);
	return new PayloadWriter()
		.u8(COM_BINLOG_DUMP_GTID)
		.u16(BINLOG_THROUGH_GTID | (request.nonBlocking ? BINLOG_DUMP_NON_BLOCK : 0))
		.u32(request.serverId)
		.u32(0) // file name length
		.u64(4)
		.u32(set.length)
		.bytes(set)
		.build();
}

/** The binary GTID set: 8 number of sids, then per sid 16 uuid bytes, 8 interval count, intervals of 8+8. */
export function encodeMysqlGtidSet(sids: MysqlGtidSid[]): Buffer {
	const writer = new PayloadWriter().u64(sids.length);
	for (const sid of sids) {
		const uuid = Buffer.from(sid.uuid.replaceAll('-', ''), 'hex');
		if (uuid.length !== 16) throw new RangeError(`not a server UUID: ${sid.uuid}`);
		writer.bytes(uuid).u64(sid.intervals.length);
		for (const interval of sid.intervals) writer.u64(interval.start).u64(interval.end);
	}
	return writer.build();
}
