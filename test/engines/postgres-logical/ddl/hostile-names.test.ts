import assert from 'node:assert/strict';
import {after, before, describe, test} from 'node:test';
import type pg from 'pg';
import {readDatabaseToc} from '../../../../source/engines/postgres-logical/ddl/read-toc.ts';
import {dropPostgresDatabases, postgresClient, postgresSuperuserClient, uniqueName} from '../../../harness/db.ts';
import {getTestServers} from '../../../harness/servers.ts';
import {applyEntries, createDatabaseFromToc, dumpSchema, firstDifferences, readToc} from './round-trip.ts';

/** Names that break naive quoting: reserved words, quotes, dots, spaces, unicode, `$`, 63 bytes, a leading digit. */
const HOSTILE_SQL = `
CREATE SCHEMA "select";
CREATE SCHEMA "Sch""ema.x";
CREATE TYPE "select"."Enum ""E""" AS ENUM ('a''b', 'back\\slash', 'ü');
CREATE SEQUENCE "select"."seq ""q""";
CREATE TABLE "select"."order" (
	"from" integer PRIMARY KEY,
	"a,b" text DEFAULT 'it''s',
	"x y" "select"."Enum ""E""",
	"$1" numeric DEFAULT nextval('"select"."seq ""q"""'),
	"日本語" text COLLATE "C",
	"🐘" text,
	"123abc" integer,
	"a_name_that_is_exactly_sixty_three_bytes_long_abcdefghijklmnopq" integer,
	CONSTRAINT "check ""it""" CHECK ("from" > 0)
);
ALTER SEQUENCE "select"."seq ""q""" OWNED BY "select"."order"."$1";
CREATE TABLE "Sch""ema.x"."Child Table" (
	id integer REFERENCES "select"."order" ("from") ON DELETE CASCADE,
	"User" text
);
CREATE UNIQUE INDEX "idx; DROP TABLE x" ON "select"."order" (lower("a,b"), "x y") WHERE "123abc" IS NOT NULL;
CREATE VIEW "select"."view ""v""" AS SELECT "from" AS "to", "日本語" FROM "select"."order";
CREATE FUNCTION "Sch""ema.x"."fn; DROP"("in ""p""" integer) RETURNS integer LANGUAGE sql AS $body$ SELECT $1 + 1 $body$;
CREATE FUNCTION "select"."trg$fn"() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE TRIGGER "trigger ""t""" BEFORE INSERT ON "select"."order" FOR EACH ROW EXECUTE FUNCTION "select"."trg$fn"();
ALTER TABLE "select"."order" ENABLE ROW LEVEL SECURITY;
CREATE POLICY "policy ""p""" ON "select"."order" USING ("from" <> 0);
COMMENT ON TABLE "select"."order" IS 'comment with $$ dollars $$, a ''quote'', a back\\slash and a
newline';
COMMENT ON COLUMN "select"."order"."🐘" IS 'elephant';
COMMENT ON FUNCTION "Sch""ema.x"."fn; DROP"(integer) IS E'tab\\there';
`;

describe('hostile identifiers', () => {
	let superuser: pg.Client;
	const source = uniqueName('ddl_hostile');
	const target = uniqueName('ddl_hostile_copy');

	before(async () => {
		superuser = await postgresSuperuserClient();
		await superuser.query(`CREATE DATABASE ${source}`);
		const client = await postgresSuperuserClient(source);
		try {
			await client.query(HOSTILE_SQL);
		} finally {
			await client.end();
		}
	});

	after(async () => {
		await dropPostgresDatabases([source, target]);
		await superuser.end();
	});

	test('round-trip to an identical pg_dump --schema-only', async () => {
		const toc = await readToc(source);
		assert.ok(toc.entries.some((entry) => entry.id === 'table:select.order'));
		assert.ok(toc.entries.some((entry) => entry.id === 'schema:"Sch""ema.x"'));
		await createDatabaseFromToc(superuser, toc, target);
		const client = await postgresSuperuserClient(target);
		try {
			await applyEntries(client, toc.entries);
		} finally {
			await client.end();
		}
		const expected = await dumpSchema(source);
		const actual = await dumpSchema(target);
		assert.ok(expected.includes('a_name_that_is_exactly_sixty_three_bytes_long_abcdefghijklmnopq integer'));
		assert.ok(actual === expected, firstDifferences(expected, actual));
		const table = toc.tables.find((candidate) => candidate.schema === 'select' && candidate.name === 'order')!;
		assert.deepEqual(table.columns.slice(0, 6), ['"from"', '"a,b"', '"x y"', '"$1"', '"日本語"', '"🐘"']);
	});
});

describe('read by a role that is not a superuser', () => {
	let superuser: pg.Client;
	const source = uniqueName('ddl_plain_role');
	const target = uniqueName('ddl_plain_role_copy');

	before(async () => {
		superuser = await postgresSuperuserClient();
		const owner = await postgresClient();
		try {
			await owner.query(`CREATE DATABASE ${source}`);
		} finally {
			await owner.end();
		}
		const client = await postgresClient(source);
		try {
			await client.query(`CREATE SCHEMA shop;
				CREATE TABLE shop.items (id serial PRIMARY KEY, label text NOT NULL, price numeric CHECK (price >= 0));
				CREATE INDEX items_label_idx ON shop.items (label);
				CREATE VIEW shop.cheap AS SELECT * FROM shop.items WHERE price < 10;
				COMMENT ON TABLE shop.items IS 'items';
				INSERT INTO shop.items (label, price) VALUES ('a', 1), ('b', 20);`);
		} finally {
			await client.end();
		}
	});

	after(async () => {
		await dropPostgresDatabases([source, target]);
		await superuser.end();
	});

	test('the database owner reads a complete toc of its database', async () => {
		const client = await postgresClient(source);
		let toc;
		try {
			await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY');
			toc = await readDatabaseToc(client, {});
			await client.query('COMMIT');
		} finally {
			await client.end();
		}
		assert.equal(toc.database.owner, getTestServers().postgres.user);
		assert.ok(toc.entries.some((entry) => entry.id === 'sequence-set:shop.items_id_seq' && entry.sql.includes(', 2, true)')));
		await createDatabaseFromToc(superuser, toc, target);
		const restored = await postgresSuperuserClient(target);
		try {
			await applyEntries(restored, toc.entries);
		} finally {
			await restored.end();
		}
		const expected = await dumpSchema(source);
		const actual = await dumpSchema(target);
		assert.ok(actual === expected, firstDifferences(expected, actual));
	});
});

describe('objects the toc does not recreate', () => {
	let superuser: pg.Client;
	const source = uniqueName('ddl_unsupported');

	before(async () => {
		superuser = await postgresSuperuserClient();
		await superuser.query(`CREATE DATABASE ${source}`);
	});

	after(async () => {
		await dropPostgresDatabases([source]);
		await superuser.end();
	});

	test('are named in unsupported, with their count', async () => {
		assert.equal((await readToc(source)).unsupported, undefined);
		const client = await postgresSuperuserClient(source);
		try {
			await client.query(`CREATE TEXT SEARCH CONFIGURATION public.my_english (COPY = pg_catalog.english);
				CREATE TEXT SEARCH CONFIGURATION public.my_simple (COPY = pg_catalog.simple);
				CREATE FOREIGN DATA WRAPPER my_wrapper`);
		} finally {
			await client.end();
		}
		assert.deepEqual((await readToc(source)).unsupported, [
			'1 foreign data wrappers',
			'2 text search configurations, dictionaries, parsers or templates',
		]);
	});
});
