/**
 * The replay's first pass: reads and checks every event from the backup's coordinates to the target
 * (CRC32, and the SHA-256 of closed files), finds the transaction to stop after, and lists what would be
 * applied. Nothing touches a server, so every refusal comes before the restore starts; --dry-run shows it.
 */
import {ProgressReporter, type EventBus} from '../../core/events.ts';
import type {DecodedEvent} from '../event/decoded.ts';
import {badFlagUse, UsageError} from '../../core/errors.ts';
import {compareBinlogNames} from '../file/binlog-dir.ts';
import {readCheckpoint} from '../stream/checkpoint.ts';
import {locateBinlogs, type BinlogCatalog} from './binlog-files.ts';
import {statementNamesDatabase, targetBeforeBackup, targetNotReached, unsupportedEvent} from './errors.ts';
import {EventSelection, statementKind} from './event-selection.ts';
import {readBinlogFile} from './file-reader.ts';
import {checkTargetAfterStart, compareSameSeries, gtidFlavor} from './target.ts';
import {TransactionWalk, type OpenTransaction} from './transaction-walk.ts';
import type {BinlogPoint, ReplayPlan, ReplayRequest, StopReason, TransactionSummary} from './types.ts';

const DEFAULT_LIST_LIMIT = 1000;

export interface PlannedReplay {
	plan: ReplayPlan;
	catalog: BinlogCatalog;
	/** the first file's FORMAT_DESCRIPTION event, to probe the target's BINLOG privilege with */
	formatDescription?: Buffer;
}

interface Draft {
	transaction: OpenTransaction;
	summary: TransactionSummary;
	bytes: number;
	applies: boolean;
	/** statements left out for having no default database */
	withoutDatabase: number;
}

