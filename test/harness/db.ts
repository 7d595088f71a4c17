/** Connections to the harness's servers, for tests. */
import {randomBytes} from 'node:crypto';
import mysql, {type Connection} from 'mysql2/promise';
import pg from 'pg';
import type {ConnectionSettings} from '../../source/core/connection-settings.ts';
import {quoteIdent} from '../../source/engines/postgres-logical/identifiers.ts';
import {getTestServers} from './servers.ts';

export interface MariadbConnectionOptions {
	database?: string;
	/** default: the test user with ALL PRIVILEGES */
	user?: string;
	password?: string;
	multipleStatements?: boolean;
}

/** mysql2/promise connection over TCP, as the test user unless told otherwise. */
export function mariadbConnection(options: MariadbConnectionOptions = {}): Promise<Connection> {
	const {mariadb} = getTestServers();
	return mysql.createConnection({
		host: mariadb.host,
		port: mariadb.port,
		user: options.user ?? mariadb.user,
		password: options.password ?? (options.user === undefined ? mariadb.password : undefined),
		database: options.database,
		multipleStatements: options.multipleStatements ?? false,
	});
}

/** The product's connection settings for the test MariaDB, as the test user. */
export function mariadbSettings(): ConnectionSettings {
	const {mariadb} = getTestServers();
	return {dbType: 'mysql', host: mariadb.host, port: mariadb.port, user: mariadb.user, password: mariadb.password};
}

/** mysql2/promise connection over TCP to the test MySQL 9 (caching_sha2_password without TLS), as the test user unless told otherwise. */
export function mysqlConnection(options: MariadbConnectionOptions = {}): Promise<Connection> {
	const {mysql: server} = getTestServers();
	return mysql.createConnection({
		host: server.host,
		port: server.port,
		user: options.user ?? server.user,
		password: options.password ?? (options.user === undefined ? server.password : undefined),
		database: options.database,
		multipleStatements: options.multipleStatements ?? false,
	});
}

/** The product's connection settings for the test MySQL 9, as the test user. */
export function mysqlSettings(): ConnectionSettings {
	const {mysql: server} = getTestServers();
	return {dbType: 'mysql', host: server.host, port: server.port, user: server.user, password: server.password};
}

/** A connected pg Client over TCP as the `dbbackup` role (password, CREATEDB). */
export async function postgresClient(database = 'postgres'): Promise<pg.Client> {
	const {postgres} = getTestServers();
	const client = new pg.Client({
		host: postgres.host,
		port: postgres.port,
		user: postgres.user,
		password: postgres.password,
		database,
	});
	await client.connect();
	return client;
}

/** A connected pg Client over the unix socket as the superuser (trusted, no password). */
export async function postgresSuperuserClient(database = 'postgres'): Promise<pg.Client> {
	const {postgres} = getTestServers();
	const client = new pg.Client({host: postgres.socketDir, port: postgres.port, user: postgres.superuser, database});
	await client.connect();
	return client;
}

let counter = 0;

/** A name no other test (nor test process) uses, valid unquoted in MariaDB and PostgreSQL: for scratch databases. */
/**
 * Drops test databases as the superuser. WITH (FORCE) ends the sessions still in a database, and an
 * autovacuum worker may be one of them: only a superuser may end that, so as the test role the drop
 * fails now and then ("must be a member of the role whose process is being terminated").
 */
export async function dropPostgresDatabases(names: string[]): Promise<void> {
	const superuser = await postgresSuperuserClient();
	try {
		for (const name of names) await superuser.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`);
	} finally {
		await superuser.end();
	}
}

export function uniqueName(prefix: string): string {
	counter += 1;
	const name = `${prefix}_${process.pid}_${counter}_${randomBytes(3).toString('hex')}`.toLowerCase();
	if (!/^[a-z_][a-z0-9_]*$/.test(name) || name.length > 63) {
		throw new Error(`uniqueName: prefix ${JSON.stringify(prefix)} gives an unusable name ${name}`);
	}
	return name;
}
