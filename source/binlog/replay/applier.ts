/**
 * Applies the events of the walked transactions over one connection, as mariadb-binlog's output would:
 * the statement's session (SET …), its default database (USE), its INTVAR/RAND/USER_VAR context, then
 * the statement's own bytes; rows as BINLOG statements after the file's FORMAT_DESCRIPTION; BEGIN before
 * the first applied event of a transaction and COMMIT at its XID. Nothing of a transaction is sent when
 * the filter keeps none of it. Original GTIDs are not kept: the target gives each transaction its own.
 */
import type {Connection, RowDataPacket} from 'mysql2/promise';
import {WorkError} from '../../core/errors.ts';
import type {EventBus} from '../../core/events.ts';
import type {FormatDescriptionEvent, QueryEvent} from '../event/decoded.ts';
import {STMT_END_F} from '../event/decoded.ts';
import {LOG_EVENT_BINLOG_IN_USE_F} from '../event/header.ts';
import {binaryText, bytesAsText, quoteName} from './binary-text.ts';
import {binlogStatement, formatKey, renameTableMap, withStatementEnd} from './binlog-statement.ts';
import {intvarStatement, randStatement, userVarStatement, type CollationName} from './context-events.ts';
import {type EventSelection, statementKind} from './event-selection.ts';
import type {SequencedEvent} from './event-sequence.ts';
import {SessionState, sessionValues, sourceVersion, timestampValue} from './session-state.ts';
import type {WalkItem} from './transaction-walk.ts';

/** Rows of one statement are sent in BINLOG statements of about this many bytes of events. */
const ROWS_BATCH_BYTES = 4 * 1024 * 1024;

const ACCESS_DENIED = new Set(['ER_SPECIFIC_ACCESS_DENIED_ERROR', 'ER_ACCESS_DENIED_ERROR', 'ER_DBACCESS_DENIED_ERROR']);

export interface ApplyCounts {
	transactions: number;
	rows: number;
	statements: number;
}

interface RowsBatch {
	events: Buffer[];
	bytes: number;
	/** rows events in it (table maps alone need not be sent) */
	rowsEvents: number;
	format: FormatDescriptionEvent;
	/** the last kept rows event and where it is in `events`, for the statement end flag */
	lastRows?: {index: number; event: SequencedEvent};
}

export class ReplayApplier {
	readonly counts: ApplyCounts = {transactions: 0, rows: 0, statements: 0};
	readonly #session = new SessionState();
	readonly #collations = new Map<number, CollationName>();
	#database: string | undefined;
	#formatSent: string | undefined;
	#format: {event: SequencedEvent; key: string} | undefined;
	#pseudoThreadId: number | undefined;
	#pseudoThreadIdAllowed = true;
	/** the transaction is BEGIN … COMMIT (not one statement on its own) */
	#multi = false;
	#opened = false;
	#applied = false;
	#context: Array<() => Promise<string>> = [];
	#batch: RowsBatch | undefined;
	/** the TABLE_MAPs of the statement whose rows are being batched */
	#statementMaps: Buffer[] = [];
	/** where the current event is, for error messages */
	#at: SequencedEvent | undefined;
	#lastApplied: string | undefined;

	constructor(
		private readonly connection: Connection,
		private readonly selection: EventSelection,
		private readonly bus: EventBus,
	) {}

	/** Session settings for the whole replay. */
	async prepare(options: {binlog: boolean}): Promise<void> {
		if (!options.binlog) await this.#run('SET @@session.sql_log_bin = 0');
	}

	/** A file's FORMAT_DESCRIPTION: sent before the next BINLOG statement when it differs from the one sent. */
	format(event: SequencedEvent): void {
		if (event.decoded.kind !== 'format-description') return;
		this.#format = {event, key: formatKey(event.raw, event.decoded)};
	}

	async event(item: WalkItem): Promise<void> {
		const {event, transaction, first, last} = item;
		if (!transaction) return;
		this.#at = event;
		if (first) this.#startTransaction();
		if (!transaction.inBackup) await this.#apply(event);
		if (last) {
			await this.#endTransaction();
			if (this.#applied) {
				this.counts.transactions += 1;
				this.#lastApplied = `${transaction.gtid ? `GTID ${transaction.gtid} ` : ''}ending at ${event.file}:${event.end}`;
			}
		}
	}

