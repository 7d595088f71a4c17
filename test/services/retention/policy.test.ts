/**
 * prune's retention policy as a pure function: a synthetic history of backups over 400 days (irregular
 * hours, days without a backup, days with several), whose kept set is worked out here a second way (by
 * grouping into buckets and taking the newest of the most recent ones, not by walking as the policy
 * does); then the edges: ties, several backups a day, pins, an incomplete newest backup, ISO weeks across
 * a year, UTC buckets, the keep-within period, and a policy with no rule refused.
 */
import assert from 'node:assert/strict';
import {describe, test} from 'node:test';
import {parseRetentionPeriod, periodBefore, type RetentionPeriod} from '../../../source/core/config/duration.ts';
import {DbBackupError} from '../../../source/core/errors.ts';
import {applyPolicy, bucketOf, type KeepRule, type PolicyBackup, type RetentionPolicy} from '../../../source/services/retention/policy.ts';

const DAY = 86_400_000;
const NOW = new Date('2026-03-15T12:00:00.000Z');

function period(text: string): RetentionPeriod {
	const parsed = parseRetentionPeriod(text);
	assert.ok(parsed, text);
	return parsed;
}

/** A small deterministic generator (mulberry32), so the history is the same on every run. */
function random(seed: number): () => number {
	let state = seed >>> 0;
	return () => {
		state = (state + 0x6d2b79f5) >>> 0;
		let mixed = Math.imul(state ^ (state >>> 15), 1 | state);
		mixed = (mixed + Math.imul(mixed ^ (mixed >>> 7), 61 | mixed)) ^ mixed;
		return ((mixed ^ (mixed >>> 14)) >>> 0) / 4_294_967_296;
	};
}

/** Backups over the 400 days before NOW: a fifth of the days have none, some have up to three; a few are incomplete or pinned. */
function history(): PolicyBackup[] {
	const next = random(20260315);
	const backups: PolicyBackup[] = [];
	for (let daysAgo = 0; daysAgo < 400; daysAgo += 1) {
		if (next() < 0.2) continue;
		const count = 1 + Math.floor(next() * 3);
		for (let index = 0; index < count; index += 1) {
			const midnight = Date.UTC(NOW.getUTCFullYear(), NOW.getUTCMonth(), NOW.getUTCDate()) - daysAgo * DAY;
			const at = new Date(midnight + Math.floor(next() * DAY));
			if (at.getTime() > NOW.getTime()) continue;
			const name = `shop-${at.toISOString().replace(/[-:]/g, '')}-${Math.floor(next() * 65_536).toString(16).padStart(4, '0')}.tar`;
			backups.push({name, at: at.toISOString(), complete: next() > 0.04, pinned: false});
		}
	}
	// two pins: one deep in the past that no rule would keep, one recent
	backups[5]!.pinned = true;
	backups[5]!.complete = true;
	backups[Math.floor(backups.length / 2)]!.pinned = true;
	backups[Math.floor(backups.length / 2)]!.complete = true;
	return backups;
}

/** Newest first: by time, then by name (the later name is the newer). */
function newestFirst(a: PolicyBackup, b: PolicyBackup): number {
	return Date.parse(b.at) - Date.parse(a.at) || (a.name < b.name ? 1 : a.name > b.name ? -1 : 0);
}

/** The Monday (UTC midnight, in ms) of the week a time is in: two times share an ISO week exactly when they share it. */
function mondayOf(iso: string): number {
	const time = new Date(iso);
	const midnight = Date.UTC(time.getUTCFullYear(), time.getUTCMonth(), time.getUTCDate());
	return midnight - ((time.getUTCDay() + 6) % 7) * DAY;
}

/**
 * The expected rules per kept backup, derived by grouping: for each bucket kind, the distinct buckets of
 * the complete backups, the N most recent, and the newest backup in each.
 */
function expected(backups: PolicyBackup[], policy: RetentionPolicy): Map<string, Set<KeepRule>> {
	const complete = backups.filter((backup) => backup.complete).sort(newestFirst);
	const kept = new Map<string, Set<KeepRule>>();
	const keep = (backup: PolicyBackup, rule: KeepRule) => kept.set(backup.name, (kept.get(backup.name) ?? new Set()).add(rule));
	for (const backup of complete.slice(0, policy.last ?? 0)) keep(backup, 'last');
	const groupings: Array<[KeepRule, number | undefined, (backup: PolicyBackup) => string | number]> = [
		['daily', policy.daily, (backup) => backup.at.slice(0, 10)],
		['weekly', policy.weekly, (backup) => mondayOf(backup.at)],
		['monthly', policy.monthly, (backup) => backup.at.slice(0, 7)],
		['yearly', policy.yearly, (backup) => backup.at.slice(0, 4)],
	];
	for (const [rule, count, keyOf] of groupings) {
		const groups = new Map<string | number, PolicyBackup[]>();
		for (const backup of complete) groups.set(keyOf(backup), [...(groups.get(keyOf(backup)) ?? []), backup]);
		const recent = [...groups.keys()].sort((a, b) => (a < b ? 1 : a > b ? -1 : 0)).slice(0, count ?? 0);
		for (const key of recent) keep(groups.get(key)!.sort(newestFirst)[0]!, rule);
	}
	if (policy.within) {
		const from = NOW.getTime() - 7 * DAY;
		for (const backup of complete) if (Date.parse(backup.at) >= from) keep(backup, 'within');
	}
	keep(complete[0]!, 'newest');
	for (const backup of complete) if (backup.pinned) keep(backup, 'pinned');
	return kept;
}

