import mysql, {type Connection} from 'mysql2/promise';
import pg from 'pg';
import type {RunningMariadb, RunningPostgres} from './types.ts';

/**
 * A small shop database for the demo and for tests: customers, products, orders, order_items and a view,
 * with unicode text, decimals, dates, JSON and binary columns, generated deterministically in SQL.
 */
export const SAMPLE_DATABASE = 'dbbackup_demo';

export const SAMPLE_ROW_COUNTS = {
	customers: 1000,
	products: 200,
	orders: 3000,
	// order n has 1 + n % 3 lines
	order_items: 6000,
} as const;

export const SAMPLE_VIEW = 'customer_order_totals';

function checkedIdentifier(name: string): string {
	if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(name)) throw new Error(`not a plain identifier: ${name}`);
	return name;
}

// 0..9999 without recursive CTEs (whose depth limits differ between MariaDB and MySQL)
const MYSQL_NUMBERS = `(SELECT a.d + 10 * b.d + 100 * c.d + 1000 * e.d + 1 AS n FROM ${[
	'a',
	'b',
	'c',
	'e',
]
	.map((alias) => `(SELECT 0 AS d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9) ${alias}`)
	.join(' CROSS JOIN ')}) numbers`;

/** Creates `database` (default dbbackup_demo) on a MariaDB/MySQL server and fills it. */
export async function loadMysqlSample(conn: Connection, database: string = SAMPLE_DATABASE): Promise<void> {
	const db = `\`${checkedIdentifier(database)}\``;
	const c = SAMPLE_ROW_COUNTS;
	const statements = [
		`CREATE DATABASE ${db} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`,
		`CREATE TABLE ${db}.customers (
			id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
			name VARCHAR(100) NOT NULL,
			email VARCHAR(190) NOT NULL,
			country CHAR(2) NOT NULL,
			birthday DATE NULL,
			created_at DATETIME(3) NOT NULL,
			balance DECIMAL(12,2) NOT NULL DEFAULT 0,
			is_active TINYINT(1) NOT NULL DEFAULT 1,
			preferences JSON NULL,
			avatar BLOB NULL,
			UNIQUE KEY customers_email (email)
		) ENGINE=InnoDB`,
		`CREATE TABLE ${db}.products (
			id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
			sku VARCHAR(32) NOT NULL,
			title VARCHAR(200) NOT NULL,
			description TEXT NOT NULL,
			price DECIMAL(10,2) NOT NULL,
			weight_kg DOUBLE NOT NULL,
			stock SMALLINT NOT NULL,
			attributes JSON NOT NULL,
			thumbnail MEDIUMBLOB NOT NULL,
			added_on DATE NOT NULL,
			UNIQUE KEY products_sku (sku)
		) ENGINE=InnoDB`,
		`CREATE TABLE ${db}.orders (
			id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
			customer_id INT UNSIGNED NOT NULL,
			ordered_at DATETIME NOT NULL,
			status ENUM('new','paid','shipped','cancelled') NOT NULL DEFAULT 'new',
			total DECIMAL(12,2) NOT NULL DEFAULT 0,
			note VARCHAR(255) NULL,
			KEY orders_ordered_at (ordered_at),
			CONSTRAINT orders_customer FOREIGN KEY (customer_id) REFERENCES customers (id)
		) ENGINE=InnoDB`,
		`CREATE TABLE ${db}.order_items (
			order_id INT UNSIGNED NOT NULL,
			line_no TINYINT UNSIGNED NOT NULL,
			product_id INT UNSIGNED NOT NULL,
			quantity SMALLINT UNSIGNED NOT NULL,
			unit_price DECIMAL(10,2) NOT NULL,
			PRIMARY KEY (order_id, line_no),
			CONSTRAINT order_items_order FOREIGN KEY (order_id) REFERENCES orders (id),
			CONSTRAINT order_items_product FOREIGN KEY (product_id) REFERENCES products (id)
		) ENGINE=InnoDB`,
		'START TRANSACTION',
		`INSERT INTO ${db}.customers (id, name, email, country, birthday, created_at, balance, is_active, preferences, avatar)
			SELECT n,
				CONCAT(ELT(1 + n % 8, 'Zoë', 'Björn', 'Ñandú', 'Łukasz', '美咲', 'Андрей', 'Chloé', 'Joy 😀'), ' ',
					ELT(1 + (n DIV 8) % 6, 'Müller', 'O''Brien', 'García', '山田', 'Ström', 'Dvořák'), ' ', n),
				CONCAT('customer', n, '@example.com'),
				ELT(1 + n % 6, 'DE', 'FR', 'US', 'JP', 'BR', 'SE'),
				IF(n % 10 = 0, NULL, DATE_ADD('1950-01-01', INTERVAL (n * 37) % 18000 DAY)),
				DATE_ADD(DATE_ADD('2020-01-01 00:00:00', INTERVAL n * 3607 SECOND), INTERVAL (n % 1000) * 1000 MICROSECOND),
				CAST((n * 7919) % 100000 / 100 - 250 AS DECIMAL(12,2)),
				n % 7 <> 0,
				IF(n % 5 = 0, NULL, JSON_OBJECT('newsletter', n % 2 = 0, 'language', ELT(1 + n % 4, 'de', 'fr', 'en', 'ja'),
					'tags', JSON_ARRAY(CONCAT('t', n % 3), CONCAT('t', n % 11)))),
				IF(n % 3 = 0, NULL, UNHEX(SHA2(CONCAT('avatar', n), 256)))
			FROM ${MYSQL_NUMBERS} WHERE n <= ${c.customers}`,
		`INSERT INTO ${db}.products (id, sku, title, description, price, weight_kg, stock, attributes, thumbnail, added_on)
			SELECT n,
				CONCAT('SKU-', LPAD(n, 5, '0')),
				CONCAT(ELT(1 + n % 6, 'Kaffeebecher', 'Thé vert', 'Ramen 🍜', 'Chaise', 'Écharpe', 'Fahrrad'), ' #', n),
				CONCAT('Line one of product ', n, '.\\nLine two: ', REPEAT('lorem ipsum ', 1 + n % 40)),
				CAST(1 + (n * 131) % 50000 / 100 AS DECIMAL(10,2)),
				(n % 97) / 8,
				(n * 17) % 500,
				JSON_OBJECT('color', ELT(1 + n % 4, 'red', 'green', 'blue', 'black'), 'sizes', JSON_ARRAY('S', 'M', 'L'), 'rating', (n % 50) / 10),
				REPEAT(UNHEX(SHA2(CONCAT('thumbnail', n), 256)), 1 + n % 64),
				DATE_ADD('2019-06-01', INTERVAL n * 3 DAY)
			FROM ${MYSQL_NUMBERS} WHERE n <= ${c.products}`,
		`INSERT INTO ${db}.orders (id, customer_id, ordered_at, status, note)
			SELECT n,
				1 + (n * 7) % ${c.customers},
				DATE_ADD('2021-01-01 08:00:00', INTERVAL n * 2711 SECOND),
				ELT(1 + n % 4, 'new', 'paid', 'shipped', 'cancelled'),
				IF(n % 9 = 0, CONCAT('Bitte klingeln — 呼び鈴 ', n), NULL)
			FROM ${MYSQL_NUMBERS} WHERE n <= ${c.orders}`,
		`INSERT INTO ${db}.order_items (order_id, line_no, product_id, quantity, unit_price)
			SELECT o.id, l.line_no, p.id, 1 + (o.id + l.line_no) % 5, p.price
			FROM ${db}.orders o
			JOIN (SELECT 1 AS line_no UNION ALL SELECT 2 UNION ALL SELECT 3) l ON l.line_no <= 1 + o.id % 3
			JOIN ${db}.products p ON p.id = 1 + (o.id * 13 + l.line_no * 31) % ${c.products}`,
		`UPDATE ${db}.orders o
			JOIN (SELECT order_id, SUM(quantity * unit_price) AS total FROM ${db}.order_items GROUP BY order_id) t
				ON t.order_id = o.id
			SET o.total = t.total`,
		'COMMIT',
		`CREATE VIEW ${db}.${SAMPLE_VIEW} AS
			SELECT c.id AS customer_id, c.name, COUNT(o.id) AS orders, COALESCE(SUM(o.total), 0) AS spent
			FROM ${db}.customers c LEFT JOIN ${db}.orders o ON o.customer_id = c.id
			GROUP BY c.id, c.name`,
	];
	for (const statement of statements) await conn.query(statement);
}

