import {formatBytes, formatCount, formatDuration} from '../../core/format.ts';
import type {BackupResult, EngineName, RestoreResult} from '../../engines/types.ts';
import type {DemoRoundTrip} from '../../services/demo-round-trip.ts';

function seconds(startedAt: string, finishedAt: string): number {
	return Math.max(0, (Date.parse(finishedAt) - Date.parse(startedAt)) / 1000);
}

export function renderBackup(engine: EngineName, result: BackupResult): string {
	const lines = [
		`Backup complete (${engine}, ${result.format}): ${result.artifact}`,
		result.files === undefined
			? `  ${formatBytes(result.bytes)}, ${formatCount(result.tables)} table(s), ${formatCount(result.rows)} row(s) of ${result.databases.join(', ') || 'no databases'} in ${formatDuration(seconds(result.startedAt, result.finishedAt))}`
			: `  ${formatBytes(result.bytes)}, ${formatCount(result.files)} file(s) of the whole cluster (databases: ${result.databases.join(', ') || 'not listed'}) in ${formatDuration(seconds(result.startedAt, result.finishedAt))}`,
	];
	if (result.lockMs !== undefined) lines.push(`  writes blocked for ${result.lockMs.toFixed(1)} ms`);
	if (result.coordinates) lines.push(`  consistent at ${result.coordinates}`);
	return lines.join('\n');
}

/** A physical restore: the directory, then how to start a server on it, or what the throwaway start found. */
function renderDataDirectory(engine: EngineName, result: RestoreResult, restored: NonNullable<RestoreResult['dataDirectory']>): string {
	const lines = [
		`Restore complete (${engine}): ${result.artifact} → data directory ${restored.path}`,
		`  ${formatCount(restored.files)} file(s), ${formatBytes(result.bytes)}, owned by ${restored.owner}, in ${formatDuration(seconds(result.startedAt, result.finishedAt))}; databases: ${result.databases.join(', ') || 'not recorded'}`,
	];
	for (const tablespace of restored.tablespaces) lines.push(`  tablespace ${tablespace.oid} at ${tablespace.location} (linked from pg_tblspc/${tablespace.oid})`);
	const verified = restored.verified;
	if (verified) {
		const rows = verified.databases.reduce((sum, database) => sum + database.rows, 0);
		const tables = verified.databases.reduce((sum, database) => sum + database.tables, 0);
		lines.push(
			`  verified: ${verified.server} started on it (${verified.port === undefined ? 'a private socket' : `port ${verified.port}`}, ready in ${formatDuration(verified.startSeconds)}), recovered to ${verified.position}, and stopped`,
			`  every database connected (${verified.databases.map((database) => database.name).join(', ') || 'none but the system ones'}); ${formatCount(tables)} table(s) counted${verified.checkedTables === undefined ? '' : ` and checked (CHECK TABLE)`}, ${formatCount(rows)} row(s)`,
		);
	}
	lines.push('To start a server on it:', `  ${restored.startCommand}`, ...restored.notes.map((note) => `  - ${note}`));
	return lines.join('\n');
}

export function renderRestore(engine: EngineName, result: RestoreResult): string {
	if (result.dataDirectory) return renderDataDirectory(engine, result, result.dataDirectory);
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
