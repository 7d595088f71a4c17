import {hostname} from 'node:os';
import type {RowDataPacket} from 'mysql2/promise';
import {connectMysql, type MysqlConnection} from '../../core/connect.ts';
import type {ConnectionSettings} from '../../core/connection-settings.ts';
import {ConnectionError, UsageError, WorkError} from '../../core/errors.ts';
import {binlogDumpGtidPayload, binlogDumpPayload, registerReplicaPayload, type MysqlGtidSid} from './commands.ts';
import {DumpCommand, SimpleCommand, type DumpCommandHandlers} from './dump-command.ts';
import {coreConnection} from './mysql2-internals.ts';

import {binlogFlavorOf, type BinlogFlavor} from '../flavor.ts';

export type {BinlogFlavor} from '../flavor.ts';

/** Where the server starts sending. */
export type DumpStartPoint =
	| {kind: 'position'; file: string; position: number}
	/** MariaDB: the GTID position (domain-server-seq list) of the last transaction already held */
	| {kind: 'mariadb-gtid'; gtid: string}
	/** MySQL: the GTID set already held */
	| {kind: 'mysql-gtid'; set: MysqlGtidSid[]};

export interface ServerBinlog {
	name: string;
	size: number;
}

/** What the source server told us before the dump began. */
export interface SourceServer {
	flavor: BinlogFlavor;
	version: string;
	serverId: number;
	/** @@server_uuid (MySQL); MariaDB has none */
	serverUuid?: string;
	/** binlog_checksum: CRC32 or NONE */
	checksum: string;
	/** SHOW BINARY LOGS, oldest first */
	binlogs: ServerBinlog[];
	/** MariaDB @@gtid_binlog_pos or MySQL @@gtid_executed */
	gtidPosition: string;
}

export interface ReplicaSessionOptions {
	settings: ConnectionSettings;
	/** the replica id we register as; must differ from every server in the topology */
	serverId: number;
	/** the server sends a heartbeat after this many idle seconds, so a dead link shows within a few */
	heartbeatSeconds: number;
	/** where to start; default: the oldest binlog the server still has */
	start?: DumpStartPoint;
	/** ask for EOF at the end of the last binlog instead of waiting for more */
	nonBlocking?: boolean;
	/**
	 * called once the server is described and before the dump is asked for: checks what the server
	 * has and decides where to start (it wins over `start`); may throw to refuse
	 */
	prepare?: (source: SourceServer) => Promise<DumpStartPoint | undefined>;
}

export interface ReplicaSession {
	source: SourceServer;
	/** where the dump was asked to start */
	start: DumpStartPoint;
	/** stop reading from the socket (backpressure) and start again */
	pause(): void;
	resume(): void;
	close(): Promise<void>;
}

/**
 * Connects as a replica: mysql2 does the handshake and authentication, then our own commands register
 * the replica and start the dump. Events arrive through `handlers` until the connection ends.
 */
export async function openReplicaSession(options: ReplicaSessionOptions, handlers: DumpCommandHandlers): Promise<ReplicaSession> {
	const connection = await connectMysql(options.settings);
	const internals = coreConnection(connection);
	let closed = false;
	const close = async () => {
		if (closed) return;
		closed = true;
		internals.destroy();
	};
	try {
		internals.on('error', () => {});
		const source = await describeSource(connection);
		if (source.serverId === options.serverId) {
			throw new UsageError({
				code: 'BINLOG_SERVER_ID_CLASH',
				message: `the server's own server_id is ${options.serverId}; a replica must register with another id`,
				hint: 'Pass --server-id N (or backup.binlog.server_id) with an id no server in the topology uses.',
			});
		}
		const start = (await options.prepare?.(source)) ?? options.start ?? oldestStart(source);
		await prepareSession(connection, source, options, start);
		await new Promise<void>((resolve, reject) =>
			internals.addCommand(
				new SimpleCommand(
					registerReplicaPayload({serverId: options.serverId, hostname: hostname(), user: options.settings.user, port: 0}),
					(error) => (error ? reject(error) : resolve()),
				),
			),
		);
		const sendAnnotateRows = source.flavor === 'mariadb';
		const request =
			start.kind === 'mysql-gtid'
				? binlogDumpGtidPayload({serverId: options.serverId, gtidSet: start.set, nonBlocking: options.nonBlocking})
				: start.kind === 'mariadb-gtid'
					? binlogDumpPayload({serverId: options.serverId, file: '', position: 4, nonBlocking: options.nonBlocking, sendAnnotateRows})
					: binlogDumpPayload({serverId: options.serverId, file: start.file, position: start.position, nonBlocking: options.nonBlocking, sendAnnotateRows});
		internals.addCommand(new DumpCommand(request, handlers));
		return {
			source,
			start,
			pause: () => internals.pause(),
			resume: () => internals.resume(),
			close,
		};
	} catch (error) {
		await close();
		throw replicationRefused(error, options.settings);
	}
}

