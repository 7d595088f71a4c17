import {describe, test} from 'node:test';
import assert from 'node:assert/strict';
import {
	addMysqlGtid,
	advanceMariadbPosition,
	formatMariadbGtidList,
	formatMysqlGtidSet,
	formatUuid,
	mysqlGtidSetContains,
	parseMariadbGtidList,
	parseMysqlGtidSet,
} from '../../../source/binlog/event/gtid.ts';
import {UsageError} from '../../../source/core/errors.ts';

const A = '3e11fa47-71ca-11e1-9e33-c80aa9429562';
const B = 'a1b2c3d4-0000-4000-8000-00000000beef';

function rejects(code: string, pattern: RegExp) {
	return (error: unknown) => {
		assert.ok(error instanceof UsageError, String(error));
		assert.equal(error.code, code);
		assert.match(error.message, pattern);
		return true;
	};
}

describe('MariaDB GTID positions', () => {
	test('parse and format round trip, spaces tolerated, empty is empty', () => {
		const parsed = parseMariadbGtidList(' 0-1-100, 1-2-18446744073709551615 ');
		assert.deepEqual(parsed, [
			{domainId: 0, serverId: 1, sequence: 100n},
			{domainId: 1, serverId: 2, sequence: 18446744073709551615n},
		]);
		assert.equal(formatMariadbGtidList(parsed), '0-1-100,1-2-18446744073709551615');
		assert.deepEqual(parseMariadbGtidList(''), []);
		assert.equal(formatMariadbGtidList([]), '');
	});

	test('a bad item is named in the error', () => {
		assert.throws(() => parseMariadbGtidList('0-1-5,0-1'), rejects('MARIADB_GTID_INVALID', /"0-1" in "0-1-5,0-1"/));
		assert.throws(() => parseMariadbGtidList('0-1-5,,1-1-1'), rejects('MARIADB_GTID_INVALID', /"" in/));
		assert.throws(() => parseMariadbGtidList('a-1-1'), rejects('MARIADB_GTID_INVALID', /"a-1-1"/));
		assert.throws(() => parseMariadbGtidList('4294967296-1-1'), rejects('MARIADB_GTID_INVALID', /"4294967296-1-1"/));
		assert.throws(() => parseMariadbGtidList('0-1-18446744073709551616'), rejects('MARIADB_GTID_INVALID', /18446744073709551616/));
	});

	test('advancing keeps one entry per domain: the newer replaces, a new domain is added', () => {
		const start = parseMariadbGtidList('0-1-10,5-1-3');
		const moved = advanceMariadbPosition(start, {domainId: 0, serverId: 2, sequence: 11n});
		assert.equal(formatMariadbGtidList(moved), '0-2-11,5-1-3');
		assert.equal(formatMariadbGtidList(start), '0-1-10,5-1-3', 'the input is not changed');
		assert.equal(formatMariadbGtidList(advanceMariadbPosition(moved, {domainId: 7, serverId: 1, sequence: 1n})), '0-2-11,5-1-3,7-1-1');
		assert.equal(formatMariadbGtidList(advanceMariadbPosition([], {domainId: 0, serverId: 1, sequence: 1n})), '0-1-1');
	});
});

describe('MySQL GTID sets', () => {
	test('parse merges ranges and repeated UUIDs, format prints MySQL style', () => {
		const set = parseMysqlGtidSet(`${A.toUpperCase()}:1-5:7,\n${B}:1-3, ${A}:6:9-10`);
		assert.deepEqual(set, [
			{uuid: A, intervals: [{start: 1n, end: 8n}, {start: 9n, end: 11n}]},
			{uuid: B, intervals: [{start: 1n, end: 4n}]},
		]);
		assert.equal(formatMysqlGtidSet(set), `${A}:1-7:9-10,${B}:1-3`);
		assert.deepEqual(parseMysqlGtidSet(''), []);
		assert.deepEqual(parseMysqlGtidSet(' \n'), []);
	});

	test('errors name the bad part', () => {
		assert.throws(() => parseMysqlGtidSet(`${A}:1-5,nope:1`), rejects('MYSQL_GTID_INVALID', /not a server UUID "nope"/));
		assert.throws(() => parseMysqlGtidSet(`${A}:5-1`), rejects('MYSQL_GTID_INVALID', /"5-1"/));
		assert.throws(() => parseMysqlGtidSet(`${A}:0`), rejects('MYSQL_GTID_INVALID', /"0"/));
		assert.throws(() => parseMysqlGtidSet(A), rejects('MYSQL_GTID_INVALID', /no transaction numbers/));
		assert.throws(() => parseMysqlGtidSet(`${A}:mytag:1-3`), rejects('MYSQL_GTID_INVALID', /tagged GTIDs are not supported\) "mytag"/));
	});

	test('adding merges into neighbouring intervals, fills gaps, starts new UUIDs; contains answers by interval', () => {
		let set = parseMysqlGtidSet(`${A}:1-5:7`);
		set = addMysqlGtid(set, A, 6n);
		assert.equal(formatMysqlGtidSet(set), `${A}:1-7`);
		set = addMysqlGtid(set, A, 8n);
		set = addMysqlGtid(set, A, 3n);
		set = addMysqlGtid(set, A, 20n);
		assert.equal(formatMysqlGtidSet(set), `${A}:1-8:20`);
		const withB = addMysqlGtid(set, B.toUpperCase(), 1n);
		assert.equal(formatMysqlGtidSet(withB), `${A}:1-8:20,${B}:1`);
		assert.equal(formatMysqlGtidSet(set), `${A}:1-8:20`, 'the input is not changed');
		assert.equal(mysqlGtidSetContains(withB, A, 8n), true);
		assert.equal(mysqlGtidSetContains(withB, A, 9n), false);
		assert.equal(mysqlGtidSetContains(withB, A, 20n), true);
		assert.equal(mysqlGtidSetContains(withB, B.toUpperCase(), 1n), true);
		assert.equal(mysqlGtidSetContains(withB, B, 2n), false);
		assert.equal(mysqlGtidSetContains([], A, 1n), false);
	});

	test('formatUuid prints 16 bytes 8-4-4-4-12 lowercase', () => {
		const bytes = Buffer.concat([Buffer.from([0xff]), Buffer.from(A.replaceAll('-', ''), 'hex')]);
		assert.equal(formatUuid(bytes, 1), A);
	});
});
