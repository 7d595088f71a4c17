import {describe, test} from 'node:test';
import assert from 'node:assert/strict';
import {atLeast, mysqlFlavor, parseMysqlVersion, parsePostgresVersion} from '../../../source/core/detect/version.ts';

describe('parseMysqlVersion', () => {
	test('MariaDB from Debian', () => {
		assert.deepEqual(parseMysqlVersion('10.11.6-MariaDB-0+deb12u1'), {text: '10.11.6-MariaDB-0+deb12u1', major: 10, minor: 11, patch: 6});
	});

	test('MariaDB with the -log suffix a binlogging server adds', () => {
		assert.deepEqual(parseMysqlVersion('10.11.19-MariaDB-0+deb12u1-log'), {
			text: '10.11.19-MariaDB-0+deb12u1-log',
			major: 10,
			minor: 11,
			patch: 19,
		});
	});

	test('MariaDB behind the 5.5.5- replication prefix', () => {
		const version = parseMysqlVersion('5.5.5-10.6.16-MariaDB-1:10.6.16+maria~ubu2204');
		assert.equal(version?.major, 10);
		assert.equal(version?.minor, 6);
		assert.equal(version?.patch, 16);
	});

	test('Oracle MySQL', () => {
		assert.deepEqual(parseMysqlVersion('8.0.36'), {text: '8.0.36', major: 8, minor: 0, patch: 36});
		assert.deepEqual(parseMysqlVersion('8.4.0-log'), {text: '8.4.0-log', major: 8, minor: 4, patch: 0});
	});

	test('Percona Server', () => {
		assert.deepEqual(parseMysqlVersion('8.0.36-28'), {text: '8.0.36-28', major: 8, minor: 0, patch: 36});
	});

	test('no version number', () => {
		assert.equal(parseMysqlVersion('unknown'), undefined);
		assert.equal(parseMysqlVersion(''), undefined);
	});
});

describe('mysqlFlavor', () => {
	test('MariaDB by its version string', () => {
		assert.equal(mysqlFlavor('10.11.6-MariaDB-0+deb12u1', 'Debian 12'), 'mariadb');
	});

	test('MariaDB by its version comment', () => {
		assert.equal(mysqlFlavor('10.11.6', 'mariadb.org binary distribution'), 'mariadb');
	});

	test('Percona by its version comment', () => {
		assert.equal(mysqlFlavor('8.0.36-28', 'Percona Server (GPL), Release 28, Revision 47601f19'), 'percona');
	});

	test('Oracle MySQL otherwise', () => {
		assert.equal(mysqlFlavor('8.0.36', 'MySQL Community Server - GPL'), 'mysql');
		assert.equal(mysqlFlavor('8.0.36', undefined), 'mysql');
	});
});

describe('parsePostgresVersion', () => {
	test('PostgreSQL 10 and later: major and minor', () => {
		const version = parsePostgresVersion(150018, '15.18 (Debian 15.18-0+deb12u1)');
		assert.deepEqual(version, {text: '15.18 (Debian 15.18-0+deb12u1)', major: 15, minor: 18, patch: 0});
	});

	test('before 10: three parts', () => {
		const version = parsePostgresVersion(90624, 'PostgreSQL 9.6.24');
		assert.deepEqual([version.major, version.minor, version.patch], [9, 6, 24]);
	});
});

describe('atLeast', () => {
	test('compares major, minor, patch in order', () => {
		const v = {text: '8.0.36', major: 8, minor: 0, patch: 36};
		assert.equal(atLeast(v, 8, 0, 17), true);
		assert.equal(atLeast(v, 8, 4), false);
		assert.equal(atLeast(v, 5, 7, 99), true);
		assert.equal(atLeast(v, 8, 0, 37), false);
		assert.equal(atLeast(v, 8, 0, 36), true);
	});
});