/**
 * Fills the database `client` is connected to (its public schema) with the sample tables. Create the
 * database first (createPostgresSampleDatabase does both).
 */
export async function loadPostgresSample(client: pg.Client): Promise<void> {
	const c = SAMPLE_ROW_COUNTS;
	await client.query(`
		BEGIN;
		CREATE TYPE order_status AS ENUM ('new', 'paid', 'shipped', 'cancelled');
		CREATE TABLE customers (
			id integer GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
			name text NOT NULL,
			email varchar(190) NOT NULL UNIQUE,
			country char(2) NOT NULL,
			birthday date,
			created_at timestamptz(3) NOT NULL,
			balance numeric(12,2) NOT NULL DEFAULT 0,
			is_active boolean NOT NULL DEFAULT true,
			preferences jsonb,
			avatar bytea,
			tags text[] NOT NULL DEFAULT '{}'
		);
		CREATE TABLE products (
			id integer GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
			sku varchar(32) NOT NULL UNIQUE,
			external_id uuid NOT NULL,
			title text NOT NULL,
			description text NOT NULL,
			price numeric(10,2) NOT NULL CHECK (price > 0),
			weight_kg double precision NOT NULL,
			stock smallint NOT NULL,
			attributes jsonb NOT NULL,
			thumbnail bytea NOT NULL,
			added_on date NOT NULL
		);
		CREATE TABLE orders (
			id integer GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
			customer_id integer NOT NULL REFERENCES customers (id),
			ordered_at timestamp NOT NULL,
			status order_status NOT NULL DEFAULT 'new',
			total numeric(12,2) NOT NULL DEFAULT 0,
			note text
		);
		CREATE INDEX orders_ordered_at ON orders (ordered_at);
		CREATE TABLE order_items (
			order_id integer NOT NULL REFERENCES orders (id),
			line_no smallint NOT NULL,
			product_id integer NOT NULL REFERENCES products (id),
			quantity smallint NOT NULL,
			unit_price numeric(10,2) NOT NULL,
			PRIMARY KEY (order_id, line_no)
		);
		INSERT INTO customers (id, name, email, country, birthday, created_at, balance, is_active, preferences, avatar, tags)
			SELECT n,
				(ARRAY['Zoë', 'Björn', 'Ñandú', 'Łukasz', '美咲', 'Андрей', 'Chloé', 'Joy 😀'])[1 + n % 8] || ' ' ||
					(ARRAY['Müller', 'O''Brien', 'García', '山田', 'Ström', 'Dvořák'])[1 + (n / 8) % 6] || ' ' || n,
				'customer' || n || '@example.com',
				(ARRAY['DE', 'FR', 'US', 'JP', 'BR', 'SE'])[1 + n % 6],
				CASE WHEN n % 10 = 0 THEN NULL ELSE date '1950-01-01' + (n * 37) % 18000 END,
				timestamptz '2020-01-01 00:00:00+00' + n * interval '3607 seconds' + (n % 1000) * interval '1 millisecond',
				round((n * 7919) % 100000 / 100.0 - 250, 2),
				n % 7 <> 0,
				CASE WHEN n % 5 = 0 THEN NULL ELSE jsonb_build_object('newsletter', n % 2 = 0,
					'language', (ARRAY['de', 'fr', 'en', 'ja'])[1 + n % 4],
					'tags', jsonb_build_array('t' || n % 3, 't' || n % 11)) END,
				CASE WHEN n % 3 = 0 THEN NULL ELSE sha256(convert_to('avatar' || n, 'UTF8')) END,
				ARRAY['t' || n % 3, 't' || n % 11]
			FROM generate_series(1, ${c.customers}) AS n;
		INSERT INTO products (id, sku, external_id, title, description, price, weight_kg, stock, attributes, thumbnail, added_on)
			SELECT n,
				'SKU-' || lpad(n::text, 5, '0'),
				md5('product' || n)::uuid,
				(ARRAY['Kaffeebecher', 'Thé vert', 'Ramen 🍜', 'Chaise', 'Écharpe', 'Fahrrad'])[1 + n % 6] || ' #' || n,
				'Line one of product ' || n || E'.\\nLine two: ' || repeat('lorem ipsum ', 1 + n % 40),
				round(1 + (n * 131) % 50000 / 100.0, 2),
				(n % 97) / 8.0,
				(n * 17) % 500,
				jsonb_build_object('color', (ARRAY['red', 'green', 'blue', 'black'])[1 + n % 4],
					'sizes', jsonb_build_array('S', 'M', 'L'), 'rating', (n % 50) / 10.0),
				decode(repeat(encode(sha256(convert_to('thumbnail' || n, 'UTF8')), 'hex'), 1 + n % 64), 'hex'),
				date '2019-06-01' + n * 3
			FROM generate_series(1, ${c.products}) AS n;
		INSERT INTO orders (id, customer_id, ordered_at, status, note)
			SELECT n,
				1 + (n * 7) % ${c.customers},
				timestamp '2021-01-01 08:00:00' + n * interval '2711 seconds',
				(ARRAY['new', 'paid', 'shipped', 'cancelled'])[1 + n % 4]::order_status,
				CASE WHEN n % 9 = 0 THEN 'Bitte klingeln — 呼び鈴 ' || n END
			FROM generate_series(1, ${c.orders}) AS n;
		INSERT INTO order_items (order_id, line_no, product_id, quantity, unit_price)
			SELECT o.id, l.line_no, p.id, 1 + (o.id + l.line_no) % 5, p.price
			FROM orders o
			JOIN generate_series(1, 3) AS l(line_no) ON l.line_no <= 1 + o.id % 3
			JOIN products p ON p.id = 1 + (o.id * 13 + l.line_no * 31) % ${c.products};
		UPDATE orders o SET total = t.total
			FROM (SELECT order_id, sum(quantity * unit_price) AS total FROM order_items GROUP BY order_id) t
			WHERE t.order_id = o.id;
		SELECT setval(pg_get_serial_sequence('customers', 'id'), ${c.customers});
		SELECT setval(pg_get_serial_sequence('products', 'id'), ${c.products});
		SELECT setval(pg_get_serial_sequence('orders', 'id'), ${c.orders});
		CREATE VIEW ${SAMPLE_VIEW} AS
			SELECT c.id AS customer_id, c.name, count(o.id) AS orders, coalesce(sum(o.total), 0) AS spent
			FROM customers c LEFT JOIN orders o ON o.customer_id = c.id
			GROUP BY c.id, c.name;
		COMMIT;
	`);
}

/** Creates the sample database on a sandbox MariaDB as its `dbbackup` user. */
export async function createMariadbSampleDatabase(server: RunningMariadb, database: string = SAMPLE_DATABASE): Promise<void> {
	const conn = await mysql.createConnection({host: server.host, port: server.port, user: server.user, password: server.password});
	try {
		await loadMysqlSample(conn, database);
	} finally {
		await conn.end();
	}
}

/** Creates the sample database on a sandbox PostgreSQL, owned by its `dbbackup` role. */
export async function createPostgresSampleDatabase(server: RunningPostgres, database: string = SAMPLE_DATABASE): Promise<void> {
	const connect = async (db: string) => {
		const client = new pg.Client({host: server.host, port: server.port, user: server.user, password: server.password, database: db});
		await client.connect();
		return client;
	};
	const admin = await connect('postgres');
	try {
		await admin.query(`CREATE DATABASE ${checkedIdentifier(database)}`);
	} finally {
		await admin.end();
	}
	const client = await connect(database);
	try {
		await loadPostgresSample(client);
	} finally {
		await client.end();
	}
}
