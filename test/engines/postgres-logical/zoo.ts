/**
 * A PostgreSQL database that exercises every object kind the logical engine dumps, the common column
 * types, NULLs and hostile identifiers; deterministic, so two zoos (or a zoo and its restored copy) can
 * be compared. Create the roles first (as a superuser: the zoo has event triggers and ownership
 * changes), then the schema, then the rows:
 *   const roles = await createZooRoles(superuser); await createZoo(client, roles); await fillZoo(client);
 * and dropZooRoles after the zoo databases are dropped.
 */
import type pg from 'pg';
import {uniqueName} from '../../harness/db.ts';

export interface ZooRoles {
	/** owns most objects */
	owner: string;
	/** a hostile name: spaces, double quotes, upper case */
	reader: string;
	writer: string;
}

/** Contrib extensions the zoo uses when the server has them. */
export interface ZooExtensions {
	citext: boolean;
	btreeGist: boolean;
}

const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;

export async function createZooRoles(superuser: pg.Client): Promise<ZooRoles> {
	const roles: ZooRoles = {
		owner: uniqueName('zoo_owner'),
		reader: `Zoo Reader "${uniqueName('r')}"`,
		writer: uniqueName('zoo_writer'),
	};
	for (const role of Object.values(roles)) await superuser.query(`CREATE ROLE ${quote(role)} NOLOGIN`);
	return roles;
}

/** After every database holding zoo objects is dropped. */
export async function dropZooRoles(superuser: pg.Client, roles: ZooRoles): Promise<void> {
	for (const role of Object.values(roles)) await superuser.query(`DROP ROLE IF EXISTS ${quote(role)}`);
}

export async function availableZooExtensions(client: pg.Client): Promise<ZooExtensions> {
	const {rows} = await client.query<{name: string}>(
		`SELECT name FROM pg_available_extensions WHERE name IN ('citext', 'btree_gist')`,
	);
	const names = new Set(rows.map((row) => row.name));
	return {citext: names.has('citext'), btreeGist: names.has('btree_gist')};
}

