import type {ReplayResult, TransactionSummary} from '../../binlog/replay/types.ts';
import {formatBytes, formatCount} from '../../core/format.ts';
import type {EngineName, RestoreResult} from '../../engines/types.ts';
import {renderRestore} from './work.ts';

const STOP_REASONS: Record<ReplayResult['stop']['reason'], string> = {
	'until-gtid': 'the target GTID',
	'until-position': 'the target position',
	'until-time': 'the target time',
	'end-of-binlogs': 'the end of the binlogs',
};

function point(file: string, position: number): string {
	return `${file}:${position}`;
}

function transactionLine(transaction: TransactionSummary): string {
	const tables = Object.entries(transaction.tables).map(([table, rows]) => `${table} ${formatCount(rows)}`);
	const statements = transaction.statements > 0 ? [`${transaction.statements} statement(s)`] : [];
	return `  ${transaction.gtid ?? '-'}  ${transaction.time}  ${transaction.file}:${transaction.start}-${transaction.end}  ${[...tables, ...statements].join(', ') || '(nothing)'}`;
}

export function renderReplay(replay: ReplayResult): string {
	const {stop} = replay;
	const stopAt = `${point(stop.file, stop.position)}${stop.gtid ? `, GTID ${stop.gtid}` : ''}${stop.time ? `, ${stop.time}` : ''}`;
	const lines = [
		`${replay.dryRun ? 'Replay plan (dry run, nothing applied)' : 'Binlog replay complete'}: ${replay.binlogDir} from ${point(replay.start.file, replay.start.position)} to ${replay.target}`,
		`  ${formatCount(replay.transactions)} transaction(s)${replay.dryRun ? ' to apply' : ' applied'}, ${formatCount(replay.rows)} row(s), ${formatCount(replay.statements)} statement(s), ${formatBytes(replay.bytes)} of binlog in ${replay.files.length} file(s)`,
		`  stopped at ${STOP_REASONS[stop.reason]}: ${stopAt}`,
	];
	if (stop.gtidState) lines.push(`  source GTID position there: ${stop.gtidState}`);
	if (replay.skippedTransactions > 0) lines.push(`  ${formatCount(replay.skippedTransactions)} transaction(s) about other databases left out`);
	if (replay.statementsWithoutDatabase > 0) lines.push(`  ${formatCount(replay.statementsWithoutDatabase)} statement(s) without a default database left out`);
	if (replay.dryRun) {
		lines.push('Transactions (GTID, commit time, file:start-end, changes):');
		lines.push(...replay.listing.map(transactionLine));
		if (replay.listing.length < replay.transactions) lines.push(`  … and ${formatCount(replay.transactions - replay.listing.length)} more`);
	}
	return lines.join('\n');
}

export function renderPointInTime(engine: EngineName | undefined, restore: RestoreResult | undefined, replay: ReplayResult): string {
	return [...(engine && restore ? [renderRestore(engine, restore)] : []), renderReplay(replay)].join('\n');
}