describe('the policy over 400 days of backups', () => {
	const backups = history();
	const policy: RetentionPolicy = {last: 3, daily: 7, weekly: 4, monthly: 12, yearly: 2, within: period('7d')};

	test('the history is what the test means: 400 days, gaps, several a day, incomplete ones, two pins', () => {
		const days = new Set(backups.map((backup) => backup.at.slice(0, 10)));
		assert.ok(backups.length > 500, `${backups.length} backups`);
		assert.ok(days.size > 280 && days.size < 360, `${days.size} days with a backup`);
		assert.ok(Date.parse(backups.at(-1)!.at) < NOW.getTime() - 395 * DAY);
		assert.ok(backups.some((backup) => !backup.complete));
		assert.equal(backups.filter((backup) => backup.pinned).length, 2);
	});

	test('exactly the backups the rules keep are kept, each with exactly its rules; incomplete ones are left alone, the rest deleted', () => {
		const decisions = applyPolicy(backups, NOW, policy);
		const want = expected(backups, policy);
		const got = new Map(decisions.filter((decision) => decision.verdict === 'keep').map((decision) => [decision.name, new Set(decision.reasons.map((reason) => reason.rule))]));
		assert.deepEqual([...got.keys()].sort(), [...want.keys()].sort());
		for (const [name, rules] of want) assert.deepEqual([...got.get(name)!].sort(), [...rules].sort(), name);
		const left = decisions.filter((decision) => decision.verdict === 'leave');
		assert.deepEqual(left.map((decision) => decision.name).sort(), backups.filter((backup) => !backup.complete).map((backup) => backup.name).sort());
		assert.ok(left.every((decision) => decision.leftAlone === 'not complete'));
		assert.equal(decisions.length, backups.length);
		assert.equal(decisions.filter((decision) => decision.verdict === 'delete').length, backups.length - got.size - left.length);
		// each bucket rule used its whole count: the history is long enough for every one
		for (const [rule, count] of [['last', 3], ['daily', 7], ['weekly', 4], ['monthly', 12], ['yearly', 2]] as const) {
			assert.equal(decisions.filter((decision) => decision.reasons.some((reason) => reason.rule === rule)).length, count, rule);
		}
	});

	test('decisions come newest first, and the input order does not matter', () => {
		const decisions = applyPolicy(backups, NOW, policy);
		const next = random(7);
		const shuffled = backups.map((entry) => ({entry, key: next()})).sort((a, b) => a.key - b.key).map(({entry}) => entry);
		assert.deepEqual(applyPolicy(shuffled, NOW, policy), decisions);
		assert.deepEqual(applyPolicy([...backups].reverse(), NOW, policy), decisions);
		assert.deepEqual(decisions.map((decision) => decision.name), [...backups].sort(newestFirst).map((backup) => backup.name));
	});

	test('the buckets are named as the reasons show them', () => {
		const decisions = applyPolicy(backups, NOW, policy);
		const newest = decisions.find((decision) => decision.reasons.some((reason) => reason.rule === 'newest'))!;
		const details = Object.fromEntries(newest.reasons.map((reason) => [reason.rule, reason.detail]));
		assert.equal(details.last, '1 of 3');
		assert.equal(details.daily, newest.at.slice(0, 10));
		assert.equal(details.monthly, newest.at.slice(0, 7));
		assert.equal(details.yearly, newest.at.slice(0, 4));
		assert.match(details.weekly!, /^2026-W\d\d$/);
		assert.equal(details.within, '7d');
	});
});

function backup(name: string, at: string, extra: Partial<PolicyBackup> = {}): PolicyBackup {
	return {name, at, complete: true, pinned: false, ...extra};
}

