/** A database with every column type, awkward identifiers and every kind of stored object, for round trips. */
import {randomBytes} from 'node:crypto';
import type {Connection} from 'mysql2/promise';

export const AWKWARD_TABLE = 'select';
export const UNICODE_TABLE = 'ñandú 表';

function rangeRows(count: number, row: (index: number) => string): string {
	return Array.from({length: count}, (_, index) => row(index)).join(',\n');
}

/**
 * Builds the zoo in `database` (created here) over a multipleStatements connection. The MySQL variant
 * differs where the servers do: see the comments at `mysql`.
 */
export async function createTypeZoo(connection: Connection, database: string, flavor: 'mariadb' | 'mysql' = 'mariadb'): Promise<void> {
	const mysql = flavor === 'mysql';
	const blob = randomBytes(700).toString('hex');
	const statements = `
SET SESSION sql_mode = 'NO_AUTO_VALUE_ON_ZERO', time_zone = '+00:00';
CREATE DATABASE \`${database}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
USE \`${database}\`;
CREATE TABLE types (
	id INT PRIMARY KEY,
	ti TINYINT, tiu TINYINT UNSIGNED, si SMALLINT, siu SMALLINT UNSIGNED, mi MEDIUMINT, miu MEDIUMINT UNSIGNED,
	i INT, iu INT UNSIGNED, bi BIGINT, biu BIGINT UNSIGNED,
	de DECIMAL(65,30), de0 DECIMAL(20,0) UNSIGNED,
	f FLOAT, d DOUBLE,
	b1 BIT(1), b64 BIT(64), b10 BIT(10),
	dt DATE, dtm DATETIME(6), dtm0 DATETIME, ts TIMESTAMP(3) NULL DEFAULT NULL, tm TIME(6), y YEAR,
	vc VARCHAR(100), tx TEXT, l1 VARCHAR(50) CHARACTER SET latin1, ch CHAR(10),
	bn BINARY(4), vb VARBINARY(20), bl BLOB, vbin VARCHAR(20) COLLATE utf8mb4_bin,
	en ENUM('a','b','it''s'), st SET('x','y','z'),
	js JSON, g GEOMETRY, pt POINT
) ENGINE=InnoDB;
INSERT INTO types VALUES
(1, -128, 0, -32768, 0, -8388608, 0, -2147483648, 0, -9223372036854775808, 0,
	'-99999999999999999999999999999999999.999999999999999999999999999999', 0,
	16777217, 5e-324, b'0', b'1111111111111111111111111111111111111111111111111111111111111111', b'1010101010',
	'0000-00-00', '0000-00-00 00:00:00.000000', '1000-01-01 00:00:00', '1970-01-01 00:00:01.000', '-838:59:59.000000', 1901,
	'😀 ñ 表 🐬', 'back\\\\slash ''quote'' "dq" \\0 nul \\n nl \\r cr \\Z ctrlz -- not a comment; /* nor this */', 'café ÿ', 'abc',
	0x00000000, 0x00FF5C27220A0D1A, 0x${blob}, 'CaSe',
	'it''s', 'x,z', '{"a": [1, 2.5, "ü"], "b": null}',
	ST_GeomFromText('POLYGON((0 0,1 0,1 1,0 0))'), ST_GeomFromText('POINT(1.5 -2.25)', 4326)),
(2, 127, 255, 32767, 65535, 8388607, 16777215, 2147483647, 4294967295, 9223372036854775807, 18446744073709551615,
	'99999999999999999999999999999999999.999999999999999999999999999999', 99999999999999999999,
	3.4028234e38, 1.7976931348623157e308, b'1', b'0', b'0000000001',
	'9999-12-31', '9999-12-31 23:59:59.999999', '9999-12-31 23:59:59', '2038-01-19 03:14:07.999', '838:59:59.000000', 2155,
	REPEAT('é', 100), REPEAT('x', 5000), '', 'z',
	0xFFFFFFFF, 0x5C, 0x00, 'b',
	'a', 'x,y,z', '[]', ST_GeomFromText('LINESTRING(0 0, 10 10, 20 25)'), ST_GeomFromText('POINT(0 0)')),
(3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
	NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
(4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0.000000000000000000000000000001, 1,
	-0.0, -0e0, b'0', b'0', b'0',
	'2024-02-29', '2024-02-29 12:34:56.123456', '2024-02-29 00:00:00', '2024-06-01 12:00:00.5', '-00:00:00.5', 0,
	'', '', '', '', '', '', '', '', '', '', '""', NULL, NULL),
(5, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, '0.1', 12345678901234567890,
	0.1, 0.1, b'1', b'1000000000000000000000000000000000000000000000000000000000000001', b'1111111111',
	'1970-01-01', '1970-01-01 00:00:00.000001', '2000-01-01 00:00:00', '2000-01-01 00:00:00.001', '123:45:06.7', 1970,
	'tab\\there', 'line1\\nline2\\r\\n', 'ÀÉÎÕÜ', 'ch''ar',
	0x61626364, 0x2727, 0x0D0A, 'bin''ary',
	'b', 'y', '{"nested": {"k": "v\\\\\\"q"}}', ST_GeomFromText('GEOMETRYCOLLECTION(POINT(1 1))'), ST_GeomFromText('POINT(-180 90)'));

CREATE TABLE \`${AWKWARD_TABLE}\` (
	\`order\` VARCHAR(20) NOT NULL, \`gr\`\`oup\` INT NOT NULL, \`we ird "col"\` TEXT,
	PRIMARY KEY (\`order\`, \`gr\`\`oup\`)
);
INSERT INTO \`${AWKWARD_TABLE}\` VALUES ${rangeRows(60, (index) => `('k${index % 7}', ${index}, 'v${index}''"\`')`)};

CREATE TABLE nokey (a INT, b VARCHAR(10));
INSERT INTO nokey VALUES ${rangeRows(30, (index) => `(${index % 5}, 'dup')`)};

CREATE TABLE gen (
	id INT AUTO_INCREMENT PRIMARY KEY, a INT,
	v INT AS (a * 2) VIRTUAL, s VARCHAR(20) AS (CONCAT('x', a)) STORED,
	hid INT INVISIBLE DEFAULT 7
);
INSERT INTO gen (id, a, hid) VALUES (0, 0, 0), ${rangeRows(100, (index) => `(${index + 1}, ${index}, ${index * 3})`)};

CREATE TABLE ints (id BIGINT PRIMARY KEY, payload VARCHAR(50));
INSERT INTO ints VALUES ${rangeRows(500, (index) => `(${index * index * 37 - 5000}, 'p${index}')`)};

CREATE TABLE \`${UNICODE_TABLE}\` (\`clé\` VARCHAR(30) NOT NULL, val INT, UNIQUE KEY \`u k\` (\`clé\`)) DEFAULT CHARSET=latin1;
INSERT INTO \`${UNICODE_TABLE}\` VALUES ${rangeRows(40, (index) => `('ä${String(index).padStart(3, '0')}', ${index})`)};

CREATE TABLE legacy (id INT PRIMARY KEY, note VARCHAR(10)) ENGINE=MyISAM;
INSERT INTO legacy VALUES (1, 'old');

CREATE FUNCTION f_add(a INT, b INT) RETURNS INT DETERMINISTIC RETURN a + b;
CREATE PROCEDURE \`p\`\`roc\`(IN x INT)
BEGIN
	DECLARE y INT DEFAULT 0;
	SET y = f_add(x, 1);
	SELECT y, 'semi;colon' AS s;
END;
CREATE VIEW v1 AS SELECT id, f_add(id, 1) AS next_id, vc FROM types;
CREATE VIEW \`v 2 "view"\` AS SELECT id, next_id FROM v1 WHERE id > 1;
CREATE TRIGGER gen_bi BEFORE INSERT ON gen FOR EACH ROW SET NEW.a = COALESCE(NEW.a, 0);
CREATE EVENT \`ev\` ON SCHEDULE EVERY 1 DAY STARTS '2030-01-01 00:00:00' DISABLE DO DELETE FROM nokey WHERE 1 = 0;
ANALYZE TABLE types, \`${AWKWARD_TABLE}\`, nokey, gen, ints, \`${UNICODE_TABLE}\`;
`;
	await connection.query(statements);
	if (mysql) await connection.query(mysqlOnlyTable(database));
}