	async #apply(sequenced: SequencedEvent): Promise<void> {
		const event = sequenced.decoded;
		switch (event.kind) {
			case 'mariadb-gtid':
				if (!event.standalone) this.#multi = true;
				return;
			case 'query':
				return this.#query(event);
			case 'intvar':
				this.#context.push(async () => intvarStatement(event));
				return;
			case 'rand':
				this.#context.push(async () => randStatement(event));
				return;
			case 'user-var':
				this.#context.push(() => userVarStatement(event, (id) => this.#collation(id)));
				return;
			case 'table-map':
				if (this.selection.tableMap(event)) {
					const target = this.selection.targetOf(event.schema);
					const map = target === event.schema ? sequenced.raw : renameTableMap(sequenced.raw, sequenced.format, target);
					this.#statementMaps.push(map);
					this.#addToBatch(map, sequenced, false);
				}
				return;
			case 'rows': {
				const ends = (event.flags & STMT_END_F) !== 0;
				if (this.selection.rows(event.tableId)) {
					this.counts.rows += event.rowCount;
					this.#addToBatch(sequenced.raw, sequenced, true);
					if (ends) await this.#flushBatch(true);
					else if (this.#batch!.bytes >= ROWS_BATCH_BYTES) await this.#flushPart(sequenced);
				} else if (ends) {
					await this.#flushBatch(true);
				}
				return;
			}
			case 'xid':
				await this.#flushBatch(true);
				if (this.#opened) await this.#run('COMMIT');
				this.#opened = false;
				return;
			default:
				return;
		}
	}

	async #query(event: QueryEvent): Promise<void> {
		switch (statementKind(event.sql)) {
			case 'begin':
				this.#multi = true;
				return;
			case 'commit':
			case 'rollback':
				await this.#flushBatch(true);
				if (this.#opened) await this.#run(bytesAsText(event.sqlBytes));
				this.#opened = false;
				return;
			case 'savepoint':
				if (this.#opened) await this.#run(bytesAsText(event.sqlBytes));
				return;
			case 'xa':
				throw new Error(`XA statement at ${this.#where()} (refused when the replay was planned)`);
			case 'statement':
				break;
		}
		if (this.selection.statement(event) !== 'apply') {
			this.#context = [];
			return;
		}
		await this.#flushBatch(true);
		await this.#setSession(event);
		await this.#open();
		if (event.schema !== '') await this.#use(this.selection.targetOf(event.schema));
		for (const statement of this.#context) await this.#run(await statement());
		this.#context = [];
		await this.#run(bytesAsText(event.sqlBytes), event.errorCode);
		this.counts.statements += 1;
	}

	#startTransaction(): void {
		this.#multi = false;
		this.#opened = false;
		this.#applied = false;
		this.#context = [];
		this.#batch = undefined;
		this.#statementMaps = [];
	}

	async #endTransaction(): Promise<void> {
		await this.#flushBatch(true);
		if (this.#opened) await this.#run('COMMIT');
		this.#opened = false;
		this.selection.endTransaction();
	}

	async #open(): Promise<void> {
		this.#applied = true;
		if (!this.#multi || this.#opened) return;
		// before BEGIN: MySQL refuses a FORMAT_DESCRIPTION's BINLOG statement inside a transaction ("The
		// system variable gtid_next cannot be set when there is an ongoing transaction"), as applying it
		// resets the session's GTID state; mysqlbinlog's output sends it first too
		await this.#sendFormat();
		await this.#run('BEGIN');
		this.#opened = true;
	}

	async #setSession(event: QueryEvent): Promise<void> {
		const version = sourceVersion(this.#format?.event.decoded.kind === 'format-description' ? this.#format.event.decoded.serverVersion : '');
		const client = event.status.charset ? (await this.#collation(event.status.charset.client)).charset : undefined;
		const values = sessionValues(event, version, client);
		const change = this.#session.changesFor(values, timestampValue(event));
		if (change) {
			await this.#run(change);
			this.#session.remember(values);
		}
		if (this.#pseudoThreadIdAllowed && this.#pseudoThreadId !== event.threadId) {
			try {
				await this.connection.query(`SET @@session.pseudo_thread_id=${event.threadId}`);
				this.#pseudoThreadId = event.threadId;
			} catch (error) {
				if (!ACCESS_DENIED.has((error as {code?: string}).code ?? '')) throw this.#failure(error, 'SET pseudo_thread_id');
				this.#pseudoThreadIdAllowed = false;
				this.bus.warn('the user may not set pseudo_thread_id: statements that read CONNECTION_ID() see the replay connection\'s own id', {code: 'BINLOG_PSEUDO_THREAD_ID_DENIED'});
			}
		}
	}

	async #use(database: string): Promise<void> {
		if (this.#database === database) return;
		await this.#run(`USE ${quoteName(binaryText(database))}`);
		this.#database = database;
	}

	/**
	 * A statement's rows past the batch size: what is batched goes as a statement of its own (the server
	 * forgets the table maps at the end of each BINLOG statement), and the next batch starts again with
	 * the statement's table maps. Row events apply row by row, so the split changes nothing they do.
	 */
	async #flushPart(event: SequencedEvent): Promise<void> {
		const maps = this.#statementMaps;
		await this.#flushBatch(true);
		this.#statementMaps = maps;
		for (const map of maps) this.#addToBatch(map, event, false);
	}

	#addToBatch(raw: Buffer, event: SequencedEvent, rows: boolean): void {
		this.#batch ??= {events: [], bytes: 0, rowsEvents: 0, format: event.format};
		this.#batch.events.push(raw);
		this.#batch.bytes += raw.length;
		if (rows) {
			this.#batch.rowsEvents += 1;
			this.#batch.lastRows = {index: this.#batch.events.length - 1, event};
		}
	}

	/** `statementEnds`: the statement is over, so the last rows event sent must say so */
	async #flushBatch(statementEnds = false): Promise<void> {
		const batch = this.#batch;
		if (statementEnds) this.#statementMaps = [];
		if (!batch || batch.rowsEvents === 0) {
			if (statementEnds) this.#batch = undefined;
			return;
		}
		const {lastRows} = batch;
		if (statementEnds && lastRows && (lastRows.event.decoded.kind !== 'rows' || (lastRows.event.decoded.flags & STMT_END_F) === 0)) {
			batch.events[lastRows.index] = withStatementEnd(batch.events[lastRows.index]!, batch.format);
		}
		this.#batch = undefined;
		await this.#open();
		await this.#sendFormat();
		await this.#run(binlogStatement(batch.events));
	}

