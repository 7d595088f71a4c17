/**
 * The status-variable block of a QUERY event: one code byte, then a value whose size the code decides.
 * Sizes from MySQL's statement_events.cpp and MariaDB's log_event.cc. Servers write codes in growing order
 * and both readers stop at the first code they do not know, so do we (status.unparsedFrom).
 */
import {BodyReader} from './body-reader.ts';

/** Q_UPDATED_DB_NAMES when the statement touched more databases than the server lists. */
export const OVER_MAX_DBS = 'OVER_MAX_DBS';

/** The status variables of a QUERY event, each present only when the server wrote it. */
export interface QueryStatus {
	flags2?: number;
	sqlMode?: bigint;
	catalog?: string;
	autoIncrement?: {increment: number; offset: number};
	/** collation ids */
	charset?: {client: number; connection: number; server: number};
	timeZone?: string;
	lcTimeNames?: number;
	charsetDatabase?: number;
	tableMapForUpdate?: bigint;
	masterDataWritten?: number;
	invoker?: {user: string; host: string};
	updatedDbNames?: string[] | typeof OVER_MAX_DBS;
	microseconds?: number;
	explicitDefaultsForTimestamp?: boolean;
	ddlLoggedWithXid?: bigint;
	defaultCollationForUtf8mb4?: number;
	sqlRequirePrimaryKey?: number;
	defaultTableEncryption?: number;
	/** MySQL 8.4+ (code 21) */
	enableCascadeTriggers?: number;
	/** MariaDB Q_HRNOW: microseconds of the statement's start */
	hrnow?: number;
	/** MariaDB Q_XID: the xid of a DDL */
	xid?: bigint;
	/** MariaDB Q_GTID_FLAGS3 (10.8+ replicated ALTER): extra GTID flags, and the START ALTER's sequence */
	gtidFlags3?: {flags: number; startAlterSequence?: bigint};
	/** the first status code this decoder does not know: the codes after it were not read */
	unparsedFrom?: number;
}

export const QueryStatusCode = {
	FLAGS2: 0,
	SQL_MODE: 1,
	/** MySQL 5.0.0–5.0.3: length, string, NUL */
	CATALOG: 2,
	AUTO_INCREMENT: 3,
	CHARSET: 4,
	TIME_ZONE: 5,
	CATALOG_NZ: 6,
	LC_TIME_NAMES: 7,
	CHARSET_DATABASE: 8,
	TABLE_MAP_FOR_UPDATE: 9,
	MASTER_DATA_WRITTEN: 10,
	INVOKER: 11,
	UPDATED_DB_NAMES: 12,
	MICROSECONDS: 13,
	// 14 Q_COMMIT_TS and 15 Q_COMMIT_TS2 are reserved: no server writes them, MySQL's reader stops there
	EXPLICIT_DEFAULTS_FOR_TIMESTAMP: 16,
	DDL_LOGGED_WITH_XID: 17,
	DEFAULT_COLLATION_FOR_UTF8MB4: 18,
	SQL_REQUIRE_PRIMARY_KEY: 19,
	DEFAULT_TABLE_ENCRYPTION: 20,
	ENABLE_CASCADE_TRIGGERS: 21,
	MARIADB_HRNOW: 128,
	MARIADB_XID: 129,
	MARIADB_GTID_FLAGS3: 130,
} as const;

/** MySQL's MAX_DBS_IN_EVENT_MTS: a larger count means "too many", with no names following. */
const MAX_DBS_IN_EVENT = 16;
/** MariaDB Gtid_log_event::FL_COMMIT_ALTER_E1 | FL_ROLLBACK_ALTER_E1: the START ALTER's sequence follows */
const GTID_FLAGS3_WITH_ALTER_SEQUENCE = 4 | 8;