async function describeSource(connection: MysqlConnection): Promise<SourceServer> {
	const [rows] = await connection.query<RowDataPacket[]>(
		'SELECT @@version AS version, @@version_comment AS comment, @@server_id AS serverId, @@log_bin AS logBin, @@global.binlog_checksum AS checksum',
	);
	const row = rows[0]!;
	const version = String(row.version);
	const flavor: BinlogFlavor = binlogFlavorOf(`${version} ${row.comment}`);
	if (Number(row.logBin) !== 1) {
		throw new WorkError({
			code: 'BINLOG_OFF',
			message: 'the server does not write a binary log (log_bin is OFF), so there is nothing to stream',
			hint: 'Start the server with --log-bin (and a --server-id), then run binlog-stream again.',
		});
	}
	const [logs] = await connection.query<RowDataPacket[]>('SHOW BINARY LOGS');
	const binlogs = logs.map((log) => ({name: String(log.Log_name), size: Number(log.File_size)}));
	const [gtidRows] = await connection.query<RowDataPacket[]>(
		flavor === 'mariadb' ? 'SELECT @@global.gtid_binlog_pos AS gtid' : 'SELECT @@global.gtid_executed AS gtid',
	);
	// SHOW VARIABLES: MariaDB has no server_uuid, and SELECT @@server_uuid would fail there
	const [uuidRows] = await connection.query<RowDataPacket[]>("SHOW GLOBAL VARIABLES LIKE 'server_uuid'");
	const serverUuid = uuidRows[0] ? String(uuidRows[0].Value) : undefined;
	return {
		flavor,
		version,
		serverId: Number(row.serverId),
		...(serverUuid ? {serverUuid} : {}),
		checksum: String(row.checksum).toUpperCase(),
		binlogs,
		gtidPosition: String(gtidRows[0]?.gtid ?? '').replace(/\s+/g, ''),
	};
}

function oldestStart(source: SourceServer): DumpStartPoint {
	const oldest = source.binlogs[0];
	if (!oldest) {
		throw new WorkError({code: 'BINLOG_NONE', message: 'the server lists no binary logs', hint: 'Check that log_bin is ON and that SHOW BINARY LOGS returns files.'});
	}
	return {kind: 'position', file: oldest.name, position: 4};
}

async function prepareSession(connection: MysqlConnection, source: SourceServer, options: ReplicaSessionOptions, start: DumpStartPoint): Promise<void> {
	// a replica that does not announce checksum support is refused (or sent events without them)
	await connection.query('SET @master_binlog_checksum = @@global.binlog_checksum, @source_binlog_checksum = @@global.binlog_checksum');
	await connection.query('SET @master_heartbeat_period = ?', [String(BigInt(Math.round(options.heartbeatSeconds * 1000)) * 1_000_000n)]);
	if (source.flavor === 'mariadb') {
		// 4 = MARIA_SLAVE_CAPABILITY_GTID: GTID events, annotate-rows and binlog checkpoints are sent as they are
		await connection.query('SET @mariadb_slave_capability = 4');
		if (start.kind === 'mariadb-gtid') {
			await connection.query('SET @slave_connect_state = ?, @slave_gtid_strict_mode = 1, @slave_gtid_ignore_duplicates = 0', [start.gtid]);
		}
	} else if (start.kind === 'mariadb-gtid') {
		throw new UsageError({code: 'BINLOG_GTID_FLAVOR', message: 'a MariaDB GTID position cannot start a dump from MySQL', hint: 'Start from a file and position, or from a MySQL GTID set.'});
	}
}

function replicationRefused(error: unknown, settings: ConnectionSettings): unknown {
	if (!(error instanceof Error) || error instanceof ConnectionError || 'exitCode' in error) return error;
	const code = (error as {code?: string}).code;
	if (code === 'ER_SPECIFIC_ACCESS_DENIED_ERROR' || code === 'ER_ACCESS_DENIED_ERROR' || code === 'ER_DBACCESS_DENIED_ERROR') {
		return new WorkError({
			code: 'BINLOG_PRIVILEGES',
			message: `${settings.user} may not read the binary log: ${error.message}`,
			hint: 'Grant REPLICATION SLAVE and BINLOG MONITOR (MariaDB) or REPLICATION CLIENT (MySQL) to this user.',
			cause: error,
		});
	}
	return error;
}
