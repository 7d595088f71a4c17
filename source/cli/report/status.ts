import {formatBytes, formatDuration} from '../../core/format.ts';
import type {Catalog, CatalogBackup, CatalogStream, CatalogWalStream, CatalogWork, RecoveryWindow, StreamRunState} from '../../services/catalog.ts';

/** `2026-12-07T14:03:27.512Z` → `2026-12-07 14:03:27Z`: UTC, as the backups' names give it, to the second (or the millisecond). */
function when(iso: string | undefined, milliseconds = false): string {
	if (iso === undefined) return '?';
	const time = Date.parse(iso);
	if (Number.isNaN(time)) return iso;
	const text = new Date(time).toISOString().replace('T', ' ');
	return milliseconds ? text : text.replace(/\.\d+Z$/, 'Z');
}

function cut(text: string, width: number): string {
	return text.length <= width ? text : `${text.slice(0, width - 1)}…`;
}

/** Rows as columns padded to the widest cell; the last column is not padded. */
function table(header: string[], rows: string[][]): string[] {
	const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
	const line = (cells: string[]) => `  ${cells.map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column]!))).join('  ')}`.trimEnd();
	return [line(header), ...rows.map(line)];
}

function stateOf(backup: CatalogBackup): string {
	const marks: string[] = [];
	if (backup.problem !== undefined) marks.push('UNREADABLE');
	else if (!backup.complete) marks.push(backup.format === 'archive' ? 'INCOMPLETE (no sidecar)' : 'INCOMPLETE');
	else marks.push('complete');
	if (backup.encrypted) marks.push(backup.readable ? 'encrypted' : 'encrypted (no key)');
	if (backup.pinned) marks.push('pinned');
	return marks.join(', ');
}

function databasesOf(backup: CatalogBackup): string {
	if (!backup.readable) return '?';
	const names = backup.databases ?? [];
	if (names.length === 0) return '—';
	return cut(names.join(','), 40);
}

function engineOf(backup: CatalogBackup): string {
	if (!backup.readable) return '?';
	if (backup.engine) return backup.kind ? `${backup.engine} (${backup.kind})` : backup.engine;
	return backup.writer ? cut(backup.writer.replace(/^an? /, ''), 32) : backup.format === 'sql' ? 'SQL script' : '?';
}

function renderBackups(catalog: Catalog): string[] {
	const {backups} = catalog;
	if (backups.length === 0) return [`Backups at ${catalog.location}: none`];
	const rows = backups.map((backup) => [
		`${when(backup.at, true)}${backup.atSource === 'file time' ? ' (file)' : ''}`,
		backup.name,
		engineOf(backup),
		databasesOf(backup),
		formatBytes(backup.bytes),
		stateOf(backup),
		backup.coordinates ?? (backup.readable ? '—' : '?'),
	]);
	const lines = [
		`Backups at ${catalog.location} (${backups.length}, by recorded start time)`,
		...table(['started', 'name', 'engine', 'databases', 'size', 'state', 'coordinates'], rows),
	];
	for (const backup of backups) {
		if (backup.problem !== undefined) lines.push(`  ! ${backup.name}: ${backup.problem}`);
		if (backup.lockMs !== undefined && backup.lockMs > 0) lines.push(`  ${backup.name}: writes blocked ${backup.lockMs.toFixed(1)} ms, ${when(backup.startedAt)} → ${when(backup.finishedAt)}, ${backup.compression ?? '?'}`);
	}
	return lines;
}

function renderStream(stream: CatalogStream): string[] {
	const source = stream.source ? `${stream.source.flavor} server_id ${stream.source.serverId}${stream.source.serverUuid ? ` server_uuid ${stream.source.serverUuid}` : ''} (host ${stream.source.host})` : 'server unknown';
	const lines = [`  ${stream.url}${stream.encrypted ? ' [encrypted]' : ''}: ${stream.readable ? source : 'encrypted, no key: only its file names are shown'}`];
	if (stream.firstFile === undefined) lines.push('    files: none');
	else lines.push(`    files: ${stream.firstFile} … ${stream.lastFile} (${stream.files} present${stream.readable ? `; ${stream.closedFiles} closed, ${formatBytes(stream.closedBytes)} stored` : ''})`);
	if (stream.checkpoint) {
		const checkpoint = stream.checkpoint;
		lines.push(
			`    checkpoint: ${checkpoint.file}:${checkpoint.position}${checkpoint.gtid ? `, GTID ${checkpoint.gtid}` : ''}${checkpoint.eventTime ? `, last event ${when(checkpoint.eventTime)}` : ''}, written ${formatDuration(checkpoint.ageSeconds)} ago`,
		);
	} else if (stream.readable) {
		lines.push('    checkpoint: none');
	}
	lines.push(
		stream.gaps.length === 0
			? '    gaps: none'
			: `    GAPS: ${stream.gaps.map((gap) => (gap.files === 1 ? gap.from : `${gap.from} … ${gap.to}`) + ` (${gap.files} file${gap.files === 1 ? '' : 's'} missing)`).join('; ')}`,
	);
	lines.push(renderStreamer(stream.running));
	if (stream.problem !== undefined) lines.push(`    ! ${stream.problem}`);
	return lines;
}