/** Reads `length` bytes of status variables at the reader's position; leaves the reader after the block. */
export function readQueryStatus(reader: BodyReader, length: number): QueryStatus {
	reader.need(length, 'status variables block');
	const end = reader.pos + length;
	// a sub-reader over the block only, so a variable cannot run into the schema name
	const block = new BodyReader(reader.body.subarray(reader.pos, end), reader.header);
	reader.pos = end;
	const status: QueryStatus = {};
	while (block.remaining > 0) {
		const code = block.u8('status variable code');
		const name = `status variable ${code}`;
		switch (code) {
			case QueryStatusCode.FLAGS2:
				status.flags2 = block.u32(name);
				break;
			case QueryStatusCode.SQL_MODE:
				status.sqlMode = block.u64(name);
				break;
			case QueryStatusCode.CATALOG: {
				const catalogLength = block.u8(name);
				status.catalog = block.string(catalogLength, name);
				block.skip(1, name);
				break;
			}
			case QueryStatusCode.AUTO_INCREMENT:
				status.autoIncrement = {increment: block.u16(name), offset: block.u16(name)};
				break;
			case QueryStatusCode.CHARSET:
				status.charset = {client: block.u16(name), connection: block.u16(name), server: block.u16(name)};
				break;
			case QueryStatusCode.TIME_ZONE:
				status.timeZone = block.string(block.u8(name), name);
				break;
			case QueryStatusCode.CATALOG_NZ:
				status.catalog = block.string(block.u8(name), name);
				break;
			case QueryStatusCode.LC_TIME_NAMES:
				status.lcTimeNames = block.u16(name);
				break;
			case QueryStatusCode.CHARSET_DATABASE:
				status.charsetDatabase = block.u16(name);
				break;
			case QueryStatusCode.TABLE_MAP_FOR_UPDATE:
				status.tableMapForUpdate = block.u64(name);
				break;
			case QueryStatusCode.MASTER_DATA_WRITTEN:
				status.masterDataWritten = block.u32(name);
				break;
			case QueryStatusCode.INVOKER: {
				const user = block.string(block.u8(name), name);
				status.invoker = {user, host: block.string(block.u8(name), name)};
				break;
			}
			case QueryStatusCode.UPDATED_DB_NAMES: {
				const count = block.u8(name);
				if (count > MAX_DBS_IN_EVENT) {
					status.updatedDbNames = OVER_MAX_DBS;
					break;
				}
				const names: string[] = [];
				for (let index = 0; index < count; index++) names.push(block.nulTerminated(name));
				status.updatedDbNames = names;
				break;
			}
			case QueryStatusCode.MICROSECONDS:
				status.microseconds = block.u24(name);
				break;
			case QueryStatusCode.EXPLICIT_DEFAULTS_FOR_TIMESTAMP:
				status.explicitDefaultsForTimestamp = block.u8(name) !== 0;
				break;
			case QueryStatusCode.DDL_LOGGED_WITH_XID:
				status.ddlLoggedWithXid = block.u64(name);
				break;
			case QueryStatusCode.DEFAULT_COLLATION_FOR_UTF8MB4:
				status.defaultCollationForUtf8mb4 = block.u16(name);
				break;
			case QueryStatusCode.SQL_REQUIRE_PRIMARY_KEY:
				status.sqlRequirePrimaryKey = block.u8(name);
				break;
			case QueryStatusCode.DEFAULT_TABLE_ENCRYPTION:
				status.defaultTableEncryption = block.u8(name);
				break;
			case QueryStatusCode.ENABLE_CASCADE_TRIGGERS:
				status.enableCascadeTriggers = block.u8(name);
				break;
			case QueryStatusCode.MARIADB_HRNOW:
				status.hrnow = block.u24(name);
				break;
			case QueryStatusCode.MARIADB_XID:
				status.xid = block.u64(name);
				break;
			case QueryStatusCode.MARIADB_GTID_FLAGS3: {
				const flags = block.u8(name);
				status.gtidFlags3 =
					flags & GTID_FLAGS3_WITH_ALTER_SEQUENCE ? {flags, startAlterSequence: block.u64(name)} : {flags};
				break;
			}
			default:
				status.unparsedFrom = code;
				return status;
		}
	}
	return status;
}
