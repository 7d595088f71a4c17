import assert from 'node:assert/strict';
import {describe, test} from 'node:test';
import {postgresStatements, tokenizePostgres} from '../../../source/engines/postgres-logical/script/tokens.ts';
import {checkDefinition, isCreateDatabaseOptions} from '../../../source/engines/postgres-logical/toc-rules.ts';

function statementCount(sql: string): number {
	const tokens = tokenizePostgres(sql);
	assert.ok(typeof tokens !== 'string', String(tokens));
	return postgresStatements(tokens).length;
}

describe('what a PostgreSQL table of contents may hold', () => {
	test('statements are split as the server reads them: quotes, dollar bodies, nested comments, BEGIN ATOMIC', () => {
		assert.equal(statementCount("SELECT 'a;b'; SELECT E'\\';'; SELECT \"x;\"; SELECT $f$ ; $f$; /* /* ; */ ; */ SELECT 1 -- ;\n;"), 5);
		assert.equal(statementCount('CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT CASE WHEN true THEN 1 END; END; ALTER FUNCTION f() OWNER TO r;'), 2);
		assert.equal(statementCount('SELECT $1 + a$b$c; SELECT 2'), 2);
	});

	test('definitions a dump writes pass', () => {
		for (const sql of [
			'CREATE TABLE public.t (id integer, v text DEFAULT \'a;b\');\nALTER TABLE public.t OWNER TO "r;x";\nCOMMENT ON TABLE public.t IS \'x\';\n',
			'CREATE OR REPLACE FUNCTION public.f() RETURNS trigger LANGUAGE plpgsql AS $fn$ BEGIN DELETE FROM x; RETURN NEW; END $fn$;',
			"SELECT pg_catalog.setval('\"s\".\"q\"', 5, true);",
			"SELECT pg_catalog.lo_create('16400');",
			'GRANT SELECT ON TABLE public.t TO PUBLIC;\nREVOKE ALL ON SCHEMA public FROM r;',
			'ALTER DEFAULT PRIVILEGES FOR ROLE r IN SCHEMA public GRANT SELECT ON TABLES TO s;',
			'CREATE UNIQUE INDEX i ON public.t USING btree (lower(v));\nREFRESH MATERIALIZED VIEW public.m;',
			'CREATE EXTENSION IF NOT EXISTS "pgcrypto" WITH SCHEMA "public";',
		]) {
			assert.doesNotThrow(() => checkDefinition('toc', sql), sql);
		}
	});

	test('attack: statements that reach outside the database are refused, wherever they hide', () => {
		for (const [sql, why] of [
			['CREATE TABLE t (id int); ALTER ROLE x SUPERUSER;', /ALTER ROLE/],
			['CREATE TABLE t (id int) /* ; */; -- ;\nCOPY t TO PROGRAM \'id\';', /COPY has no place/],
			["DO $$ BEGIN PERFORM 1; END $$;", /DO has no place/],
			['GRANT pg_read_server_files TO x;', /membership/],
			['GRANT CONNECT ON DATABASE postgres TO x;', /ON DATABASE/],
			['COMMENT ON ROLE x IS \'y\';', /ON ROLE/],
			["SELECT pg_catalog.setval('s', 1, true); SELECT pg_read_file('/etc/passwd');", /a SELECT other/],
			["CREATE FUNCTION f() RETURNS int LANGUAGE C AS '/tmp/x.so', 'f';", /LANGUAGE C/],
			['CREATE TABLE t AS SELECT * FROM pg_authid;', /AS runs a query/],
			['ALTER TABLE t OWNER TO x; ALTER SYSTEM SET fsync = off;', /ALTER SYSTEM/],
			["ALTER FUNCTION f() SET session_preload_libraries = 'x';", /loads/],
			["CREATE TABLE t (v text DEFAULT 'x", /cannot be read/],
		] as const) {
			assert.throws(() => checkDefinition('toc', sql), why, sql);
		}
	});

	test('CREATE DATABASE options are only template, encoding, locales and a connection limit', () => {
		assert.ok(isCreateDatabaseOptions("WITH TEMPLATE = template0 ENCODING = 'UTF8' LOCALE_PROVIDER = libc LOCALE = 'C.UTF-8'"));
		assert.ok(isCreateDatabaseOptions("WITH TEMPLATE = template0 ENCODING = 'UTF8' LOCALE_PROVIDER = icu ICU_LOCALE = 'en-US' LC_COLLATE = 'it''s' LC_CTYPE = 'C' CONNECTION LIMIT = 5"));
		assert.ok(!isCreateDatabaseOptions("WITH TEMPLATE = template0 ENCODING = 'UTF8' LOCALE = 'C'; ALTER ROLE x SUPERUSER; --'"));
		assert.ok(!isCreateDatabaseOptions("WITH TEMPLATE = template1 ENCODING = 'UTF8' LOCALE = 'C'"));
	});
});
