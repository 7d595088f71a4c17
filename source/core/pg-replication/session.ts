/**
 * Replication commands on a `pg` connection opened with `replication` set (a walsender): IDENTIFY_SYSTEM,
 * slots, BASE_BACKUP (CopyOut), START_REPLICATION (CopyBoth), TIMELINE_HISTORY. `pg` (pinned) does the
 * connecting and authentication; for each command this module takes the socket's bytes over, as
 * pg-copy-streams does for COPY, and reads the protocol's messages itself: result sets, CopyOut and
 * CopyBoth with their CopyData, which pg cannot handle. At an ErrorResponse or ReadyForQuery the bytes
 * go back to pg, which ends the command (its error, then the next query). The contract test
 * (test/core/pg-replication.test.ts) holds this to the pinned pg's internals.
 */
import type pg from 'pg';
import {connectPostgres} from '../connect.ts';
import type {ConnectionSettings} from '../connection-settings.ts';
import {MessageBuffer} from './message-buffer.ts';

/** the parts of pg's connection this module relies on (pg 8.23, pinned) */
interface PgConnection {
	stream: NodeJS.EventEmitter & {pause(): void; resume(): void; destroy(error?: Error): void; listeners(event: 'data'): Array<(chunk: Buffer) => void>};
	query(text: string): void;
	sendCopyFromChunk(chunk: Buffer): void;
	endCopyFrom(): void;
}

export interface ResultSet {
	columns: string[];
	rows: Array<Array<string | null>>;
}

export interface CommandHandlers {
	/** a CopyOut (BASE_BACKUP) or CopyBoth (START_REPLICATION) starts; `resultSets`: those the command sent before it (BASE_BACKUP: the start position, the tablespaces) */
	onCopyStart?(kind: 'out' | 'both', resultSets: readonly ResultSet[]): void;
	/** one CopyData message's payload (valid during the call, and until the promise it returns settles); a returned promise holds the reading until it settles */
	onCopyData?(payload: Buffer): void | Promise<void>;
	/** the server ended its side of the copy */
	onCopyDone?(): void;
}

const CODE = {
	rowDescription: 0x54, // T
	dataRow: 0x44, // D
	commandComplete: 0x43, // C
	copyOut: 0x48, // H
	copyBoth: 0x57, // W
	copyData: 0x64, // d
	copyDone: 0x63, // c
	error: 0x45, // E
	readyForQuery: 0x5a, // Z
	notice: 0x4e, // N
	parameterStatus: 0x53, // S
	emptyQuery: 0x49, // I
} as const;

/** One replication command, submitted to pg's query queue; it reads the socket itself until the command ends. */
class ReplicationCommand {
	readonly resultSets: ResultSet[] = [];
	readonly done: Promise<ResultSet[]>;
	private connection!: PgConnection;
	private pgDataHandler!: (chunk: Buffer) => void;
	private readonly buffer = new MessageBuffer();
	private waiting = false;
	private detached = false;
	private failure: unknown;
	private resolve!: (sets: ResultSet[]) => void;
	private reject!: (error: unknown) => void;
	private readonly onData = (chunk: Buffer) => {
		this.buffer.push(chunk);
		this.parse();
	};

	constructor(
		readonly text: string,
		private readonly handlers: CommandHandlers,
	) {
		this.done = new Promise((resolve, reject) => {
			this.resolve = resolve;
			this.reject = reject;
		});
		// pg settles the command through handleError/handleReadyForQuery; a rejection nobody awaited yet must not crash
		this.done.catch(() => undefined);
	}

	get pgConnection(): PgConnection {
		return this.connection;
	}

	/** called by pg when the command's turn comes */
	submit(connection: PgConnection): void {
		this.connection = connection;
		const socket = connection.stream;
		const listeners = socket.listeners('data');
		if (listeners.length !== 1) throw new Error(`replication command: expected pg's one socket reader, found ${listeners.length} (pg's internals changed?)`);
		this.pgDataHandler = listeners[0]!;
		socket.removeListener('data', this.pgDataHandler);
		socket.on('data', this.onData);
		connection.query(this.text);
	}

	private parse(): void {
		while (!this.waiting && !this.detached) {
			if (this.buffer.length < 5) return;
			const code = this.buffer.byteAt(0);
			if (code === CODE.error || code === CODE.readyForQuery) {
				this.detach();
				return;
			}
			const end = 1 + this.buffer.uint32At(1);
			if (this.buffer.length < end) return;
			this.buffer.skip(5);
			const body = this.buffer.take(end - 5);
			let pending: void | Promise<void>;
			try {
				pending = this.dispatch(code, body);
			} catch (error) {
				this.fail(error);
				return;
			}
			if (pending) {
				this.waiting = true;
				this.connection.stream.pause();
				pending.then(
					() => {
						this.waiting = false;
						this.connection.stream.resume();
						this.parse();
					},
					(error: unknown) => this.fail(error),
				);
			}
		}
	}