export async function planReplay(request: ReplayRequest, bus: EventBus): Promise<PlannedReplay> {
	const {target, start} = request;
	const catalog = await locateBinlogs(request.binlogDir, request.storage);
	checkTargetAfterStart(target, start);
	const walk = new TransactionWalk(catalog, start);
	const selection = new EventSelection(request.filter, request.renames);
	const limit = request.listLimit ?? DEFAULT_LIST_LIMIT;
	const progress = new ProgressReporter(bus, 'binlogs checked', 'bytes');
	bus.stage('replay', `checking the binlogs in ${catalog.dir} from ${walk.firstFile}:${walk.startPosition} to ${target.text}`);

	const files: string[] = [];
	const listing: TransactionSummary[] = [];
	const counts = {transactions: 0, skipped: 0, rows: 0, statements: 0, bytes: 0, withoutDatabase: 0};
	let stop: (BinlogPoint & {gtidState?: string}) | undefined;
	let reason: StopReason | undefined;
	let draft: Draft | undefined;
	let checkedTime = false;
	let checkedFlavor = false;
	let formatDescription: Buffer | undefined;
	let lastRead = {file: walk.firstFile, end: walk.startPosition};

	const items = walk.items();
	let step = await items.next();
	for (; !step.done; step = await items.next()) {
		const {event, transaction, first, last} = step.value;
		if (files.at(-1) !== event.file) files.push(event.file);
		lastRead = {file: event.file, end: event.end};
		progress.add(event.raw.length);
		if (event.decoded.kind === 'format-description') formatDescription ??= event.raw;
		if (!checkedFlavor && walk.flavor) {
			checkedFlavor = true;
			if (target.kind === 'gtid' && gtidFlavor(target.gtid) !== walk.flavor) {
				throw badFlagUse(`${target.text} is a ${gtidFlavor(target.gtid) === 'mariadb' ? 'MariaDB' : 'MySQL'} GTID, but the binlogs come from a ${walk.flavor === 'mariadb' ? 'MariaDB' : 'MySQL'} server`);
			}
		}
		if (!transaction) continue;
		if (!checkedTime) {
			checkedTime = true;
			checkTimeAfterBackup(request, walk.lastCommitBeforeStart, bus);
		}
		stop ??= {file: walk.firstFile, position: walk.startPosition, gtidState: walk.gtidStateAtStart};
		if (first) {
			if (target.kind === 'position' && atOrAfter(transaction.file, transaction.start, target.file, target.position)) {
				reason = 'until-position';
				break;
			}
			if (target.kind === 'gtid' && transaction.gtid !== undefined) checkNotPassed(target.gtid, transaction.gtid, target.text, transaction);
			draft = {
				transaction,
				summary: {gtid: transaction.gtid, file: transaction.file, start: transaction.start, end: transaction.start, time: '', tables: {}, rows: 0, statements: 0},
				bytes: 0,
				applies: false,
				withoutDatabase: 0,
			};
		}
		const current = draft!;
		current.bytes += event.raw.length;
		if (!transaction.inBackup) noteEvent(current, event.decoded, selection, request, event.file, event.position);
		if (!last) continue;

		selection.endTransaction();
		const commitSeconds = event.decoded.header.timestamp;
		if (target.kind === 'time' && commitSeconds * 1000 >= target.epochMs) {
			reason = 'until-time';
			break;
		}
		if (target.kind === 'position' && compareSameSeries(event.file, target.file) === 0 && event.end > target.position) {
			reason = 'until-position';
			break;
		}
		current.summary.end = event.end;
		current.summary.time = new Date(commitSeconds * 1000).toISOString();
		counts.bytes += current.bytes;
		counts.withoutDatabase += current.withoutDatabase;
		if (current.applies && !transaction.inBackup) {
			counts.transactions += 1;
			counts.rows += current.summary.rows;
			counts.statements += current.summary.statements;
			if (listing.length < limit) listing.push(current.summary);
		} else {
			counts.skipped += 1;
		}
		stop = {file: event.file, position: event.end, gtid: transaction.gtid, time: current.summary.time, gtidState: walk.gtidState};
		draft = undefined;
		if (target.kind === 'gtid' && transaction.gtid === target.gtid) {
			reason = 'until-gtid';
			break;
		}
	}
	progress.finish();

	if (!checkedTime) checkTimeAfterBackup(request, walk.lastCommitBeforeStart, bus);
	stop ??= {file: walk.firstFile, position: walk.startPosition, gtidState: walk.gtidStateAtStart};
	if (reason === undefined) {
		const end = step.done ? step.value : {file: lastRead.file, end: lastRead.end, trailingBytes: 0};
		reason = await reachedAtEnd(request, catalog, end, draft);
		if (draft) {
			bus.warn(`the binlogs end inside a transaction${draft.transaction.gtid ? ` (GTID ${draft.transaction.gtid})` : ''} that starts at ${draft.transaction.file}:${draft.transaction.start}: it is not applied`, {
				code: 'BINLOG_INCOMPLETE_TRANSACTION',
			});
		}
	} else {
		await items.return({file: lastRead.file, end: lastRead.end, trailingBytes: 0});
		await verifyRestOfFile(catalog, lastRead.file, bus);
	}
	if (counts.withoutDatabase > 0) {
		bus.warn(`${counts.withoutDatabase} statement(s) ran with no default database and were left out: the replay places statements by their default database`, {
			code: 'BINLOG_STATEMENT_WITHOUT_DATABASE',
			hint: 'Statements that name their tables as db.table without a USE are not replayed; check them with `restore --dry-run` and apply them by hand.',
		});
	}
	return {
		catalog,
		formatDescription,
		plan: {
			flavor: walk.flavor ?? 'mariadb',
			files,
			start: {file: walk.firstFile, position: walk.startPosition, gtidState: walk.gtidStateAtStart ?? start.gtid},
			stop: {...stop, reason},
			transactions: counts.transactions,
			skippedTransactions: counts.skipped,
			rows: counts.rows,
			statements: counts.statements,
			bytes: counts.bytes,
			listing,
			statementsWithoutDatabase: counts.withoutDatabase,
		},
	};
}

function noteEvent(
	draft: Draft,
	event: DecodedEvent,
	selection: EventSelection,
	request: ReplayRequest,
	file: string,
	position: number,
): void {
	switch (event.kind) {
		case 'table-map':
			selection.tableMap(event);
			return;
		case 'rows': {
			if (!selection.rows(event.tableId)) return;
			const name = `${selection.targetOf(event.schema ?? '?')}.${event.table ?? '?'}`;
			draft.summary.tables[name] = (draft.summary.tables[name] ?? 0) + event.rowCount;
			draft.summary.rows += event.rowCount;
			draft.applies = true;
			return;
		}
		case 'query': {
			const kind = statementKind(event.sql);
			if (kind === 'xa') throw unsupportedEvent(file, position, 'QUERY', 'XA transactions are not replayed');
			if (kind !== 'statement') return;
			const verdict = selection.statement(event);
			if (verdict === 'no-database') draft.withoutDatabase += 1;
			if (verdict !== 'apply') return;
			const named = request.renames?.has(event.schema) ? selection.namedRenamedDatabase(event) : undefined;
			if (named !== undefined) throw statementNamesDatabase(file, position, named, request.renames!.get(named)!);
			draft.summary.statements += 1;
			draft.applies = true;
			return;
		}
		case 'xa-prepare':
			throw unsupportedEvent(file, position, 'XA_PREPARE', 'XA transactions are not replayed');
		default:
			return;
	}
}