/** The zoo's DDL, one script (simple query protocol), for the database it runs in. */
export function zooSchemaSql(roles: ZooRoles, extensions: ZooExtensions): string {
	const owner = quote(roles.owner);
	const reader = quote(roles.reader);
	const writer = quote(roles.writer);
	return `
SET client_min_messages = warning;

-- schemas
CREATE SCHEMA app;
CREATE SCHEMA "we.ird Schema";
CREATE SCHEMA ext;
COMMENT ON SCHEMA app IS 'application objects';
COMMENT ON SCHEMA "we.ird Schema" IS 'a schema with a dot, a space and capitals';
COMMENT ON SCHEMA public IS 'the zoo''s public schema';
GRANT CREATE ON SCHEMA public TO ${writer};
GRANT USAGE ON SCHEMA app TO ${reader}, ${writer};
GRANT USAGE ON SCHEMA "we.ird Schema" TO PUBLIC;

-- extensions
${extensions.citext ? `CREATE EXTENSION citext WITH SCHEMA ext;\nCOMMENT ON EXTENSION citext IS 'case-insensitive text, in schema ext';` : ''}
${extensions.btreeGist ? 'CREATE EXTENSION btree_gist WITH SCHEMA ext;' : ''}

-- collations
CREATE COLLATION app.nocase (provider = icu, locale = 'und-u-ks-level2', deterministic = false);
CREATE COLLATION app."C Posix" (provider = libc, locale = 'C');
COMMENT ON COLLATION app.nocase IS 'ICU, case-insensitive';

-- types
CREATE TYPE app.mood AS ENUM ('sad', 'ok', 'happy', 'it''s "complicated"');
ALTER TYPE app.mood ADD VALUE 'meh' BEFORE 'ok';
CREATE TYPE app.address AS (street text COLLATE app."C Posix", city text, zip varchar(10), "select" integer);
CREATE TYPE app.floatrange AS RANGE (subtype = float8, subtype_diff = float8mi);
CREATE TYPE "we.ird Schema"."Point ""3D""" AS (x double precision, y double precision, z double precision);
CREATE DOMAIN app.posint AS integer DEFAULT 1 NOT NULL
	CONSTRAINT posint_positive CHECK (VALUE > 0) CONSTRAINT posint_small CHECK (VALUE < 1000000);
CREATE DOMAIN app.email AS text COLLATE app.nocase CONSTRAINT email_has_at CHECK (VALUE LIKE '%@%');
ALTER DOMAIN app.email ADD CONSTRAINT email_not_local CHECK (VALUE NOT LIKE '%@localhost') NOT VALID;
CREATE DOMAIN "we.ird Schema"."Percent" AS numeric(5,2) CHECK (VALUE BETWEEN 0 AND 100);
COMMENT ON TYPE app.mood IS 'how it feels';
COMMENT ON TYPE app.floatrange IS 'a range of doubles';
COMMENT ON DOMAIN app.posint IS 'positive integer';
COMMENT ON CONSTRAINT posint_positive ON DOMAIN app.posint IS 'above zero';
COMMENT ON COLUMN app.address.city IS 'the city';
ALTER TYPE app.mood OWNER TO ${owner};
ALTER DOMAIN app.email OWNER TO ${owner};
REVOKE USAGE ON TYPE app.mood FROM PUBLIC;
GRANT USAGE ON TYPE app.mood TO ${reader};

-- functions, procedures, aggregates (next_code's SQL body needs its sequence)
CREATE SEQUENCE app.code_seq AS integer START WITH 100 INCREMENT BY 7 MINVALUE 50 MAXVALUE 100000 CACHE 5 CYCLE;
CREATE FUNCTION app.add_tax(amount numeric, rate numeric DEFAULT 0.2) RETURNS numeric
	LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$ SELECT amount * (1 + rate) $$;
CREATE FUNCTION app.noop_trigger() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_LEVEL = 'ROW' AND TG_OP <> 'DELETE' THEN RETURN NEW; END IF;
	RETURN NULL;
END $$;
CREATE FUNCTION app.touch_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN NEW.updated_at := '2000-01-01 00:00:00+00'; RETURN NEW; END $$;
CREATE FUNCTION app.next_code() RETURNS text LANGUAGE sql VOLATILE AS $$ SELECT 'C-' || nextval('app.code_seq')::text $$;
CREATE FUNCTION "we.ird Schema"."Weird ""fn"""(VARIADIC vals integer[], OUT total bigint, OUT n integer)
	LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog COST 50 AS $$
BEGIN
	total := 0; n := coalesce(array_length(vals, 1), 0);
	FOR i IN 1..n LOOP total := total + vals[i]; END LOOP;
END $$;
CREATE FUNCTION app.log_ddl() RETURNS event_trigger LANGUAGE plpgsql AS $$ BEGIN NULL; END $$;
CREATE FUNCTION app.sum_sq_step(state bigint, value integer) RETURNS bigint LANGUAGE sql IMMUTABLE AS $$ SELECT state + value * value $$;
CREATE AGGREGATE app.sum_squares(integer) (SFUNC = app.sum_sq_step, STYPE = bigint, INITCOND = '0', COMBINEFUNC = int8pl, PARALLEL = SAFE);
CREATE FUNCTION app.first_step(anyelement, anyelement) RETURNS anyelement LANGUAGE sql IMMUTABLE AS 'SELECT coalesce($1, $2)';
CREATE AGGREGATE app.first_nonnull(anyelement) (SFUNC = app.first_step, STYPE = anyelement);
CREATE PROCEDURE app.archive_orders(before timestamptz, INOUT archived integer DEFAULT 0) LANGUAGE plpgsql AS $$
BEGIN
	DELETE FROM app.orders WHERE created_at < before;
	GET DIAGNOSTICS archived = ROW_COUNT;
END $$;
COMMENT ON PROCEDURE app.archive_orders(timestamptz, integer) IS 'deletes old orders';
GRANT EXECUTE ON PROCEDURE app.archive_orders(timestamptz, integer) TO ${writer};
CREATE FUNCTION app.is_even(integer) RETURNS boolean LANGUAGE sql IMMUTABLE AS 'SELECT $1 % 2 = 0';
COMMENT ON FUNCTION app.add_tax(numeric, numeric) IS 'price with tax';
COMMENT ON AGGREGATE app.sum_squares(integer) IS 'sum of squares';
ALTER FUNCTION app.add_tax(numeric, numeric) OWNER TO ${owner};
ALTER AGGREGATE app.sum_squares(integer) OWNER TO ${owner};
REVOKE EXECUTE ON FUNCTION app.add_tax(numeric, numeric) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app.add_tax(numeric, numeric) TO ${reader};

-- sequences
CREATE SEQUENCE app.countdown INCREMENT BY -1 MINVALUE -1000 MAXVALUE 0 START WITH 0;
CREATE UNLOGGED SEQUENCE app.scratch_seq;
COMMENT ON SEQUENCE app.code_seq IS 'customer codes';
ALTER SEQUENCE app.code_seq OWNER TO ${owner};
GRANT USAGE, SELECT ON SEQUENCE app.code_seq TO ${writer};

-- tables
CREATE TABLE app.customers (
	id bigserial PRIMARY KEY,
	email app.email NOT NULL,
	name text COLLATE app.nocase,
	"Display Name" varchar(80),
	mood app.mood DEFAULT 'ok',
	address app.address,
	score app.posint,
	created_at timestamptz NOT NULL DEFAULT '2024-01-01 00:00:00+00',
	code text DEFAULT app.next_code(),
	CONSTRAINT customers_email_key UNIQUE (email) DEFERRABLE INITIALLY DEFERRED,
	CONSTRAINT customers_name_check CHECK (char_length(name) > 0)
);
ALTER TABLE app.customers ALTER COLUMN "Display Name" SET STATISTICS 500;
ALTER TABLE app.customers ALTER COLUMN name SET STORAGE EXTERNAL;
ALTER TABLE app.customers ALTER COLUMN name SET (n_distinct = -0.5);
ALTER TABLE app.customers ALTER COLUMN "Display Name" SET COMPRESSION pglz;
ALTER TABLE app.customers SET (fillfactor = 80, autovacuum_enabled = false, toast.autovacuum_enabled = false);
ALTER TABLE app.customers REPLICA IDENTITY USING INDEX customers_pkey;

CREATE TABLE app.type_zoo (
	id integer GENERATED ALWAYS AS IDENTITY (START WITH 10 INCREMENT BY 5) PRIMARY KEY,
	small smallint, big bigint, num numeric(20,6), num_any numeric, real_v real, dbl double precision,
	money_v money, flag boolean, ch char(3), vc varchar(20), txt text, by bytea,
	int_arr integer[], txt_arr text[], matrix float8[][],
	js json, jsb jsonb, rng int4range, trng tstzrange, frng app.floatrange, mrng int4multirange,
	mood_v app.mood, pct "we.ird Schema"."Percent", p3 "we.ird Schema"."Point ""3D""",
	uid uuid, ip inet, net cidr, mac macaddr, iv interval, ts timestamp, tstz timestamptz, d date, t time, ttz timetz,
	bits bit(8), vbits bit varying(16), tsv tsvector, tsq tsquery,
	pt point, ln line, lseg_v lseg, bx box, pth path, pg polygon, circ circle,
	x xml, oid_v oid,
	doubled numeric GENERATED ALWAYS AS (num * 2) STORED
);
COMMENT ON TABLE app.type_zoo IS 'one column of each common type';
COMMENT ON COLUMN app.type_zoo.doubled IS 'generated';

CREATE TABLE "we.ird Schema"."Order Details" (
	"select" integer GENERATED BY DEFAULT AS IDENTITY,
	"order" text NOT NULL,
	"Quote""d" text,
	"café_ünïcode_表" text,
	" leading space" integer DEFAULT 42,
	CONSTRAINT "Order Details_pkey" PRIMARY KEY ("select")
);
COMMENT ON TABLE "we.ird Schema"."Order Details" IS 'hostile names: it''s "quoted"';
COMMENT ON COLUMN "we.ird Schema"."Order Details"."Quote""d" IS 'a quote in a column name';

CREATE TABLE app.categories (
	id integer PRIMARY KEY,
	parent_id integer,
	label text NOT NULL,
	CONSTRAINT categories_parent_fk FOREIGN KEY (parent_id) REFERENCES app.categories (id) MATCH FULL ON UPDATE SET NULL
);

CREATE TABLE app.orders (
	id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
	customer_id bigint NOT NULL,
	category_id integer REFERENCES app.categories ON DELETE SET NULL,
	mood app.mood,
	amount numeric(12,2) CONSTRAINT orders_amount_check CHECK (amount >= 0),
	during tstzrange,
	note text,
	created_at timestamptz DEFAULT '2024-01-01 00:00:00+00',
	updated_at timestamptz,
	CONSTRAINT orders_customer_fk FOREIGN KEY (customer_id) REFERENCES app.customers (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
	CONSTRAINT orders_no_overlap EXCLUDE USING gist (${extensions.btreeGist ? 'customer_id WITH =, ' : ''}during WITH &&)
);
ALTER TABLE app.orders ADD CONSTRAINT orders_note_length CHECK (length(note) < 500) NOT VALID;
COMMENT ON CONSTRAINT orders_amount_check ON app.orders IS 'no negative orders';

CREATE TABLE app.order_notes (
	order_id bigint,
	body text
);
ALTER TABLE app.order_notes ADD CONSTRAINT order_notes_order_fk FOREIGN KEY (order_id) REFERENCES app.orders (id) NOT VALID;

-- partitioning
CREATE TABLE app.events (
	id bigint NOT NULL,
	happened date NOT NULL,
	kind text NOT NULL DEFAULT 'other',
	payload jsonb,
	CONSTRAINT events_kind_check CHECK (kind <> '')
) PARTITION BY RANGE (happened);
CREATE TABLE app.events_2024 PARTITION OF app.events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE app.events_2025 PARTITION OF app.events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01') PARTITION BY LIST (kind);
CREATE TABLE app.events_2025_click PARTITION OF app.events_2025 FOR VALUES IN ('click', 'tap');
CREATE TABLE app.events_2025_other PARTITION OF app.events_2025 DEFAULT;
CREATE TABLE app.events_default PARTITION OF app.events DEFAULT;
ALTER TABLE ONLY app.events_2024 ALTER COLUMN kind SET DEFAULT 'legacy';
ALTER TABLE app.events ADD CONSTRAINT events_pkey PRIMARY KEY (id, happened, kind);
CREATE INDEX events_payload_idx ON app.events USING gin (payload);
CREATE INDEX events_kind_idx ON app.events (kind) WHERE kind <> 'other';
COMMENT ON TABLE app.events IS 'range partitioned, with a list sub-partition';

CREATE TABLE app.event_tags (
	event_id bigint NOT NULL,
	happened date NOT NULL,
	kind text NOT NULL,
	tag text NOT NULL,
	CONSTRAINT event_tags_event_fk FOREIGN KEY (event_id, happened, kind) REFERENCES app.events (id, happened, kind) ON DELETE CASCADE
);

CREATE TABLE app.sessions (
	id uuid NOT NULL,
	customer_id bigint REFERENCES app.customers (id),
	started timestamptz
) PARTITION BY HASH (id);
CREATE TABLE app.sessions_0 PARTITION OF app.sessions FOR VALUES WITH (MODULUS 2, REMAINDER 0);
CREATE TABLE app.sessions_1 PARTITION OF app.sessions FOR VALUES WITH (MODULUS 2, REMAINDER 1);
CREATE TRIGGER sessions_after_insert AFTER INSERT ON app.sessions FOR EACH ROW EXECUTE FUNCTION app.noop_trigger();

-- inheritance
CREATE TABLE app.vehicles (
	id integer PRIMARY KEY,
	wheels integer NOT NULL DEFAULT 4 CONSTRAINT vehicles_wheels_check CHECK (wheels >= 0),
	name text
);
CREATE TABLE app.cars (seats integer DEFAULT 5, name text NOT NULL) INHERITS (app.vehicles);
CREATE TABLE app.boats (id integer, hull text);
CREATE TABLE app.amphibians (draft numeric) INHERITS (app.cars, app.boats);
ALTER TABLE ONLY app.amphibians ALTER COLUMN hull SET NOT NULL;
ALTER TABLE ONLY app.cars ALTER COLUMN wheels SET DEFAULT 4;

CREATE UNLOGGED TABLE app.cache (
	key text COLLATE app."C Posix" PRIMARY KEY,
	value jsonb,
	expires timestamptz
) WITH (fillfactor = 70);
ALTER TABLE app.cache REPLICA IDENTITY FULL;

CREATE TABLE public.plain (id integer, label text);
${extensions.citext ? 'CREATE TABLE app.tags (name ext.citext PRIMARY KEY, uses integer DEFAULT 0);' : ''}

-- indexes
CREATE INDEX customers_lower_name_idx ON app.customers (lower(name COLLATE "C"));
ALTER INDEX app.customers_lower_name_idx ALTER COLUMN 1 SET STATISTICS 300;
CREATE UNIQUE INDEX customers_code_idx ON app.customers (code) INCLUDE (created_at) WHERE code IS NOT NULL;
CREATE INDEX orders_created_brin ON app.orders USING brin (created_at) WITH (pages_per_range = 32);
CREATE INDEX orders_note_hash ON app.orders USING hash (note);
CREATE INDEX orders_customer_created_idx ON app.orders (customer_id, created_at DESC NULLS LAST) WITH (fillfactor = 70);
ALTER TABLE app.orders CLUSTER ON orders_customer_created_idx;
CREATE INDEX type_zoo_tsv_idx ON app.type_zoo USING gin (tsv);
CREATE INDEX type_zoo_pt_idx ON app.type_zoo USING gist (pt);
CREATE INDEX type_zoo_txt_pattern_idx ON app.type_zoo (txt text_pattern_ops);
CREATE INDEX "Order Details ""order"" idx" ON "we.ird Schema"."Order Details" ("order" COLLATE "C" DESC);
COMMENT ON INDEX app.customers_lower_name_idx IS 'expression index';

-- views
CREATE VIEW app.customer_orders AS
	SELECT c.id, c.name, count(o.id) AS n_orders, sum(o.amount) AS total
	FROM app.customers c LEFT JOIN app.orders o ON o.customer_id = c.id
	GROUP BY c.id;
CREATE VIEW app.big_spenders WITH (security_barrier = true) AS SELECT * FROM app.customer_orders WHERE total > 100;
CREATE VIEW app.happy_customers AS SELECT id, name, mood FROM app.customers WHERE mood = 'happy' WITH CASCADED CHECK OPTION;
ALTER VIEW app.happy_customers ALTER COLUMN mood SET DEFAULT 'happy';
CREATE RECURSIVE VIEW app.count_down (n) AS VALUES (3) UNION ALL SELECT n - 1 FROM count_down WHERE n > 0;
CREATE VIEW "we.ird Schema"."Select View" AS SELECT "select", "order" FROM "we.ird Schema"."Order Details";
COMMENT ON VIEW app.customer_orders IS 'orders per customer';
COMMENT ON COLUMN app.customer_orders.total IS 'sum of amounts';
CREATE TRIGGER customer_orders_instead INSTEAD OF INSERT ON app.customer_orders FOR EACH ROW EXECUTE FUNCTION app.noop_trigger();

-- materialized views
CREATE MATERIALIZED VIEW app.mood_counts AS SELECT mood, count(*) AS n FROM app.customers GROUP BY mood;
CREATE UNIQUE INDEX mood_counts_mood_idx ON app.mood_counts (mood);
CREATE MATERIALIZED VIEW app.mood_summary WITH (fillfactor = 90) AS SELECT sum(n) AS total FROM app.mood_counts;
CREATE MATERIALIZED VIEW app.never_filled AS SELECT 1 AS one WITH NO DATA;
COMMENT ON MATERIALIZED VIEW app.mood_counts IS 'customers per mood';

-- rules
CREATE RULE "Select View insert" AS ON INSERT TO "we.ird Schema"."Select View"
	DO INSTEAD INSERT INTO "we.ird Schema"."Order Details" ("order") VALUES (NEW."order");
CREATE RULE orders_notify AS ON UPDATE TO app.orders DO ALSO NOTIFY orders_changed;
ALTER TABLE app.orders DISABLE RULE orders_notify;
COMMENT ON RULE orders_notify ON app.orders IS 'tells listeners';

-- triggers
CREATE TRIGGER orders_touch BEFORE UPDATE ON app.orders FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION app.touch_updated();
CREATE TRIGGER orders_audit AFTER INSERT ON app.orders REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION app.noop_trigger();
ALTER TABLE app.orders ENABLE REPLICA TRIGGER orders_audit;
CREATE CONSTRAINT TRIGGER customers_deferred_check AFTER INSERT OR UPDATE ON app.customers
	DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION app.noop_trigger();
CREATE TRIGGER "Order Details Trigger" BEFORE INSERT OR UPDATE OF "order" ON "we.ird Schema"."Order Details"
	FOR EACH ROW EXECUTE FUNCTION app.noop_trigger();
ALTER TABLE "we.ird Schema"."Order Details" DISABLE TRIGGER "Order Details Trigger";
COMMENT ON TRIGGER orders_touch ON app.orders IS 'keeps updated_at';

-- row level security
ALTER TABLE app.orders ENABLE ROW LEVEL SECURITY;
ALTER TABLE app.orders FORCE ROW LEVEL SECURITY;
ALTER TABLE app.customers ENABLE ROW LEVEL SECURITY;
CREATE POLICY orders_reader ON app.orders FOR SELECT TO ${reader} USING (amount < 1000);
CREATE POLICY orders_writer ON app.orders AS RESTRICTIVE FOR INSERT TO ${writer}, ${reader} WITH CHECK (amount >= 0);
CREATE POLICY "All Access" ON app.orders USING (true) WITH CHECK (true);
COMMENT ON POLICY orders_reader ON app.orders IS 'readers see small orders';

-- extended statistics
CREATE STATISTICS app.orders_stats (dependencies, ndistinct) ON customer_id, mood FROM app.orders;
ALTER STATISTICS app.orders_stats SET STATISTICS 200;
CREATE STATISTICS app.customers_expr_stats ON lower(name), mood FROM app.customers;
COMMENT ON STATISTICS app.orders_stats IS 'customer and mood are correlated';

-- a large object (its bytes are written by fillZoo)
SELECT lo_create(424242);
COMMENT ON LARGE OBJECT 424242 IS 'a large object';
ALTER LARGE OBJECT 424242 OWNER TO ${owner};
GRANT SELECT ON LARGE OBJECT 424242 TO ${reader};

-- ownership
ALTER SCHEMA app OWNER TO ${owner};
ALTER TABLE app.customers OWNER TO ${owner};
ALTER TABLE app.orders OWNER TO ${owner};
ALTER TABLE app.events OWNER TO ${owner};
ALTER TABLE app.events_2024 OWNER TO ${owner};
ALTER TABLE "we.ird Schema"."Order Details" OWNER TO ${owner};
ALTER VIEW app.customer_orders OWNER TO ${owner};
ALTER MATERIALIZED VIEW app.mood_counts OWNER TO ${owner};
ALTER STATISTICS app.orders_stats OWNER TO ${owner};

-- grants
GRANT SELECT ON ALL TABLES IN SCHEMA app TO ${reader};
GRANT SELECT, INSERT, UPDATE ON app.orders TO ${writer} WITH GRANT OPTION;
GRANT SELECT (id, name), UPDATE (name) ON app.customers TO ${writer};
REVOKE TRUNCATE ON app.cache FROM CURRENT_USER;
GRANT ALL ON "we.ird Schema"."Order Details" TO PUBLIC;
ALTER DEFAULT PRIVILEGES FOR ROLE ${owner} IN SCHEMA app GRANT SELECT ON TABLES TO ${reader};
ALTER DEFAULT PRIVILEGES FOR ROLE ${owner} REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;
ALTER DEFAULT PRIVILEGES FOR ROLE ${owner} GRANT USAGE ON SEQUENCES TO ${writer};

-- event triggers
CREATE EVENT TRIGGER zoo_ddl_log ON ddl_command_end WHEN TAG IN ('CREATE TABLE', 'ALTER TABLE') EXECUTE FUNCTION app.log_ddl();
CREATE EVENT TRIGGER "Zoo Drop Guard" ON sql_drop EXECUTE FUNCTION app.log_ddl();
ALTER EVENT TRIGGER "Zoo Drop Guard" DISABLE;
COMMENT ON EVENT TRIGGER zoo_ddl_log IS 'logs DDL';

-- publications
CREATE PUBLICATION zoo_all FOR ALL TABLES WITH (publish = 'insert, truncate');
CREATE PUBLICATION "Zoo Orders" FOR TABLE app.orders (id, customer_id, amount) WHERE (amount > 0), app.categories
	WITH (publish = 'insert', publish_via_partition_root = true);
CREATE PUBLICATION zoo_schema FOR TABLES IN SCHEMA "we.ird Schema" WITH (publish = 'insert');
COMMENT ON PUBLICATION "Zoo Orders" IS 'orders for the warehouse';

-- the database itself
DO $$ BEGIN
	EXECUTE format('COMMENT ON DATABASE %I IS %L', current_database(), 'the zoo: every object kind');
	EXECUTE format('ALTER DATABASE %I SET work_mem = %L', current_database(), '8MB');
	EXECUTE format('ALTER DATABASE %I SET search_path = app, public', current_database());
	EXECUTE format('REVOKE TEMPORARY ON DATABASE %I FROM PUBLIC', current_database());
	EXECUTE format('GRANT CONNECT ON DATABASE %I TO %I', current_database(), ${quoteLiteralSql(roles.reader)});
END $$;
`;
}