function renderStreamer(running: StreamRunState): string {
	const holder = [running.pid !== undefined ? `pid ${running.pid}` : '', running.host ?? ''].filter(Boolean).join(' on ');
	return `    streamer: ${running.state}${holder ? ` (${holder})` : ''}: ${running.how}`;
}

function renderWalStream(store: CatalogWalStream): string[] {
	const lines = [`  ${store.url}: ${store.systemId ? `PostgreSQL cluster ${store.systemId}, timeline ${store.timeline}${store.host ? ` (host ${store.host}, slot ${store.slot})` : ''}` : 'cluster unknown (no checkpoint)'}`];
	if (store.firstSegment === undefined) lines.push('    segments: none');
	else lines.push(`    segments: ${store.firstSegment} … ${store.lastSegment} (${store.segments} held, ${formatBytes(store.completedBytes)} stored${store.partial ? `; ${store.partial} being filled` : ''})${store.histories.length > 0 ? `, history ${store.histories.join(', ')}` : ''}`);
	lines.push(store.checkpoint ? `    checkpoint: LSN ${store.checkpoint.flushLsn} on timeline ${store.checkpoint.timeline}, written ${formatDuration(store.checkpoint.ageSeconds)} ago` : '    checkpoint: none');
	lines.push(
		store.gaps.length === 0
			? '    gaps: none'
			: `    GAPS: ${store.gaps.map((gap) => (gap.segments === 1 ? gap.from : `${gap.from} … ${gap.to}`) + ` (${gap.segments} segment${gap.segments === 1 ? '' : 's'} missing)`).join('; ')}`,
	);
	lines.push(renderStreamer(store.running));
	if (store.problem !== undefined) lines.push(`    ! ${store.problem}`);
	return lines;
}

function renderWindow(window: RecoveryWindow): string[] {
	return [
		`  ${window.dbType} ${window.database}: ${window.pointInTime ? 'any moment' : 'the backups\' moments only'} from ${when(window.earliest.at)} to ${when(window.latest.at)} (${window.backups} backup${window.backups === 1 ? '' : 's'})`,
		`    earliest: ${window.earliest.how}${window.earliest.coordinates ? ` [${window.earliest.coordinates}]` : ''}`,
		`    latest:   ${window.latest.how}${window.latest.coordinates ? ` [${window.latest.coordinates}]` : ''}`,
	];
}

function renderWork(work: CatalogWork): string {
	const state = work.running === true ? 'running' : work.running === false ? 'not running (a leftover the next backup removes)' : 'running or not: cannot tell';
	return `  ${work.name}  ${work.what}${work.bytes === undefined ? '' : `  ${formatBytes(work.bytes)}`}  ${when(work.at)}  ${state}`;
}

/** `status`: the backups, then the binlog streams, the recovery window per database, the work in progress and the notes. */
export function renderStatus(catalog: Catalog): string {
	const lines = renderBackups(catalog);
	lines.push('', catalog.streams.length === 0 ? 'Binlog streams: none' : `Binlog streams (${catalog.streams.length})`);
	for (const stream of catalog.streams) lines.push(...renderStream(stream));
	if (catalog.walStreams.length > 0) {
		lines.push('', `WAL streams (${catalog.walStreams.length})`);
		for (const store of catalog.walStreams) lines.push(...renderWalStream(store));
	}
	lines.push('', catalog.windows.length === 0 ? 'Recovery window: no complete backup to restore' : 'Recovery window');
	for (const window of catalog.windows) lines.push(...renderWindow(window));
	lines.push('', catalog.work.length === 0 ? 'Work in progress: none' : 'Work in progress');
	for (const work of catalog.work) lines.push(renderWork(work));
	for (const note of catalog.notes) lines.push(`note: ${note}`);
	return lines.join('\n');
}
