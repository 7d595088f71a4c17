import {formatBytes, formatCount} from '../../core/format.ts';
import type {ArtifactContents} from '../../services/restore.ts';

/** `restore ARTIFACT --list`: what the backup holds, as pg_restore -l shows a dump's table of contents. */
export function renderArtifactContents({summary, tables, members, physical}: ArtifactContents): string {
	const lines: string[] = [];
	if (summary.kind === 'sql') {
		lines.push(`SQL script ${summary.path} (${formatBytes(summary.bytes)}${summary.compression && summary.compression !== 'none' ? `, ${summary.compression}` : ''})`);
		lines.push('  a script lists no members; restore it to see what it creates');
		return lines.join('\n');
	}
	lines.push(`Archive ${summary.path} (${summary.engine}, ${summary.dbType} ${summary.serverVersion ?? ''}`.trimEnd() + `, ${summary.compression}, ${formatBytes(summary.bytes)})`);
	if (summary.startedAt) lines.push(`  taken ${summary.startedAt} → ${summary.finishedAt ?? '?'}${summary.lockMs === undefined ? '' : `, writes blocked ${summary.lockMs.toFixed(1)} ms`}`);
	if (summary.coordinates) lines.push(`  consistent at ${summary.coordinates}`);
	if (physical) {
		lines.push(`  a physical copy of the whole server's files; databases in it: ${summary.databases.map((database) => database.name).join(', ') || 'not recorded'}`);
		for (const tree of physical) {
			const what = tree.name === 'base' ? 'data directory' : `tablespace ${tree.name}${tree.location ? ` (${tree.location})` : ''}`;
			lines.push(`  ${what}: ${formatCount(tree.files)} file(s) in ${formatCount(tree.directories)} directories, ${formatBytes(tree.bytes)}`);
		}
	}
	for (const database of physical ? [] : summary.databases) {
		lines.push(`  ${database.name}: ${formatCount(database.tables)} table(s), ${formatCount(database.rows)} row(s)`);
		for (const table of tables.filter((candidate) => candidate.database === database.name)) lines.push(`    ${table.table}  ${formatCount(table.rows)} row(s)`);
	}
	lines.push(`Members (${formatCount(members.length)}, in order; stored / before compression):`);
	for (const member of members) lines.push(`  ${formatBytes(member.bytes).padStart(10)}  ${formatBytes(member.rawBytes).padStart(10)}  ${member.path}`);
	return lines.join('\n');
}
