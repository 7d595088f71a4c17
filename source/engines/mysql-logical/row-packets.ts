import type {MysqlConnection} from '../../core/connect.ts';

/**
 * One text-protocol row as the server sent it: `buffer[start, end)` holds the row packet's payload, one
 * length-encoded string (or 0xFB for NULL) per column. The bytes are only valid during the call: the
 * connection reuses its read buffers.
 */
export type RowPacketHandler = (buffer: Buffer, start: number, end: number) => void;

/** the parts of mysql2's packet and query command this module relies on (mysql2 3.24, pinned) */
interface WirePacket {
	buffer: Buffer;
	offset: number;
	end: number;
	isEOF(): boolean;
}
type QueryState = (packet: WirePacket, connection: unknown) => QueryState | null;
interface QueryCommand {
	row: QueryState;
}
interface CoreConnection {
	query(options: {sql: string}, callback: (error: Error | null) => void): QueryCommand;
	pause(): void;
	resume(): void;
}

export interface RowPacketRead {
	/** stops reading from the socket (the server then blocks on its send buffer) */
	pause(): void;
	resume(): void;
	/** settles once the result set ended; rejects with the server's error or the handler's */
	done: Promise<void>;
}

/**
 * Runs `sql` and hands every row packet to `onRow` untouched. mysql2 would build a JS value per field
 * (its generated row parser and the typeCast call per field were most of a dump's CPU); the dump only
 * needs the bytes, so the query command's row state is replaced by one that passes the payload on.
 * Column definitions, EOF, errors and multi-statement handling stay mysql2's. A handler that throws
 * ends nothing early: the rest of the result set is read and dropped, then `done` rejects with that
 * error, leaving the connection usable.
 */
export function readRowPackets(connection: MysqlConnection, sql: string, onRow: RowPacketHandler): RowPacketRead {
	// the promise wrapper keeps the callback connection as `.connection`
	const core = (connection as unknown as {connection: CoreConnection}).connection;
	let failure: unknown;
	let settle!: (error: Error | null) => void;
	const done = new Promise<void>((resolve, reject) => {
		settle = (error) => {
			if (error) reject(error);
			else if (failure !== undefined) reject(failure);
			else resolve();
		};
	});
	// With a callback, mysql2 hands this command the error of a connection that dies (server killed,
	// socket reset); a command without one only gets 'error'/'end' for the server's error packets, and a
	// lost connection left `done` pending forever: the CLI ended with Node's exit 13, no message.
	const query = core.query({sql}, (error) => settle(error));
	const eofRow = query.row;
	const row: QueryState = function (this: QueryCommand, packet, wire) {
		if (packet.isEOF()) return eofRow.call(this, packet, wire);
		if (failure === undefined) {
			try {
				onRow(packet.buffer, packet.offset, packet.end);
			} catch (error) {
				failure = error;
			}
		}
		return row;
	};
	query.row = row;
	return {pause: () => core.pause(), resume: () => core.resume(), done};
}
