import type {DetectedEnvironment, Fact} from '../../core/detect/types.ts';
import {describeFlavor, dbTypeLabel} from '../../core/detect/describe.ts';
import {formatBytes} from '../../core/format.ts';

/** The detection report as plain text (stdout of `dbbackup detect --yes`). */
export function renderEnvironment(env: DetectedEnvironment): string {
	const lines: string[] = [];
	const title = dbTypeLabel(env.dbType);
	lines.push(`Database Information — ${title} at ${env.connection.target} (user ${env.connection.user})`);
	const row = <T>(label: string, fact: Fact<T>, show: (value: T) => string) => {
		const text = fact.known ? `${show(fact.value)}   [${fact.source}]` : `unknown — ${fact.reason}`;
		lines.push(`  ${label.padEnd(14)} ${text}`);
	};
	row('Version', env.version, (v) => v.text);
	if (env.dbType === 'mysql') row('Flavor', env.flavor, describeFlavor);
	row('Data Size', env.dataSize, (size) => `${formatBytes(size.totalBytes)} in ${size.databases.length} database(s)`);
	if (env.dataSize.known) {
		for (const db of env.dataSize.value.databases) {
			const tables = db.tables === undefined ? '' : `, ${db.tables} table(s)`;
			lines.push(`  ${''.padEnd(14)}   ${db.name}: ${formatBytes(db.bytes)}${tables}`);
		}
	}
	if (env.dbType === 'mysql') {
		row('Clone Plugin', env.clonePlugin, (state) => state);
		row('Binlog', env.binlog, (b) =>
			b.enabled
				? ['on', b.format, b.checksum && `checksum ${b.checksum}`, b.file && `at ${b.file}:${b.position}`].filter(Boolean).join(', ')
				: 'off',
		);
		row('GTID', env.gtid, (g) => `${g.mode}${g.position ? `, position ${g.position}` : ''}`);
		row('Datadir', env.datadir, (d) => d);
	} else {
		row('wal_level', env.walLevel, (w) => w);
		if (env.walSenders) row('WAL senders', env.walSenders, (w) => `${w.used} of max_wal_senders ${w.max} in use`);
		row('Data Dir', env.dataDirectory, (d) => d);
	}
	row('Local', env.local, (local) => (local ? 'yes (the data directory is on this machine)' : 'no'));
	row('Filesystem', env.filesystem, (fs) => `${fs.fsType} on ${fs.mountPoint} (${fs.device})`);
	row('Snapshot', env.snapshot, (s) => (s.capable ? `yes, ${s.backend} ${s.target ?? ''} — ${s.reason}` : `no — ${s.reason}`));
	row('Privileges', env.privileges, (p) =>
		Object.entries(p.perEngine)
			.map(([engine, state]) => (state.ok ? `${engine} ok` : `${engine} lacks ${state.missing.join(', ')}`))
			.join('; '),
	);
	return lines.join('\n');
}
