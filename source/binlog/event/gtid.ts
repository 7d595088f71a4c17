/**
 * GTID positions as text and as values. MariaDB: "domain-server-sequence" items, one per domain in a
 * position. MySQL: "uuid:1-5:7,uuid2:1-3" sets, held as MysqlGtidSid intervals with an exclusive end
 * (as the binary set on the wire has them).
 */
import {type ErrorCode, UsageError} from '../../core/errors.ts';
import type {MysqlGtidSid} from '../protocol/commands.ts';
import type {MariadbGtid} from './decoded.ts';

export type {MariadbGtid} from './decoded.ts';
export type {MysqlGtidSid} from '../protocol/commands.ts';

const UINT32_MAX = 0xffffffff;
const UINT64_MAX = (1n << 64n) - 1n;
/** MySQL's GNO_END: transaction numbers are 1 … 2^63 − 2 */
const MYSQL_GNO_MAX = (1n << 63n) - 2n;

function invalidGtid(code: ErrorCode, what: string, item: string, text: string, hint: string): UsageError {
	return new UsageError({code, message: `${what} ${JSON.stringify(item)} in ${JSON.stringify(text)}`, hint});
}

export function formatMariadbGtid(gtid: MariadbGtid): string {
	return `${gtid.domainId}-${gtid.serverId}-${gtid.sequence}`;
}

/** "0-1-100,1-2-5" → entries; an empty string is the empty position. */
export function parseMariadbGtidList(text: string): MariadbGtid[] {
	const trimmed = text.trim();
	if (trimmed === '') return [];
	return trimmed.split(',').map((raw) => {
		const item = raw.trim();
		const match = /^(\d+)-(\d+)-(\d+)$/.exec(item);
		const bad = () =>
			invalidGtid('MARIADB_GTID_INVALID', 'not a MariaDB GTID (domain-server-sequence)', item, text, 'Write MariaDB GTIDs as domain-server-sequence, e.g. 0-1-42, separated by commas.');
		if (!match) throw bad();
		const domainId = Number(match[1]);
		const serverId = Number(match[2]);
		const sequence = BigInt(match[3]!);
		if (domainId > UINT32_MAX || serverId > UINT32_MAX || sequence > UINT64_MAX) throw bad();
		return {domainId, serverId, sequence};
	});
}

export function formatMariadbGtidList(gtids: readonly MariadbGtid[]): string {
	return gtids.map(formatMariadbGtid).join(',');
}

/** The position after `gtid`: its domain's entry replaced (or added at the end). Returns a new array. */
export function advanceMariadbPosition(position: readonly MariadbGtid[], gtid: MariadbGtid): MariadbGtid[] {
	const next = {domainId: gtid.domainId, serverId: gtid.serverId, sequence: gtid.sequence};
	let replaced = false;
	const result = position.map((entry) => {
		if (entry.domainId !== gtid.domainId) return entry;
		replaced = true;
		return next;
	});
	if (!replaced) result.push(next);
	return result;
}

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** 16 bytes → 8-4-4-4-12 lowercase hex. */
export function formatUuid(bytes: Uint8Array, offset = 0): string {
	const hex = Buffer.from(bytes.buffer, bytes.byteOffset + offset, 16).toString('hex');
	return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Sorts and merges touching/overlapping intervals (end exclusive). */
function normalizeIntervals(intervals: Array<{start: bigint; end: bigint}>): Array<{start: bigint; end: bigint}> {
	const sorted = [...intervals].sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
	const merged: Array<{start: bigint; end: bigint}> = [];
	for (const interval of sorted) {
		const last = merged[merged.length - 1];
		if (last && interval.start <= last.end) {
			if (interval.end > last.end) last.end = interval.end;
		} else {
			merged.push({start: interval.start, end: interval.end});
		}
	}
	return merged;
}

/** "uuid:1-5:7,uuid2:1-3" (whitespace and newlines allowed, as MySQL prints it) → sids, intervals merged. */
export function parseMysqlGtidSet(text: string): MysqlGtidSid[] {
	const bySid = new Map<string, Array<{start: bigint; end: bigint}>>();
	const hint = 'Write MySQL GTID sets as uuid:first-last[:n…], separated by commas, e.g. 3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5:7.';
	for (const raw of text.split(',')) {
		const item = raw.replace(/\s+/g, '');
		if (item === '') continue;
		const [uuidPart, ...ranges] = item.split(':');
		const uuid = uuidPart!.toLowerCase();
		if (!UUID_PATTERN.test(uuid)) throw invalidGtid('MYSQL_GTID_INVALID', 'not a server UUID', uuidPart!, text, hint);
		if (ranges.length === 0) throw invalidGtid('MYSQL_GTID_INVALID', 'no transaction numbers after the UUID', item, text, hint);
		const intervals = bySid.get(uuid) ?? [];
		for (const range of ranges) {
			const match = /^(\d+)(?:-(\d+))?$/.exec(range);
			if (!match) throw invalidGtid('MYSQL_GTID_INVALID', 'not a transaction number or range (tagged GTIDs are not supported)', range, text, hint);
			const start = BigInt(match[1]!);
			const last = match[2] === undefined ? start : BigInt(match[2]);
			if (start < 1n || last < start || last > MYSQL_GNO_MAX) throw invalidGtid('MYSQL_GTID_INVALID', 'not a valid transaction range', range, text, hint);
			intervals.push({start, end: last + 1n});
		}
		bySid.set(uuid, intervals);
	}
	return [...bySid].map(([uuid, intervals]) => ({uuid, intervals: normalizeIntervals(intervals)}));
}

export function formatMysqlGtidSet(set: readonly MysqlGtidSid[]): string {
	return set
		.filter((sid) => sid.intervals.length > 0)
		.map((sid) => {
			const ranges = sid.intervals.map(({start, end}) => (end - 1n === start ? `${start}` : `${start}-${end - 1n}`));
			return `${sid.uuid.toLowerCase()}:${ranges.join(':')}`;
		})
		.join(',');
}

/** The set with uuid:gno added (merged into the intervals). Returns a new set; the input is not changed. */
export function addMysqlGtid(set: readonly MysqlGtidSid[], uuid: string, gno: bigint): MysqlGtidSid[] {
	const key = uuid.toLowerCase();
	let found = false;
	const result = set.map((sid) => {
		if (sid.uuid.toLowerCase() !== key) return sid;
		found = true;
		return {uuid: sid.uuid, intervals: normalizeIntervals([...sid.intervals.map((i) => ({...i})), {start: gno, end: gno + 1n}])};
	});
	if (!found) result.push({uuid: key, intervals: [{start: gno, end: gno + 1n}]});
	return result;
}

/** Whether every transaction of `inner` is in `outer` (both as parseMysqlGtidSet gives them: intervals merged). */
export function mysqlGtidSetIncludes(outer: readonly MysqlGtidSid[], inner: readonly MysqlGtidSid[]): boolean {
	return inner.every((sid) => {
		const theirs = outer.find((candidate) => candidate.uuid.toLowerCase() === sid.uuid.toLowerCase());
		return sid.intervals.every(({start, end}) => theirs?.intervals.some((interval) => interval.start <= start && end <= interval.end) ?? false);
	});
}

export function mysqlGtidSetContains(set: readonly MysqlGtidSid[], uuid: string, gno: bigint): boolean {
	const key = uuid.toLowerCase();
	return set.some((sid) => sid.uuid.toLowerCase() === key && sid.intervals.some(({start, end}) => gno >= start && gno < end));
}
