import type {EngineAvailabilityRow, EngineSelection} from '../../engines/selection-types.ts';

export function renderEngineRows(target: string, rows: EngineAvailabilityRow[]): string {
	const lines = [`Engines for ${target}`];
	const width = Math.max(...rows.map((row) => row.name.length));
	for (const row of rows) {
		const state = row.availability.available ? 'available' : `unavailable: ${row.availability.reason}`;
		lines.push(`  ${row.name.padEnd(width)}  ${row.kind.padEnd(8)}  ${state}`);
		for (const warning of row.availability.warnings) lines.push(`  ${''.padEnd(width)}  ${''.padEnd(8)}  warning: ${warning}`);
	}
	return lines.join('\n');
}

export function renderEngineDetail(row: EngineAvailabilityRow): string {
	const caps = row.capabilities;
	const lines = [
		`Engine: ${row.name}${row.aliases.length > 0 ? ` (alias ${row.aliases.join(', ')})` : ''}`,
		`  ${row.description}`,
		`  Kind: ${caps.kind}; databases: ${row.dbTypes.join(', ')}`,
		`  Capabilities: backup ${caps.backup ? 'yes' : 'no'}, restore ${caps.restore ? 'yes' : 'no'}, incremental ${caps.incremental ? 'yes' : 'no'}, streaming ${caps.streaming ? 'yes' : 'no'}`,
		`  Available: ${row.availability.available ? 'yes' : 'no'}`,
	];
	for (const reason of row.availability.reasons) lines.push(`    - ${reason}`);
	for (const warning of row.availability.warnings) lines.push(`  Warning: ${warning}`);
	for (const [key, value] of Object.entries(row.availability.info)) lines.push(`  ${key}: ${value}`);
	return lines.join('\n');
}

export function renderSelection(target: string, selection: EngineSelection): string {
	const lines = [`Recommendation for ${target}`];
	lines.push(
		selection.engine
			? `  Engine: ${selection.engine}${selection.engine === selection.preferred ? '' : ` (preferred ${selection.preferred} is unavailable)`}`
			: `  Engine: none available (the criteria prefer ${selection.preferred})`,
	);
	lines.push('  Reason:');
	selection.reasons.forEach((reason, index) => lines.push(`    ${index + 1}. ${reason}`));
	return lines.join('\n');
}