/** The MySQL-only table of the zoo and its rows (see mysqlOnlyTable). */
export const MYSQL_ONLY_TABLE = {name: 'mysql_types', rows: 4};

/**
 * What MySQL has and MariaDB has not, or has otherwise: VECTOR (binary, no charset), a column SRID,
 * JSON as a binary type with a multi-valued index on it, functional and invisible indexes, an
 * expression default, a 0900 collation, a CHECK constraint. (MariaDB's own: SEQUENCE, in the round trip.)
 */
function mysqlOnlyTable(database: string): string {
	return `
USE \`${database}\`;
CREATE TABLE ${MYSQL_ONLY_TABLE.name} (
	id INT PRIMARY KEY,
	vec VECTOR(3),
	place POINT NOT NULL SRID 4326,
	doc JSON,
	n INT,
	uid VARCHAR(36) DEFAULT (UUID()),
	cs VARCHAR(20) COLLATE utf8mb4_0900_as_cs,
	KEY by_expression ((n + 1)),
	KEY by_tags ((CAST(doc->'$.tags' AS UNSIGNED ARRAY))),
	KEY hidden (cs) INVISIBLE,
	CONSTRAINT n_positive CHECK (n IS NULL OR n >= 0)
) ENGINE=InnoDB;
INSERT INTO ${MYSQL_ONLY_TABLE.name} (id, vec, place, doc, n, cs) VALUES
(1, STRING_TO_VECTOR('[1.5, -2, 3e10]'), ST_GeomFromText('POINT(45 -120)', 4326), '{"tags": [1, 2], "b": 1.5, "s": "it''s \\\\\\\\ ü"}', 5, 'Case'),
(2, 0x0000000000000080FFFF7F7F, ST_GeomFromText('POINT(-90 180)', 4326), '[]', 0, 'case'),
(3, NULL, ST_GeomFromText('POINT(0 0)', 4326), NULL, NULL, NULL),
(4, 0x275C0A0D1A00272722225C5C, ST_GeomFromText('POINT(1 1)', 4326), '{"big": 18446744073709551615, "neg": -0.0, "u": "\\\\u0000"}', 1, '');
`;
}