/** true when file:position is at or after target file:position */
function atOrAfter(file: string, position: number, targetFile: string, targetPosition: number): boolean {
	const order = compareBinlogNames(file, targetFile);
	return order > 0 || (order === 0 && position >= targetPosition);
}

/** MariaDB sequence numbers grow within a domain: a later one means the target is not in these binlogs. */
function checkNotPassed(target: string, seen: string, text: string, transaction: OpenTransaction): void {
	if (gtidFlavor(target) !== 'mariadb' || gtidFlavor(seen) !== 'mariadb') return;
	const [domain, server, sequence] = target.split('-').map(BigInt);
	const [seenDomain, seenServer, seenSequence] = seen.split('-').map(BigInt);
	if (domain !== seenDomain) return;
	if (seenSequence! > sequence! || (seenSequence === sequence && seenServer !== server)) {
		throw new UsageError({
			code: 'BINLOG_TARGET_NOT_FOUND',
			message: `${text}: the binlogs pass it without that transaction: the next in domain ${domain} is ${seen} at ${transaction.file}:${transaction.start}`,
			hint: 'Check the GTID (domain-server-sequence): `restore --dry-run` lists the transactions the binlogs hold.',
		});
	}
}

function checkTimeAfterBackup(request: ReplayRequest, lastCommitBeforeStart: number | undefined, bus: EventBus): void {
	const {target, start} = request;
	if (target.kind !== 'time') return;
	if (lastCommitBeforeStart !== undefined) {
		if (lastCommitBeforeStart * 1000 >= target.epochMs) {
			throw targetBeforeBackup(
				`${target.text} is before the backup: it already contains a transaction committed at ${new Date(lastCommitBeforeStart * 1000).toISOString()} (the last one before ${start.source}'s coordinates)`,
			);
		}
		return;
	}
	if (start.takenAt !== undefined && target.epochMs < Date.parse(start.takenAt)) {
		bus.warn(`${target.text} is before the backup was taken (${start.takenAt}); the binlogs cannot show whether the backup holds changes after it`, {code: 'BINLOG_TARGET_MAYBE_BEFORE_BACKUP'});
	}
}

/** The binlogs ended before any stop condition fired: was the target reached all the same? */
async function reachedAtEnd(
	request: ReplayRequest,
	catalog: BinlogCatalog,
	end: {file: string; end: number},
	open: Draft | undefined,
): Promise<StopReason> {
	const {target} = request;
	const endsAt = `${end.file}:${end.end}`;
	switch (target.kind) {
		case 'end':
			return 'end-of-binlogs';
		case 'gtid':
			throw targetNotReached(
				open?.transaction.gtid === target.gtid
					? `${target.text}: the binlogs end (${endsAt}) in the middle of that transaction`
					: `${target.text}: the binlogs in ${catalog.dir} end at ${endsAt} without that transaction`,
			);
		case 'position':
			if (atOrAfter(end.file, end.end, target.file, target.position)) return 'until-position';
			throw targetNotReached(`${target.text}: the binlogs in ${catalog.dir} end at ${endsAt}, before it`);
		case 'time': {
			// a streamer that was following the server at that time has written everything committed before it
			const checkpoint = await readCheckpoint(catalog.target).catch(() => undefined);
			if (checkpoint && checkpoint.file === end.file && checkpoint.position <= end.end && Date.parse(checkpoint.updatedAt) >= target.epochMs) return 'until-time';
			throw targetNotReached(
				`${target.text}: the binlogs in ${catalog.dir} end at ${endsAt} with nothing at or after that time, so they may be missing transactions before it`,
				`Copy the newer binlog files into the directory (or let \`dbbackup binlog-stream\` catch up); to apply everything the directory holds, use --until-position ${endsAt}.`,
			);
		}
	}
}

/** A stop before a closed file's end leaves its SHA-256 unchecked: read the rest of it. */
async function verifyRestOfFile(catalog: BinlogCatalog, name: string, bus: EventBus): Promise<void> {
	const located = catalog.files.get(name);
	if (!located?.expected) return;
	bus.log('debug', `checking the SHA-256 of ${name} to its end`);
	const events = readBinlogFile(located, {indexFile: catalog.indexFile, mayBeOpen: false});
	while (!(await events.next()).done) {
		// every event's CRC32 is checked on the way
	}
}
