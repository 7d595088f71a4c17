/** The shapes shared by the replay's modules: where it starts, where it stops, what it did. */
import type {StorageOptions} from '../../storage/target/index.ts';
import type {EventFilter} from '../stream/feed.ts';

import type {BinlogFlavor} from '../flavor.ts';

export type {BinlogFlavor};

/** Where the replay starts: the backup's coordinates, or what the user gave for a script backup. */
export interface ReplayStart {
	/** start in this file at this offset (the first event at or after it) */
	file?: string;
	position?: number;
	/** the GTID state the backup contains: transactions in it are never applied */
	gtid?: string;
	/** where this came from, for messages: "the archive's manifest", "--start-position" */
	source: string;
	/** when the backup was taken (ISO), for a --until earlier than anything the binlogs can show */
	takenAt?: string;
}

/** Exactly one of the three stop conditions; 'end' applies every complete transaction there is. */
export type ReplayTarget =
	| {kind: 'gtid'; gtid: string; text: string}
	| {kind: 'position'; file: string; position: number; text: string}
	| {kind: 'time'; epochMs: number; text: string}
	| {kind: 'end'; text: string};

export interface ReplayRequest {
	/** directory (or s3:// prefix) of binlog files (the server's own, or written by `dbbackup binlog-stream`) */
	binlogDir: string;
	/** the object store's settings, for an s3:// binlogDir */
	storage?: StorageOptions;
	start: ReplayStart;
	target: ReplayTarget;
	/** which events are applied (databases, tables); the transaction boundaries still come from all events */
	filter?: EventFilter;
	/** source database → database it was restored into (--target-db) */
	renames?: Map<string, string>;
	/** false: the replay's writes stay out of the target server's binary log */
	binlog?: boolean;
	/** how many transactions the plan lists one by one (the counts cover all of them) */
	listLimit?: number;
}

/** A point in the binlogs: the end of a transaction (or the start of the replay). */
export interface BinlogPoint {
	file: string;
	position: number;
	/** GTID of the transaction that ends here */
	gtid?: string;
	/** commit time of that transaction (ISO, whole seconds) */
	time?: string;
}

export interface TransactionSummary {
	gtid?: string;
	file: string;
	/** offset of its first event */
	start: number;
	/** offset just after its last event */
	end: number;
	/** commit event time, ISO */
	time: string;
	/** `db.table` → rows changed (update: row pairs) */
	tables: Record<string, number>;
	rows: number;
	/** statements (QUERY events) that would run, DDL included */
	statements: number;
}

export interface ReplayPlan {
	flavor: BinlogFlavor;
	/** files read, in order */
	files: string[];
	start: BinlogPoint & {gtidState?: string};
	/** the last transaction applied (or the start when none) */
	stop: BinlogPoint & {gtidState?: string; reason: StopReason};
	/** transactions with something to apply */
	transactions: number;
	/** transactions between start and stop that touch none of the replayed databases */
	skippedTransactions: number;
	rows: number;
	statements: number;
	/** bytes of the events between start and stop */
	bytes: number;
	/** the first `listLimit` transactions to apply */
	listing: TransactionSummary[];
	/** statements left out because they have no default database (the filter cannot place them) */
	statementsWithoutDatabase: number;
}

export type StopReason = 'until-gtid' | 'until-position' | 'until-time' | 'end-of-binlogs';

/** The plan's figures (after an apply: the transactions, rows and statements applied), and where and when. */
export interface ReplayResult extends ReplayPlan {
	dryRun: boolean;
	binlogDir: string;
	target: string;
	startedAt: string;
	finishedAt: string;
}
