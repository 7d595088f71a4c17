import {formatBytes} from '../../core/format.ts';
import type {PinResult} from '../../services/retention/pin.ts';
import type {KeepReason, PruneBackup, PruneReport, PruneStream} from '../../services/retention/prune.ts';

/** `2026-12-07T14:03:27.512Z` → `2026-12-07 14:03:27.512Z` (UTC, as the buckets are) */
function when(iso: string): string {
	const time = Date.parse(iso);
	return Number.isNaN(time) ? iso : new Date(time).toISOString().replace('T', ' ');
}

function table(header: string[], rows: string[][]): string[] {
	const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
	const line = (cells: string[]) => `  ${cells.map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column]!))).join('  ')}`.trimEnd();
	return [line(header), ...rows.map(line)];
}

function reasonText(reason: KeepReason): string {
	return reason.detail === undefined ? reason.rule : `${reason.rule} ${reason.detail}`;
}

function actionOf(backup: PruneBackup, confirmed: boolean): string {
	if (backup.verdict !== 'delete') return backup.verdict;
	if (!confirmed) return 'delete';
	return backup.deleted ? 'deleted' : 'NOT deleted';
}

function whyOf(backup: PruneBackup): string {
	if (backup.verdict === 'leave') return `left alone: ${backup.leftAlone ?? 'not complete'}${backup.pinned ? ' (pinned)' : ''}`;
	return backup.reasons.map(reasonText).join(', ') || 'no rule keeps it';
}

function names(files: readonly string[]): string {
	return files.length <= 4 ? files.join(', ') : `${files[0]} … ${files.at(-1)} (${files.length} files)`;
}

function renderStream(stream: PruneStream, confirmed: boolean, what = 'closed binlog file'): string[] {
	const bytes = stream.remove.reduce((sum, file) => sum + file.bytes, 0);
	const gone = stream.remove.filter((file) => file.deleted);
	let head: string;
	if (stream.remove.length === 0) head = `no ${what.replace(/^closed /, '')} goes`;
	else if (!confirmed) head = `${stream.remove.length} ${what}${stream.remove.length === 1 ? '' : 's'} would go (${formatBytes(bytes)}): ${names(stream.remove.map((file) => file.name))}`;
	else head = `${gone.length} of ${stream.remove.length} ${what}${stream.remove.length === 1 ? '' : 's'} deleted (${formatBytes(gone.reduce((sum, file) => sum + file.bytes, 0))})${gone.length > 0 ? `: ${names(gone.map((file) => file.name))}` : ''}`;
	return [`  ${stream.url}: ${head}`, `    ${stream.why}`];
}

/** `prune`: the policy, every backup with what happens to it and why, each stream's binlog files, the totals. */
export function renderPrune(report: PruneReport): string {
	const {confirmed, totals} = report;
	const lines = [
		confirmed ? `Prune ${report.location}` : `Prune ${report.location} (dry run: nothing is deleted; --confirm deletes what is marked "delete")`,
		`Policy: ${report.policy.text}, from ${report.policy.source}`,
		`Always kept: the newest complete backup and pinned ones. Buckets: UTC days, ISO weeks, months, years; now is ${when(report.at)}`,
	];
	if (report.backups.length === 0) lines.push('Backups: none');
	else {
		const rows = report.backups.map((backup) => [`${when(backup.at)}${backup.atSource === 'file time' ? ' (file time)' : ''}`, backup.name, actionOf(backup, confirmed), formatBytes(backup.bytes), whyOf(backup)]);
		lines.push(`Backups (${report.backups.length}, newest first)`, ...table(['started', 'name', 'action', 'size', 'why'], rows));
	}
	lines.push('', report.streams.length === 0 ? 'Binlog streams: none' : `Binlog streams (${report.streams.length})`);
	for (const stream of report.streams) lines.push(...renderStream(stream, confirmed));
	if (report.walStores.length > 0) {
		lines.push('', `WAL stores (${report.walStores.length})`);
		for (const store of report.walStores) lines.push(...renderStream(store, confirmed, 'WAL segment'));
	}
	lines.push('');
	if (confirmed) {
		const gone = report.backups.filter((backup) => backup.deleted);
		const files = report.streams.flatMap((stream) => stream.remove.filter((file) => file.deleted));
		const segments = report.walStores.flatMap((store) => store.remove.filter((file) => file.deleted));
		lines.push(
			`Deleted ${gone.length} backup${gone.length === 1 ? '' : 's'} (${formatBytes(gone.reduce((sum, backup) => sum + backup.bytes, 0))}) and ${files.length} binlog file${files.length === 1 ? '' : 's'} (${formatBytes(files.reduce((sum, file) => sum + file.bytes, 0))})${segments.length > 0 ? `, ${segments.length} WAL segment${segments.length === 1 ? '' : 's'} (${formatBytes(segments.reduce((sum, file) => sum + file.bytes, 0))})` : ''}; ${totals.kept} kept, ${totals.leftAlone} left alone`,
		);
		if (report.failure) lines.push(`STOPPED: ${report.failure.message}`);
	} else {
		lines.push(
			`Would delete ${totals.deleted} backup${totals.deleted === 1 ? '' : 's'} (${formatBytes(totals.deletedBytes)}) and ${totals.binlogFiles} binlog file${totals.binlogFiles === 1 ? '' : 's'} (${formatBytes(totals.binlogBytes)})${totals.walFiles > 0 ? `, ${totals.walFiles} WAL segment${totals.walFiles === 1 ? '' : 's'} (${formatBytes(totals.walBytes)})` : ''}; ${totals.kept} kept, ${totals.leftAlone} left alone`,
		);
	}
	for (const note of report.notes) lines.push(`note: ${note}`);
	return lines.join('\n');
}

/** `pin` / `unpin`: what changed. */
export function renderPin(result: PinResult): string {
	const reason = result.record?.reason === undefined ? '' : ` (${result.record.reason})`;
	if (result.action === 'pin') {
		return result.changed
			? `Pinned ${result.backup}${reason}: prune keeps it whatever the policy (marker ${result.marker})`
			: `${result.backup} is already pinned since ${result.record?.pinnedAt ?? '?'}${reason}`;
	}
	return result.changed ? `Unpinned ${result.backup}${reason}: prune's policy applies to it again` : `${result.backup} was not pinned`;
}