describe('the policy at its edges', () => {
	test('a tie in start time: the name that sorts last is the newer', () => {
		const same = '2026-03-10T08:00:00.000Z';
		const decisions = applyPolicy([backup('b.tar', same), backup('a.tar', same), backup('c.tar', same)], NOW, {last: 1});
		assert.deepEqual(decisions.map((decision) => [decision.name, decision.verdict]), [['c.tar', 'keep'], ['b.tar', 'delete'], ['a.tar', 'delete']]);
		const daily = applyPolicy([backup('a.tar', same), backup('b.tar', same)], NOW, {daily: 1});
		assert.deepEqual(daily.filter((decision) => decision.verdict === 'keep').map((decision) => decision.name), ['b.tar']);
	});

	test('several backups a day: keep-daily keeps the newest of each day, not the first N backups', () => {
		const decisions = applyPolicy(
			[
				backup('d1-early.tar', '2026-03-13T01:00:00Z'),
				backup('d1-late.tar', '2026-03-13T23:59:59Z'),
				backup('d2-a.tar', '2026-03-14T06:00:00Z'),
				backup('d2-b.tar', '2026-03-14T07:00:00Z'),
				backup('d2-c.tar', '2026-03-14T08:00:00Z'),
				backup('d0.tar', '2026-03-11T12:00:00Z'),
			],
			NOW,
			{daily: 2},
		);
		assert.deepEqual(decisions.filter((decision) => decision.verdict === 'keep').map((decision) => decision.name), ['d2-c.tar', 'd1-late.tar']);
		assert.deepEqual(decisions.find((decision) => decision.name === 'd2-c.tar')!.reasons, [{rule: 'daily', detail: '2026-03-14'}, {rule: 'newest'}]);
	});

	test('buckets are UTC days: 23:30 in New York on the 14th is the 15th', () => {
		const decisions = applyPolicy([backup('ny.tar', '2026-03-14T23:30:00-04:00'), backup('utc.tar', '2026-03-15T01:00:00Z')], NOW, {daily: 5});
		assert.deepEqual(decisions.map((decision) => decision.verdict), ['keep', 'delete']);
		assert.equal(decisions[0]!.name, 'ny.tar');
		assert.deepEqual(decisions[0]!.reasons[0], {rule: 'daily', detail: '2026-03-15'});
	});

	test('ISO weeks cross the year: 3 January 2021 is 2020-W53, 30 December 2024 is 2025-W01', () => {
		assert.equal(bucketOf('weekly', new Date('2021-01-03T10:00:00Z')), '2020-W53');
		assert.equal(bucketOf('weekly', new Date('2021-01-04T00:00:00Z')), '2021-W01');
		assert.equal(bucketOf('weekly', new Date('2024-12-30T00:00:00Z')), '2025-W01');
		assert.equal(bucketOf('weekly', new Date('2026-03-15T23:59:59Z')), '2026-W11');
		assert.equal(bucketOf('weekly', new Date('2026-03-16T00:00:00Z')), '2026-W12');
		const decisions = applyPolicy([backup('sun.tar', '2021-01-03T10:00:00Z'), backup('sat.tar', '2021-01-02T10:00:00Z'), backup('mon.tar', '2021-01-04T10:00:00Z')], NOW, {weekly: 2});
		assert.deepEqual(decisions.map((decision) => decision.verdict), ['keep', 'keep', 'delete']);
	});

	test('a pinned backup is kept whatever the policy, and takes part in the buckets like any complete one', () => {
		const decisions = applyPolicy(
			[backup('old-pinned.tar', '2024-01-01T00:00:00Z', {pinned: true}), backup('day1.tar', '2026-03-14T10:00:00Z', {pinned: true}), backup('day1-early.tar', '2026-03-14T09:00:00Z'), backup('day2.tar', '2026-03-15T10:00:00Z')],
			NOW,
			{daily: 2},
		);
		const verdicts = Object.fromEntries(decisions.map((decision) => [decision.name, decision.verdict]));
		assert.deepEqual(verdicts, {'day2.tar': 'keep', 'day1.tar': 'keep', 'day1-early.tar': 'delete', 'old-pinned.tar': 'keep'});
		assert.deepEqual(decisions.find((decision) => decision.name === 'old-pinned.tar')!.reasons, [{rule: 'pinned'}]);
		assert.deepEqual(decisions.find((decision) => decision.name === 'day1.tar')!.reasons, [{rule: 'daily', detail: '2026-03-14'}, {rule: 'pinned'}]);
	});

	test('the newest backup incomplete: it is left alone, and the newest complete one is kept as the newest', () => {
		const decisions = applyPolicy(
			[backup('running.tar', '2026-03-15T11:00:00Z', {complete: false}), backup('done.tar', '2026-03-15T10:00:00Z'), backup('older.tar', '2026-03-14T10:00:00Z'), backup('oldest.tar', '2026-03-01T10:00:00Z')],
			NOW,
			{last: 1},
		);
		assert.deepEqual(
			decisions.map((decision) => [decision.name, decision.verdict]),
			[['running.tar', 'leave'], ['done.tar', 'keep'], ['older.tar', 'delete'], ['oldest.tar', 'delete']],
		);
		assert.equal(decisions[0]!.leftAlone, 'not complete');
		assert.deepEqual(decisions[1]!.reasons, [{rule: 'last', detail: '1 of 1'}, {rule: 'newest'}]);
	});

	test('the newest complete backup is kept even when no rule reaches it (keep-within of a day, nothing that recent)', () => {
		const decisions = applyPolicy([backup('a.tar', '2026-01-01T00:00:00Z'), backup('b.tar', '2026-02-01T00:00:00Z')], NOW, {within: period('1d')});
		assert.deepEqual(decisions.map((decision) => [decision.name, decision.verdict, decision.reasons.map((reason) => reason.rule)]), [['b.tar', 'keep', ['newest']], ['a.tar', 'delete', []]]);
	});

	test('a backup whose start time cannot be read, or that is marked to be left alone, is neither kept by a rule nor deleted', () => {
		const decisions = applyPolicy([backup('bad-time.tar', 'not a time'), backup('unreadable.tar', '2026-03-15T00:00:00Z', {leftAlone: 'it could not be read'}), backup('ok.tar', '2026-03-10T00:00:00Z')], NOW, {last: 5});
		const byName = Object.fromEntries(decisions.map((decision) => [decision.name, decision]));
		assert.equal(byName['bad-time.tar']!.verdict, 'leave');
		assert.match(byName['bad-time.tar']!.leftAlone!, /start time "not a time" cannot be read/);
		assert.equal(byName['unreadable.tar']!.verdict, 'leave');
		assert.equal(byName['unreadable.tar']!.leftAlone, 'it could not be read');
		assert.deepEqual(byName['ok.tar']!.reasons, [{rule: 'last', detail: '1 of 5'}, {rule: 'newest'}]);
	});

	test('keep-within counts back from now (borg), on the UTC calendar; its edge is kept', () => {
		const edge = new Date(NOW.getTime() - 36 * 3_600_000).toISOString();
		const before = new Date(NOW.getTime() - 36 * 3_600_000 - 1).toISOString();
		const decisions = applyPolicy([backup('edge.tar', edge), backup('before.tar', before), backup('new.tar', '2026-03-15T11:00:00Z')], NOW, {within: period('36h')});
		assert.deepEqual(decisions.map((decision) => decision.verdict), ['keep', 'keep', 'delete']);
		assert.equal(periodBefore(new Date('2026-03-31T10:00:00Z'), period('1m')).toISOString(), '2026-02-28T10:00:00.000Z');
		assert.equal(periodBefore(new Date('2024-02-29T00:00:00Z'), period('1y')).toISOString(), '2023-02-28T00:00:00.000Z');
		assert.equal(periodBefore(new Date('2026-01-15T00:00:00Z'), period('1y6m2w1d12h')).toISOString(), '2024-06-29T12:00:00.000Z');
		assert.equal(periodBefore(NOW, period('2w')).getTime(), NOW.getTime() - 14 * DAY);
	});

	test('periods: h, d, w, m (months), y; anything else, or nothing longer than zero, is not one', () => {
		assert.deepEqual(parseRetentionPeriod('1y6m'), {text: '1y6m', years: 1, months: 6, days: 0, hours: 0});
		assert.deepEqual(parseRetentionPeriod('2w3d'), {text: '2w3d', years: 0, months: 0, days: 17, hours: 0});
		assert.deepEqual(parseRetentionPeriod(' 36h '), {text: '36h', years: 0, months: 0, days: 0, hours: 36});
		for (const text of ['', '7', '0d', '0y0m', '7x', 'd', '1.5d', '-1d', '7 d', '30s', '5min']) assert.equal(parseRetentionPeriod(text), undefined, text);
		assert.equal(parseRetentionPeriod(7), undefined);
	});

	test('a policy with no rule is refused: nothing given, or only zeros', () => {
		for (const policy of [{}, {last: 0, daily: 0, weekly: 0, monthly: 0, yearly: 0}] as RetentionPolicy[]) {
			assert.throws(
				() => applyPolicy([backup('a.tar', '2026-03-01T00:00:00Z')], NOW, policy),
				(error: unknown) => error instanceof DbBackupError && error.code === 'RETENTION_POLICY_MISSING' && error.exitCode === 2 && /--keep-last N/.test(error.hint ?? '') && /retention\.keep_last/.test(error.hint ?? ''),
			);
		}
	});
});
