import {formatBytes, formatCount, formatDuration} from '../../core/format.ts';
import type {BackupResult, EngineName, RestoreResult} from '../../engines/types.ts';
import type {DemoRoundTrip} from '../../services/demo-round-trip.ts';

function seconds(startedAt: string, finishedAt: string): number {
	return Math.max(0, (Date.parse(finishedAt) - Date.parse(startedAt)) / 1000);
}

export function renderBackup(engine: EngineName, result: BackupResult): string {
	const lines = [
		`Backup complete (${engine}, ${result.format}): ${result.artifact}`,
		`  ${formatBytes(result.bytes)}, ${formatCount(result.tables)} table(s), ${formatCount(result.rows)} row(s) of ${result.databases.join(', ') || 'no databases'} in ${formatDuration(seconds(result.startedAt, result.finishedAt))}`,
	];
	if (result.lockMs !== undefined) lines.push(`  writes blocked for ${result.lockMs.toFixed(1)} ms`);
	if (result.coordinates) lines.push(`  consistent at ${result.coordinates}`);
	return lines.join('\n');
}

export function renderRestore(engine: EngineName, result: RestoreResult): string {
	const into = result.databases.length > 0 ? result.databases.join(', ') : 'the databases the script names';
	const lines = [
		`Restore complete (${engine}): ${result.artifact} → ${into}`,
		`  ${result.tables > 0 ? `${formatCount(result.tables)} table(s), ${formatCount(result.rows)} row(s), ` : ''}${formatBytes(result.bytes)} of SQL in ${formatDuration(seconds(result.startedAt, result.finishedAt))}`,
	];
	if (result.failedStatements > 0) lines.push(`  ${formatCount(result.failedStatements)} statement(s) failed and were skipped (--continue-on-error); see the warnings above`);
	return lines.join('\n');
}

export function renderDemoRoundTrip(roundTrip: DemoRoundTrip): string {
	const verdict =
		roundTrip.differences.length === 0
			? `${roundTrip.restoredAs} matches ${roundTrip.database}: same definitions, same rows`
			: `${roundTrip.restoredAs} DIFFERS from ${roundTrip.database}:\n${roundTrip.differences.map((difference) => `  - ${difference}`).join('\n')}`;
	return [
		`Demo round trip (${roundTrip.dbType === 'mysql' ? 'MariaDB' : 'PostgreSQL'}): ${roundTrip.database} → archive (${formatBytes(roundTrip.bytes)}, ${formatCount(roundTrip.tables)} tables, ${formatCount(roundTrip.rows)} rows, backup ${formatDuration(roundTrip.backupSeconds)}${roundTrip.lockMs === undefined ? '' : `, writes blocked ${roundTrip.lockMs.toFixed(1)} ms`}) → ${roundTrip.restoredAs} (restore ${formatDuration(roundTrip.restoreSeconds)})`,
		`  ${verdict}`,
	].join('\n');
}
