/**
 * Point-in-time replay: plan (read and check everything, find the stop) — which --dry-run shows — then
 * apply the planned transactions over one connection to the server the backup was restored into.
 */
import type {Connection, RowDataPacket} from 'mysql2/promise';
import type {ConnectionSettings} from '../../core/connection-settings.ts';
import {UsageError} from '../../core/errors.ts';
import {ProgressReporter, type EventBus} from '../../core/events.ts';
import {compareBinlogNames} from '../file/binlog-dir.ts';
import {LOG_EVENT_BINLOG_IN_USE_F} from '../event/header.ts';
import {ReplayApplier} from './applier.ts';
import {binlogStatement} from './binlog-statement.ts';
import {EventSelection} from './event-selection.ts';
import type {PlannedReplay} from './plan.ts';
import {connectForReplay} from './replay-connection.ts';
import {TransactionWalk} from './transaction-walk.ts';
import {binlogFlavorOf} from '../flavor.ts';
import type {BinlogFlavor, ReplayRequest, ReplayResult} from './types.ts';

export {planReplay, type PlannedReplay} from './plan.ts';

/** The plan as a result: what --dry-run reports. */
export function planResult(request: ReplayRequest, planned: PlannedReplay, startedAt: string): ReplayResult {
	const {plan} = planned;
	return {
		dryRun: true,
		binlogDir: planned.catalog.dir,
		target: request.target.text,
		...plan,
		startedAt,
		finishedAt: new Date().toISOString(),
	};
}

/** Applies what the plan found, stopping at its stop point; the files are read (and checked) again. */
export async function applyReplay(request: ReplayRequest, planned: PlannedReplay, settings: ConnectionSettings, bus: EventBus): Promise<ReplayResult> {
	const startedAt = new Date().toISOString();
	const {plan, catalog} = planned;
	const {stop} = plan;
	bus.stage('replay', `applying ${plan.transactions} transaction(s) from ${plan.start.file}:${plan.start.position} to ${stop.file}:${stop.position}`);
	const progress = new ProgressReporter(bus, 'binlog replay', 'bytes', plan.bytes);
	const connection = await connectForReplay(settings);
	try {
		await refuseOtherFlavor(connection, plan.flavor);
		const applier = new ReplayApplier(connection, new EventSelection(request.filter, request.renames), bus);
		await applier.prepare({binlog: request.binlog ?? true});
		const walk = new TransactionWalk(catalog, request.start);
		let file: string | undefined;
		for await (const item of walk.items()) {
			const {event, transaction, first} = item;
			if (event.file !== file) {
				file = event.file;
				bus.log('info', `replaying ${file}`, {transactionsApplied: applier.counts.transactions});
			}
			if (!transaction) {
				applier.format(event);
				continue;
			}
			if (first && !before(transaction.file, transaction.start, stop.file, stop.position)) break;
			await applier.event(item);
			progress.add(event.raw.length);
		}
		progress.finish();
		const {counts} = applier;
		if (counts.transactions !== plan.transactions) {
			bus.warn(`applied ${counts.transactions} transaction(s) where the plan counted ${plan.transactions}`, {code: 'BINLOG_REPLAY_COUNT_DIFFERS'});
		}
		bus.log('info', `replayed ${counts.transactions} transaction(s), ${counts.rows} row(s), ${counts.statements} statement(s); stopped at ${stop.file}:${stop.position}${stop.gtid ? ` after GTID ${stop.gtid}` : ''}`);
		return {
			...planResult(request, planned, startedAt),
			dryRun: false,
			transactions: counts.transactions,
			rows: counts.rows,
			statements: counts.statements,
			finishedAt: new Date().toISOString(),
		};
	} finally {
		await connection.end().catch(() => connection.destroy());
	}
}

/**
 * Checks, before anything is restored, that the server can take these binlogs: the same flavor, and the
 * privilege to run BINLOG statements (a FORMAT_DESCRIPTION alone changes nothing on the server).
 */
export async function checkReplayTarget(settings: ConnectionSettings, planned: PlannedReplay): Promise<void> {
	const connection = await connectForReplay(settings);
	try {
		await refuseOtherFlavor(connection, planned.plan.flavor);
		if (!planned.formatDescription) return;
		const probe = Buffer.from(planned.formatDescription);
		probe[17] = probe[17]! & ~LOG_EVENT_BINLOG_IN_USE_F;
		try {
			await connection.query(binlogStatement([probe]));
		} catch (error) {
			const {code, sqlMessage} = error as {code?: string; sqlMessage?: string};
			if (!/ACCESS_DENIED/.test(code ?? '')) throw error;
			throw new UsageError({
				code: 'REPLAY_NEEDS_PRIVILEGE',
				message: `${settings.user ?? 'the user'} may not run BINLOG statements, which replay the row changes: ${sqlMessage ?? (error as Error).message}`,
				hint:
					planned.plan.flavor === 'mysql'
						? 'Grant it: GRANT BINLOG_ADMIN ON *.* TO the user (MySQL 8+; or REPLICATION_APPLIER with the privileges the replayed statements need).'
						: 'Grant it: GRANT BINLOG REPLAY ON *.* TO the user (MariaDB 10.5+; SUPER before).',
			});
		}
	} finally {
		await connection.end().catch(() => connection.destroy());
	}
}

/** Row images, sql_mode bits and session flags are the source flavor's: MariaDB binlogs go into MariaDB. */
async function refuseOtherFlavor(connection: Connection, flavor: BinlogFlavor): Promise<void> {
	const [rows] = await connection.query<RowDataPacket[]>('SELECT VERSION() AS version');
	const version = rows[0]?.version;
	const text = Buffer.isBuffer(version) ? version.toString('latin1') : String(version);
	const target: BinlogFlavor = binlogFlavorOf(text);
	if (target === flavor) return;
	const name = (value: BinlogFlavor) => (value === 'mariadb' ? 'MariaDB' : 'MySQL');
	throw new UsageError({
		code: 'REPLAY_WRONG_FLAVOR',
		message: `the binlogs come from ${name(flavor)}, but the target server is ${name(target)} ${text}`,
		hint: `Replay ${name(flavor)} binlogs into a ${name(flavor)} server.`,
	});
}

function before(file: string, position: number, stopFile: string, stopPosition: number): boolean {
	const order = compareBinlogNames(file, stopFile);
	return order < 0 || (order === 0 && position < stopPosition);
}
