import {describe, test} from 'node:test';
import assert from 'node:assert/strict';
import {evaluatePostgresRole, type PostgresRoleFacts} from '../../../source/core/detect/postgres-privileges.ts';

function role(overrides: Partial<PostgresRoleFacts>): PostgresRoleFacts {
	return {
		role: 'backup',
		superuser: false,
		replication: false,
		createdb: false,
		bypassRls: false,
		memberOf: [],
		noConnect: [],
		unreadable: [],
		rowSecured: [],
		database: 'shop',
		canStartBackup: false,
		backupFunction: 'pg_backup_start(text, boolean)',
		...overrides,
	};
}

describe('evaluatePostgresRole', () => {
	test('a superuser has everything whatever the table privileges say', () => {
		const info = evaluatePostgresRole(role({superuser: true, unreadable: ['public.secret'], rowSecured: ['public.rls']}));
		assert.deepEqual(info.perEngine['postgres-logical'], {ok: true, missing: []});
		assert.deepEqual(info.perEngine.snapshot, {ok: true, missing: []});
		assert.ok(info.held.includes('SUPERUSER'));
	});

	test('pg_read_all_data covers SELECT on every table', () => {
		const info = evaluatePostgresRole(role({memberOf: ['pg_read_all_data'], unreadable: ['public.a']}));
		assert.deepEqual(info.perEngine['postgres-logical'], {ok: true, missing: []});
		assert.ok(info.grants.includes('has the privileges of pg_read_all_data'));
	});

	test('unreadable tables are counted and named', () => {
		const info = evaluatePostgresRole(role({unreadable: ['public.a', 'public.b', 'sales.c', 'sales.d']}));
		assert.equal(info.perEngine['postgres-logical'].ok, false);
		assert.equal(info.perEngine['postgres-logical'].missing.length, 1);
		assert.match(info.perEngine['postgres-logical'].missing[0], /^SELECT on 4 tables in database shop \(public\.a, public\.b, sales\.c, …\)/);
	});

	test('row-level security needs BYPASSRLS even with pg_read_all_data', () => {
		const info = evaluatePostgresRole(role({memberOf: ['pg_read_all_data'], rowSecured: ['public.tenant_data']}));
		assert.deepEqual(info.perEngine['postgres-logical'].missing, [
			'BYPASSRLS (or ownership) for 1 table with row-level security in database shop (public.tenant_data)',
		]);
		const bypass = evaluatePostgresRole(role({memberOf: ['pg_read_all_data'], bypassRls: true, rowSecured: ['public.tenant_data']}));
		assert.equal(bypass.perEngine['postgres-logical'].ok, true);
	});

	test('databases without CONNECT are missing for a logical backup', () => {
		const info = evaluatePostgresRole(role({superuser: false, memberOf: ['pg_read_all_data'], noConnect: ['hr']}));
		assert.deepEqual(info.perEngine['postgres-logical'].missing, ['CONNECT on 1 database: hr']);
	});

	test('snapshot needs EXECUTE on the backup-start function', () => {
		assert.deepEqual(evaluatePostgresRole(role({})).perEngine.snapshot.missing, ['EXECUTE on pg_backup_start(text, boolean) (or SUPERUSER)']);
		assert.deepEqual(evaluatePostgresRole(role({canStartBackup: true})).perEngine.snapshot, {ok: true, missing: []});
	});
});
