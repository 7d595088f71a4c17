/**
 * --until TIME | --until-position FILE:POS | --until-gtid GTID: parsing, and the checks that the target
 * is after the backup. Replays stop on transaction boundaries only:
 * - GTID: up to and including that transaction;
 * - position: the transactions that end at or before POS in FILE (POS inside one stops before it);
 * - time: the transactions whose commit event is before TIME (whole seconds, as the events carry them;
 *   like mysqlbinlog --stop-datetime, the first transaction at or after TIME stops the replay).
 */
import {badFlagUse, badFlagValue} from '../../core/errors.ts';
import {mysqlGtidSetContains, parseMariadbGtidList, parseMysqlGtidSet} from '../event/gtid.ts';
import {compareBinlogNames} from '../file/binlog-dir.ts';
import {targetBeforeBackup} from './errors.ts';
import {parseFilePosition} from '../file-position.ts';
import type {BinlogFlavor, ReplayStart, ReplayTarget} from './types.ts';

export interface TargetFlags {
	until?: string;
	untilPosition?: string;
	untilGtid?: string;
}

const UNTIL_HINT = 'Give one of --until TIME, --until-position FILE:POS or --until-gtid GTID (none: replay every complete transaction there is).';

export function parseReplayTarget(flags: TargetFlags): ReplayTarget {
	const given = (['until', 'untilPosition', 'untilGtid'] as const).filter((name) => flags[name] !== undefined);
	if (given.length > 1) {
		throw badFlagUse(`only one stop condition at a time: got ${given.map(flagName).join(' and ')}`, UNTIL_HINT);
	}
	if (flags.until !== undefined) return {kind: 'time', epochMs: parseUntilTime(flags.until), text: `--until ${flags.until}`};
	if (flags.untilPosition !== undefined) {
		const {file, position} = parseFilePosition(flags.untilPosition, '--until-position');
		return {kind: 'position', file, position, text: `--until-position ${file}:${position}`};
	}
	if (flags.untilGtid !== undefined) return {kind: 'gtid', gtid: parseUntilGtid(flags.untilGtid), text: `--until-gtid ${flags.untilGtid}`};
	return {kind: 'end', text: 'the end of the binlogs'};
}

function flagName(name: string): string {
	return `--${name.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`)}`;
}

/**
 * ISO 8601 with a zone (`2024-05-01T12:00:00Z`, `…+02:00`), or `YYYY-MM-DD HH:MM[:SS[.ffffff]]` /
 * `YYYY-MM-DDTHH:MM…` without one, read in local time.
 */
export function parseUntilTime(text: string): number {
	const local = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?$/.exec(text.trim());
	let epochMs = Number.NaN;
	if (local) {
		const [year, month, day, hour, minute, second = '0', fraction = '0'] = local.slice(1);
		epochMs = new Date(Number(year), Number(month) - 1, Number(day), Number(hour), Number(minute), Number(second), Number(fraction.padEnd(3, '0').slice(0, 3))).getTime();
		if (new Date(epochMs).getMonth() !== Number(month) - 1) epochMs = Number.NaN;
	} else if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/i.test(text.trim())) {
		epochMs = Date.parse(text.trim());
	}
	if (!Number.isFinite(epochMs)) {
		throw badFlagValue('--until', text, "not a time; use ISO 8601 (2024-05-01T12:00:00Z, 2024-05-01T14:00:00+02:00) or 'YYYY-MM-DD HH:MM:SS' in local time");
	}
	return epochMs;
}

/** One transaction: MariaDB `domain-server-sequence`, MySQL `uuid:n` (a set `uuid:1-n` means its last one). */
function parseUntilGtid(text: string): string {
	const trimmed = text.trim();
	if (/^\d+-\d+-\d+$/.test(trimmed)) {
		const [gtid] = parseMariadbGtidList(trimmed);
		return `${gtid!.domainId}-${gtid!.serverId}-${gtid!.sequence}`;
	}
	if (trimmed.includes(':')) {
		const set = parseMysqlGtidSet(trimmed);
		if (set.length === 1) {
			const intervals = set[0]!.intervals;
			return `${set[0]!.uuid}:${intervals[intervals.length - 1]!.end - 1n}`;
		}
	}
	throw badFlagValue(
		'--until-gtid',
		text,
		'name one transaction, MariaDB domain-server-sequence (0-1-42) or MySQL uuid:n',
		'Read it from the server (SELECT @@gtid_binlog_pos, or @@gtid_executed on MySQL) or from `restore --dry-run`.',
	);
}

export function gtidFlavor(gtid: string): BinlogFlavor {
	return /^\d+-\d+-\d+$/.test(gtid) ? 'mariadb' : 'mysql';
}

/** Refuses targets the backup is already past, where that is known before reading the binlogs. */
export function checkTargetAfterStart(target: ReplayTarget, start: ReplayStart): void {
	if (target.kind === 'position' && start.file !== undefined) {
		const order = compareSameSeries(target.file, start.file);
		if (order < 0 || (order === 0 && target.position < (start.position ?? 4))) {
			throw targetBeforeBackup(`${target.text} is before ${start.source}'s ${start.file}:${start.position ?? 4}`);
		}
	}
	if (target.kind === 'gtid' && start.gtid) {
		if (gtidIn(target.gtid, start.gtid)) throw targetBeforeBackup(`${target.text}: the backup already contains that transaction (${start.source}: GTID ${start.gtid})`);
	}
}

/** True when the GTID state `state` includes transaction `gtid` (MariaDB: per domain, by sequence). */
export function gtidIn(gtid: string, state: string): boolean {
	if (gtidFlavor(gtid) === 'mariadb') {
		const [domain, , sequence] = gtid.split('-').map((part) => BigInt(part));
		if (!/^\s*\d+-\d+-\d+/.test(state)) return false;
		return parseMariadbGtidList(state).some((entry) => BigInt(entry.domainId) === domain && entry.sequence >= sequence!);
	}
	if (/^\s*\d+-\d+-\d+/.test(state)) return false;
	const colon = gtid.lastIndexOf(':');
	return mysqlGtidSetContains(parseMysqlGtidSet(state), gtid.slice(0, colon), BigInt(gtid.slice(colon + 1)));
}

export function compareSameSeries(a: string, b: string): number {
	const base = (name: string) => name.slice(0, name.lastIndexOf('.'));
	if (base(a) !== base(b)) {
		throw badFlagValue('--until-position', a, `not a file of the binlog series the backup started in (${b})`, `Name a file ${base(b)}.NNNNNN.`);
	}
	return compareBinlogNames(a, b);
}