function quoteLiteralSql(value: string): string {
	return `'${value.replaceAll("'", "''")}'`;
}

/** Creates the zoo in the database `client` is connected to (as a superuser). */
export async function createZoo(client: pg.Client, roles: ZooRoles): Promise<ZooExtensions> {
	const extensions = await availableZooExtensions(client);
	await client.query(zooSchemaSql(roles, extensions));
	return extensions;
}

/** A few hundred deterministic rows: NULLs, edge values, unicode, backslashes, tabs, newlines, empty arrays, NaN/Infinity. */
export async function fillZoo(client: pg.Client): Promise<void> {
	await client.query(`
SET client_min_messages = warning;
INSERT INTO app.categories (id, parent_id, label)
	SELECT i, CASE WHEN i > 5 THEN (i % 5) + 1 END, 'category ' || i FROM generate_series(1, 20) AS i;

INSERT INTO app.customers (email, name, "Display Name", mood, address, score, created_at, code)
	SELECT 'user' || i || '@example.com',
		CASE i % 7
			WHEN 0 THEN NULL
			WHEN 1 THEN 'Zoë ünïcode 表 ' || i
			WHEN 2 THEN E'back\\\\slash\\ttab ' || i
			WHEN 3 THEN E'new\\nline ' || i
			WHEN 4 THEN 'quote '' and "double" ' || i
			ELSE 'name ' || i END,
		CASE WHEN i % 3 = 0 THEN NULL ELSE 'Display ' || i END,
		(ARRAY['sad', 'meh', 'ok', 'happy', 'it''s "complicated"']::app.mood[])[1 + i % 5],
		CASE WHEN i % 4 = 0 THEN NULL ELSE ROW('street ' || i, 'city', lpad(i::text, 5, '0'), i)::app.address END,
		1 + i % 999,
		'2024-01-01 00:00:00+00'::timestamptz + i * interval '1 hour',
		CASE WHEN i % 2 = 0 THEN 'K-' || i END
	FROM generate_series(1, 200) AS i;

INSERT INTO app.orders (customer_id, category_id, mood, amount, during, note, created_at)
	SELECT 1 + i % 200, CASE WHEN i % 6 = 0 THEN NULL ELSE 1 + i % 20 END,
		CASE WHEN i % 9 = 0 THEN NULL ELSE (ARRAY['sad', 'ok', 'happy']::app.mood[])[1 + i % 3] END,
		CASE i % 10 WHEN 0 THEN NULL WHEN 1 THEN 0 WHEN 2 THEN 9999999999.99 ELSE (i * 3.17)::numeric(12,2) END,
		tstzrange('2024-01-01 00:00:00+00'::timestamptz + i * interval '1 hour', '2024-01-01 00:30:00+00'::timestamptz + i * interval '1 hour'),
		CASE WHEN i % 5 = 0 THEN NULL ELSE E'note\\t' || i || E'\\n\\\\end' END,
		'2024-02-01 00:00:00+00'::timestamptz + i * interval '1 minute'
	FROM generate_series(1, 300) AS i;

INSERT INTO app.order_notes (order_id, body) SELECT i, 'note for ' || i FROM generate_series(1, 50) AS i;
INSERT INTO app.order_notes (order_id, body) VALUES (NULL, NULL);

INSERT INTO app.type_zoo (small, big, num, num_any, real_v, dbl, money_v, flag, ch, vc, txt, by, int_arr, txt_arr, matrix,
		js, jsb, rng, trng, frng, mrng, mood_v, pct, p3, uid, ip, net, mac, iv, ts, tstz, d, t, ttz, bits, vbits, tsv, tsq,
		pt, ln, lseg_v, bx, pth, pg, circ, x, oid_v)
	VALUES
	(-32768, -9223372036854775808, -99999999999999.999999, 'NaN', 'NaN', '-Infinity', '-92233720368547758.08', false, 'a', '', '', '\\x00',
		'{}', '{}', '{{1.5,2},{3,4}}', 'null', '{}', 'empty', '(,)', '[0,1)', '{}', 'sad', 0, ROW(0, 0, 0),
		'00000000-0000-0000-0000-000000000000', '0.0.0.0', '0.0.0.0/0', '00:00:00:00:00:00', '-178000000 years', '-infinity', '-infinity',
		'-infinity', '00:00', '00:00+14', B'00000000', B'', '', 'a', '(0,0)', '{1,-1,0}', '[(0,0),(1,1)]', '((0,0),(1,1))',
		'[(0,0),(1,1),(2,0)]', '((0,0),(1,1),(2,0))', '<(0,0),1>', '<a/>', 0),
	(32767, 9223372036854775807, 99999999999999.999999, 'Infinity', 'Infinity', 'NaN', '92233720368547758.07', true, 'xyz', 'twenty chars exactly',
		E'tab\\there\\nnewline\\\\backslash ''quote'' "dq" Zoë 表 🐘', '\\xdeadbeef00ff', '{1,NULL,3}', '{"a b","c\\"d",NULL,""}', '{{NaN,Infinity},{-Infinity,0}}',
		'{"k": [1, 2.5, "ü\\u00e9", null]}', '{"nested": {"a": [true, false, null]}, "n": 1e10}', '[1,10)', '[2024-01-01 00:00:00+00,infinity)',
		'(-1.5,2.5]', '{[1,3), [5,7)}', 'it''s "complicated"', 100, ROW(1.5, 'NaN', '-Infinity'),
		'ffffffff-ffff-ffff-ffff-ffffffffffff', '2001:db8::1/64', '2001:db8::/32', 'ff:ff:ff:ff:ff:ff', '178000000 years 11 months 1 day 23:59:59.999999',
		'infinity', 'infinity', 'infinity', '24:00', '23:59:59.999999-15:59', B'11111111', B'1010101010101010',
		'a:1A fat:2B,4C cat:5D', 'fat & (rat | !cat)', '(1e300,-1e-300)', '{1,2,3}', '[(1,2),(3,4)]', '((-1,-1),(1,1))',
		'((0,0),(1,1))', '((0,0),(0,1),(1,1),(1,0))', '<(1,1),0.5>', '<doc attr="v">text &amp; more</doc>', 4294967295);
INSERT INTO app.type_zoo (num, txt, flag) SELECT i / 7.0, 'row ' || i, i % 2 = 0 FROM generate_series(1, 60) AS i;
INSERT INTO app.type_zoo (txt) VALUES (NULL);

INSERT INTO "we.ird Schema"."Order Details" ("order", "Quote""d", "café_ünïcode_表", " leading space")
	SELECT 'order ' || i,
		CASE i % 4 WHEN 0 THEN NULL WHEN 1 THEN E'\\\\N is not null' WHEN 2 THEN E'\\t\\r\\n' ELSE '"' END,
		CASE WHEN i % 3 = 0 THEN NULL ELSE '表' || repeat('é', i % 10) END,
		CASE WHEN i % 2 = 0 THEN NULL ELSE i END
	FROM generate_series(1, 40) AS i;

INSERT INTO app.events (id, happened, kind, payload)
	SELECT i, '2024-06-01'::date + (i * 3), (ARRAY['click', 'tap', 'view', 'other'])[1 + i % 4],
		CASE WHEN i % 5 = 0 THEN NULL ELSE jsonb_build_object('i', i, 'even', i % 2 = 0) END
	FROM generate_series(1, 300) AS i;
INSERT INTO app.event_tags (event_id, happened, kind, tag)
	SELECT id, happened, kind, 'tag ' || id FROM app.events WHERE id % 10 = 0;

INSERT INTO app.sessions (id, customer_id, started)
	SELECT md5(i::text)::uuid, CASE WHEN i % 3 = 0 THEN NULL ELSE 1 + i % 200 END, '2024-03-01 00:00:00+00'::timestamptz + i * interval '1 day'
	FROM generate_series(1, 40) AS i;

INSERT INTO app.vehicles (id, wheels, name) VALUES (1, 4, 'a car-shaped vehicle'), (2, 2, NULL);
INSERT INTO app.cars (id, wheels, name, seats) VALUES (10, 4, 'sedan', 5), (11, 4, 'van', NULL);
INSERT INTO app.boats (id, hull) VALUES (20, 'wood'), (21, NULL);
INSERT INTO app.amphibians (id, wheels, name, seats, hull, draft) VALUES (30, 6, 'duck', 12, 'steel', 1.25);

INSERT INTO app.cache (key, value, expires)
	SELECT 'key:' || i, jsonb_build_array(i, 'v'), CASE WHEN i % 2 = 0 THEN 'infinity'::timestamptz END FROM generate_series(1, 30) AS i;
INSERT INTO public.plain (id, label) SELECT i, NULLIF('label ' || i, 'label 3') FROM generate_series(1, 10) AS i;
SELECT setval('app.countdown', -17);
SELECT lo_put(424242, 0, convert_to(E'large object bytes: Zoë 表\\n', 'UTF8') || '\\x00ff'::bytea);
SELECT nextval('app.scratch_seq');
REFRESH MATERIALIZED VIEW app.mood_counts;
REFRESH MATERIALIZED VIEW app.mood_summary;
`);
	const {rows} = await client.query(`SELECT 1 FROM pg_catalog.pg_tables WHERE schemaname = 'app' AND tablename = 'tags'`);
	if (rows.length > 0) await client.query(`INSERT INTO app.tags (name, uses) VALUES ('Alpha', 1), ('beta', 2), ('GAMMA', NULL)`);
}