	private dispatch(code: number, body: Buffer): void | Promise<void> {
		switch (code) {
			case CODE.copyData:
				return this.handlers.onCopyData?.(body);
			case CODE.rowDescription:
				this.resultSets.push({columns: readRowDescription(body), rows: []});
				return;
			case CODE.dataRow:
				this.resultSets.at(-1)?.rows.push(readDataRow(body));
				return;
			case CODE.copyOut:
				this.handlers.onCopyStart?.('out', this.resultSets);
				return;
			case CODE.copyBoth:
				this.handlers.onCopyStart?.('both', this.resultSets);
				return;
			case CODE.copyDone:
				this.handlers.onCopyDone?.();
				return;
			default:
				// CommandComplete, NoticeResponse, ParameterStatus, EmptyQueryResponse: nothing to act on
				return;
		}
	}

	/** A handler failed: the server may be mid-copy, so the connection goes (a walsender cannot be told to stop a CopyOut). */
	private fail(error: unknown): void {
		this.failure ??= error;
		this.detached = true;
		this.connection.stream.removeListener('data', this.onData);
		this.connection.stream.destroy(error instanceof Error ? error : new Error(String(error)));
		// no ReadyForQuery comes on a destroyed socket
		this.reject(error);
	}

	/** Hands the socket back to pg from the ErrorResponse or ReadyForQuery on, which pg reads and settles us with. */
	private detach(): void {
		this.detached = true;
		const socket = this.connection.stream;
		socket.removeListener('data', this.onData);
		socket.on('data', this.pgDataHandler);
		const rest = this.buffer.drain();
		if (rest.length > 0) this.pgDataHandler(rest);
		socket.resume();
	}

	/**
	 * pg: the server's ErrorResponse (pg then drops us as its active query: no ReadyForQuery reaches us,
	 * and the next command waits for it), or the connection's end.
	 */
	handleError(error: Error): void {
		this.failure ??= error;
		if (!this.detached) {
			this.detached = true;
			this.connection?.stream.removeListener('data', this.onData);
		}
		this.reject(this.failure);
	}

	/** pg: ReadyForQuery, the command's end */
	handleReadyForQuery(): void {
		if (this.failure !== undefined) this.reject(this.failure);
		else this.resolve(this.resultSets);
	}
}

function readRowDescription(body: Buffer): string[] {
	const count = body.readUInt16BE(0);
	const names: string[] = [];
	let at = 2;
	for (let index = 0; index < count; index++) {
		const end = body.indexOf(0, at);
		names.push(body.toString('utf8', at, end));
		at = end + 1 + 18;
	}
	return names;
}

function readDataRow(body: Buffer): Array<string | null> {
	const count = body.readUInt16BE(0);
	const values: Array<string | null> = [];
	let at = 2;
	for (let index = 0; index < count; index++) {
		const length = body.readInt32BE(at);
		at += 4;
		if (length < 0) {
			values.push(null);
			continue;
		}
		values.push(body.toString('utf8', at, at + length));
		at += length;
	}
	return values;
}

/** A walsender connection: replication commands run one at a time, each read by this module. */
export class ReplicationSession {
	private current: ReplicationCommand | undefined;

	private constructor(readonly client: pg.Client) {}

	/** `physical`: replication=true (START_REPLICATION, BASE_BACKUP); `database`: replication=database (those and SQL). */
	static async open(settings: ConnectionSettings, mode: 'physical' | 'database' = 'database'): Promise<ReplicationSession> {
		const client = await connectPostgres(settings, {replication: mode === 'physical' ? true : 'database'});
		return new ReplicationSession(client);
	}

	/** Runs a replication command to its end: its result sets, with the copy's messages handed to `handlers` as they come. */
	async command(text: string, handlers: CommandHandlers = {}): Promise<ResultSet[]> {
		const command = new ReplicationCommand(text, handlers);
		this.current = command;
		try {
			this.client.query(command as unknown as pg.Submittable);
			return await command.done;
		} finally {
			this.current = undefined;
		}
	}

	/** During a CopyBoth (START_REPLICATION): one CopyData message to the server (a standby status update). */
	sendCopyData(payload: Buffer): void {
		if (!this.current) throw new Error('no replication command is running');
		this.current.pgConnection.sendCopyFromChunk(payload);
	}

	/** During a CopyBoth: ends the client's side; the server answers with its CopyDone and ends the command. */
	endCopy(): void {
		if (!this.current) throw new Error('no replication command is running');
		this.current.pgConnection.endCopyFrom();
	}

	/** IDENTIFY_SYSTEM: the cluster's id, its current timeline, and the WAL position flushed so far. */
	async identifySystem(): Promise<{systemId: string; timeline: number; xlogpos: string; dbname: string | null}> {
		const [set] = await this.command('IDENTIFY_SYSTEM');
		const row = set?.rows[0];
		if (!row) throw new Error('IDENTIFY_SYSTEM returned no row');
		return {systemId: row[0]!, timeline: Number(row[1]), xlogpos: row[2]!, dbname: row[3] ?? null};
	}

	async end(): Promise<void> {
		await this.client.end().catch(() => undefined);
	}
}
