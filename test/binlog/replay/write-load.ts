/**
 * A write load for point-in-time recovery tests: transactions of inserts, updates and deletes on several
 * tables (keys, JSON, blobs, unicode names, a table without a primary key), single statements, rollbacks
 * and some DDL, on a few connections at once. It can be paused so that a test reads a GTID and checksums
 * that no transaction straddles.
 */
import {randomBytes} from 'node:crypto';
import mysql, {type Connection, type RowDataPacket} from 'mysql2/promise';

export interface ServerAddress {
	host: string;
	port: number;
	user: string;
	password: string;
}

export function connect(server: ServerAddress, database?: string): Promise<Connection> {
	return mysql.createConnection({host: server.host, port: server.port, user: server.user, password: server.password, database, supportBigNumbers: true, bigNumberStrings: true});
}

/** (blobs.digest: 16 bytes of SHA2, as MySQL 9.7 has MD5() only in a component it does not load by default) */
export async function createSchema(admin: Connection, database: string): Promise<void> {
	await admin.query(`CREATE DATABASE \`${database}\` DEFAULT CHARACTER SET utf8mb4`);
	await admin.query(`USE \`${database}\``);
	await admin.query(`CREATE TABLE orders (
		id INT PRIMARY KEY AUTO_INCREMENT,
		customer VARCHAR(60) NOT NULL,
		amount DECIMAL(12,2) NOT NULL,
		note JSON,
		created DATETIME(6) NOT NULL,
		KEY by_customer (customer)
	)`);
	await admin.query('CREATE TABLE blobs (id BIGINT PRIMARY KEY, data LONGBLOB, digest BINARY(16), UNIQUE KEY (digest))');
	await admin.query('CREATE TABLE `ünïcödé ☃` (`clé` VARCHAR(40) PRIMARY KEY, `välue` TEXT, n DOUBLE) DEFAULT CHARSET utf8mb4');
	await admin.query('CREATE TABLE log_nopk (at TIMESTAMP(3) NULL, what VARCHAR(100), bits BIT(12))');
	for (let id = 1; id <= 50; id++) {
		await admin.query('INSERT INTO orders (customer, amount, note, created) VALUES (?, ?, ?, NOW(6))', [`client ${id % 7}`, id * 1.25, JSON.stringify({id, tags: ['a', 'ü']})]);
	}
	await admin.query('INSERT INTO blobs VALUES (1, ?, UNHEX(LEFT(SHA2(1, 256), 32)))', [randomBytes(3000)]);
}

/** Per table: CHECKSUM TABLE; the set of tables is part of what is compared. */
export async function checksums(connection: Connection, database: string): Promise<Record<string, string>> {
	const [tables] = await connection.query<RowDataPacket[]>("SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE' ORDER BY 1", [database]);
	const sums: Record<string, string> = {};
	for (const {name} of tables) {
		const [rows] = await connection.query<RowDataPacket[]>(`CHECKSUM TABLE \`${database}\`.\`${String(name).replace(/`/g, '``')}\` EXTENDED`);
		sums[String(name)] = String(rows[0]!.Checksum);
	}
	return sums;
}

export class WriteLoad {
	#stopped = false;
	#paused: Promise<void> | undefined;
	#resume: (() => void) | undefined;
	#idle = new Set<number>();
	#idleWaiters: Array<() => void> = [];
	#workers: Promise<void>[] = [];
	#connections: Connection[] = [];
	readonly #ddlCounters = new Map<string, number>();
	transactions = 0;
	errors: unknown[] = [];
	/**
	 * DDL on or off. A logical dump reads table definitions after its snapshot, so DDL committed while it
	 * runs would be in the dump and in the binlog after its coordinates: the tests keep DDL out of backups.
	 */
	ddl = true;

	constructor(
		private readonly server: ServerAddress,
		private readonly databases: () => string[],
	) {}

	async start(workers: number): Promise<void> {
		for (let index = 0; index < workers; index++) {
			const connection = await connect(this.server);
			this.#connections.push(connection);
			this.#workers.push(this.#run(index, connection));
		}
	}

