import {formatBytes, formatCount, formatDuration} from '../../core/format.ts';
import type {VerifyReport} from '../../services/verify.ts';

export function renderVerify(report: VerifyReport): string {
	const seconds = Math.max(0, (Date.parse(report.finishedAt) - Date.parse(report.startedAt)) / 1000);
	const lines = [`Verified ${report.location}: ${report.items.length} item(s) good in ${formatDuration(seconds)}`];
	for (const item of report.items) {
		const figures = [
			formatBytes(item.bytes),
			item.members === undefined ? undefined : `${formatCount(item.members)} member(s)`,
			item.rawBytes === undefined ? undefined : `${formatBytes(item.rawBytes)} decompressed`,
			item.files === undefined ? undefined : `${formatCount(item.files)} file(s)`,
			item.events === undefined ? undefined : `${formatCount(item.events)} event(s)`,
		].filter((figure) => figure !== undefined);
		lines.push(`  ok  ${item.location} (${item.kind}; ${figures.join(', ')})`, `      ${item.checked}`);
		const drill = item.restoreTest;
		if (drill) {
			const how = drill.checksummed === drill.tables ? 'row counts and checksums' : `row counts (checksums for ${formatCount(drill.checksummed)})`;
			lines.push(
				`      restore test: into a throwaway ${drill.server.flavor} ${drill.server.version} in ${formatDuration(drill.restoreSeconds)}; ${formatCount(drill.tables)} table(s), ${formatCount(drill.rows)} row(s): ${how} as recorded (compared in ${formatDuration(drill.compareSeconds)})`,
			);
		}
	}
	return lines.join('\n');
}