	async #sendFormat(): Promise<void> {
		const format = this.#format;
		if (!format || this.#formatSent === format.key) return;
		// the in-use flag of an open file's copy means nothing to the server applying it
		const raw = Buffer.from(format.event.raw);
		raw[17] = raw[17]! & ~LOG_EVENT_BINLOG_IN_USE_F;
		await this.#run(binlogStatement([raw]));
		this.#formatSent = format.key;
		// MySQL: applying a FORMAT_DESCRIPTION leaves gtid_next NOT_YET_DETERMINED (an applier expects a
		// GTID event next), and the next BEGIN fails as ANONYMOUS under GTID_MODE=ON; the target gives
		// each replayed transaction a GTID of its own
		if (format.event.decoded.kind === 'format-description' && sourceVersion(format.event.decoded.serverVersion).flavor === 'mysql') {
			await this.#run("SET @@SESSION.GTID_NEXT = 'AUTOMATIC'");
		}
	}

	async #collation(id: number): Promise<CollationName> {
		const known = this.#collations.get(id);
		if (known) return known;
		const [rows] = await this.connection.query<RowDataPacket[]>('SELECT CHARACTER_SET_NAME AS charset, COLLATION_NAME AS collation FROM information_schema.COLLATIONS WHERE ID = ?', [id]);
		const text = (value: unknown) => (Buffer.isBuffer(value) ? value.toString('utf8') : String(value));
		if (rows.length === 0) throw this.#failure(new Error(`the server knows no collation with id ${id}`), 'a user variable');
		const name = {charset: text(rows[0]!.charset), collation: text(rows[0]!.collation)};
		this.#collations.set(id, name);
		return name;
	}

	async #run(sql: string, expectedError = 0): Promise<void> {
		try {
			await this.connection.query(sql);
		} catch (error) {
			if (expectedError !== 0 && (error as {errno?: number}).errno === expectedError) return;
			throw this.#failure(error, sql);
		}
		if (expectedError !== 0) {
			this.bus.warn(`${this.#where()}: the statement failed with error ${expectedError} on the source but succeeded here`, {code: 'BINLOG_EXPECTED_ERROR_MISSING'});
		}
	}

	#where(): string {
		return this.#at ? `${this.#at.file}:${this.#at.position}` : 'the start';
	}

	#failure(error: unknown, sql: string): WorkError {
		const reason = (error as {sqlMessage?: string}).sqlMessage ?? (error as Error).message ?? String(error);
		const shown = Buffer.from(sql.slice(0, 200), 'latin1').toString('utf8').replace(/\s+/g, ' ');
		return new WorkError({
			code: 'BINLOG_APPLY_FAILED',
			message: `replaying the event at ${this.#where()} failed: ${reason} (statement: ${shown}${sql.length > 200 ? '…' : ''})`,
			hint: this.#lastApplied
				? `The target holds the backup plus every transaction up to the one ${this.#lastApplied}; the failed one is rolled back as the connection closes (a DDL statement cannot be).`
				: 'No transaction of the replay was applied; the target holds the restored backup.',
			cause: error,
		});
	}
}