	/** Waits until every worker is between transactions, and keeps them there. */
	async pause(): Promise<void> {
		this.#paused ??= new Promise<void>((resolve) => (this.#resume = resolve));
		while (this.#idle.size < this.#connections.length) await new Promise<void>((resolve) => this.#idleWaiters.push(resolve));
	}

	resume(): void {
		const resume = this.#resume;
		this.#paused = undefined;
		this.#resume = undefined;
		resume?.();
	}

	async stop(): Promise<void> {
		this.#stopped = true;
		this.resume();
		await Promise.all(this.#workers);
		await Promise.all(this.#connections.map((connection) => connection.end()));
		if (this.errors.length > 0) throw this.errors[0];
	}

	async #run(index: number, connection: Connection): Promise<void> {
		let step = 0;
		while (!this.#stopped) {
			if (this.#paused) {
				this.#idle.add(index);
				for (const waiter of this.#idleWaiters.splice(0)) waiter();
				await this.#paused;
				this.#idle.delete(index);
				continue;
			}
			try {
				for (const database of this.databases()) await this.#transaction(connection, database, index, step);
				this.transactions += 1;
			} catch (error) {
				await connection.query('ROLLBACK').catch(() => undefined);
				// deadlocks between the workers are part of a real load; anything else fails the test
				if (!/Deadlock|Lock wait timeout/.test((error as Error).message)) {
					this.errors.push(error);
					this.#stopped = true;
				}
			}
			step += 1;
		}
		this.#idle.add(index);
		for (const waiter of this.#idleWaiters.splice(0)) waiter();
	}

	async #transaction(connection: Connection, database: string, worker: number, step: number): Promise<void> {
		await connection.query(`USE \`${database}\``);
		const kind = step % 9;
		if (kind === 8 && worker === 0 && this.ddl) {
			const n = (this.#ddlCounters.get(database) ?? 0) + 1;
			this.#ddlCounters.set(database, n);
			if (n % 3 === 1) await connection.query(`CREATE TABLE extra_${n} (id INT PRIMARY KEY, v VARCHAR(20))`);
			if (n % 3 === 2) await connection.query(`ALTER TABLE orders ADD COLUMN c${n} INT NOT NULL DEFAULT ${n}`);
			if (n % 3 === 0) await connection.query(`INSERT INTO extra_${n - 2} VALUES (${n}, 'ddl ${n}')`);
			return;
		}
		if (kind === 7) {
			await connection.query('INSERT INTO log_nopk VALUES (NOW(3), ?, b\'101010101010\')', [`single ${worker}-${step}`]);
			return;
		}
		await connection.query('BEGIN');
		const customer = `client ${(step * 7 + worker) % 11} ${['ä', 'ø', '€', '☃'][step % 4]}`;
		await connection.query('INSERT INTO orders (customer, amount, note, created) VALUES (?, ?, ?, NOW(6))', [customer, (step % 1000) + 0.99, JSON.stringify({step, worker, nested: {ok: step % 2 === 0}})]);
		await connection.query('UPDATE orders SET amount = amount + 1, note = JSON_SET(COALESCE(note, \'{}\'), \'$.touched\', ?) WHERE id % 13 = ?', [step, step % 13]);
		if (step % 3 === 0) await connection.query('DELETE FROM orders WHERE id % 17 = ? ORDER BY id LIMIT 2', [step % 17]);
		const key = `k${(step * 3 + worker) % 40} é`;
		await connection.query('INSERT INTO `ünïcödé ☃` VALUES (?, ?, ?) ON DUPLICATE KEY UPDATE `välue` = CONCAT(`välue`, ?), n = n + 1', [key, `välue ${step}`, step / 7, `+${step}`]);
		const id = worker * 1_000_000 + step + 2;
		const data = randomBytes(step % 5 === 0 ? 40_000 : 500);
		await connection.query('INSERT INTO blobs VALUES (?, ?, UNHEX(LEFT(SHA2(?, 256), 32)))', [id, data, id]);
		if (step % 4 === 1) await connection.query('DELETE FROM blobs WHERE id = ?', [id - 1]);
		if (step % 10 === 5) {
			await connection.query('ROLLBACK');
			return;
		}
		await connection.query('COMMIT');
	}
}
