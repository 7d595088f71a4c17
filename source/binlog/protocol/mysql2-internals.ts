import type {Connection as PromiseConnection} from 'mysql2/promise';

/**
 * The parts of mysql2's connection (pinned in package.json) that the replication client uses beyond its
 * public API: a command object of our own in its queue, raw packet writes, sequence ids and flow
 * control. test/binlog/protocol/mysql2-contract.test.ts fails when an upgrade changes them.
 */
export interface IncomingPacket {
	buffer: Buffer;
	/** first payload byte */
	offset: number;
	/** end of the payload in `buffer` */
	end: number;
	isError(): boolean;
	asError(encoding?: string): Error & {code?: string; errno?: number; sqlMessage?: string};
}

export interface QueuedCommand {
	/** called with `null` when the command reaches the head of the queue, then once per packet; true = done */
	execute(packet: IncomingPacket | null, connection: Mysql2ConnectionInternals): boolean;
	/** mysql2 calls this when the connection fails while the command runs */
	onResult?(error: Error): void;
}

export interface Mysql2ConnectionInternals {
	addCommand(command: QueuedCommand): void;
	writePacket(packet: {buffer: Buffer; length(): number; writeHeader(sequenceId: number): void}): void;
	_resetSequenceId(): void;
	pause(): void;
	resume(): void;
	clientEncoding?: string;
}

export interface CoreConnection extends Mysql2ConnectionInternals {
	destroy(): void;
	on(event: 'error', listener: (error: Error) => void): void;
}

/** The callback-API connection under a mysql2/promise one (its `connection` property). */
export function coreConnection(connection: PromiseConnection): CoreConnection {
	return (connection as unknown as {connection: CoreConnection}).connection;
}
