import type {IncomingPacket, Mysql2ConnectionInternals, QueuedCommand} from './mysql2-internals.ts';
import {OutgoingPacket} from './outgoing-packet.ts';

export interface DumpCommandHandlers {
	/** one event, header to checksum, as the server sent it (a copy the caller may keep) */
	onEvent(event: Buffer): void;
	/** the server sent EOF (non-blocking dump at the end of the last binlog) */
	onEnd(): void;
	onError(error: Error): void;
}

/**
 * A command for mysql2's queue that sends one request packet (COM_BINLOG_DUMP or COM_BINLOG_DUMP_GTID)
 * and then hands on every event packet. Each packet is an OK byte (0x00) and one whole event; mysql2
 * has already joined the 16 MiB pieces of a large one.
 */
export class DumpCommand implements QueuedCommand {
	private started = false;
	private finished = false;

	constructor(
		private readonly request: Buffer,
		private readonly handlers: DumpCommandHandlers,
	) {}

	execute(packet: IncomingPacket | null, connection: Mysql2ConnectionInternals): boolean {
		if (!this.started) {
			this.started = true;
			connection._resetSequenceId();
			connection.writePacket(new OutgoingPacket(this.request, 'BinlogDump'));
			return false;
		}
		if (!packet) return false;
		const marker = packet.buffer[packet.offset];
		if (marker === 0xff) {
			this.finish(() => this.handlers.onError(packet.asError(connection.clientEncoding)));
			return true;
		}
		if (marker === 0xfe && packet.end - packet.offset < 13) {
			this.finish(() => this.handlers.onEnd());
			return true;
		}
		if (marker !== 0x00) {
			this.finish(() => this.handlers.onError(new Error(`unexpected packet in the binlog stream (first byte 0x${marker?.toString(16)})`)));
			return true;
		}
		this.handlers.onEvent(Buffer.from(packet.buffer.subarray(packet.offset + 1, packet.end)));
		return false;
	}

	onResult(error: Error): void {
		this.finish(() => this.handlers.onError(error));
	}

	private finish(report: () => void): void {
		if (this.finished) return;
		this.finished = true;
		report();
	}
}

/** A command that sends one packet and completes on the server's OK (or reports its error). */
export class SimpleCommand implements QueuedCommand {
	private started = false;

	constructor(
		private readonly request: Buffer,
		private readonly done: (error?: Error) => void,
	) {}

	execute(packet: IncomingPacket | null, connection: Mysql2ConnectionInternals): boolean {
		if (!this.started) {
			this.started = true;
			connection._resetSequenceId();
			connection.writePacket(new OutgoingPacket(this.request, 'Command'));
			return false;
		}
		if (!packet) return false;
		this.done(packet.isError() ? packet.asError(connection.clientEncoding) : undefined);
		return true;
	}

	onResult(error: Error): void {
		this.done(error);
	}
}
