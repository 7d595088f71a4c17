import {stripVTControlCharacters} from 'node:util';
import {backupFileName} from '../../source/core/backup-name.ts';
import type {Compression} from '../../source/core/compression-names.ts';
import {known, unknown, type DetectedEnvironment, type MysqlEnvironment, type PostgresEnvironment} from '../../source/core/detect/types.ts';
import type {EngineSelection} from '../../source/engines/selection-types.ts';
import type {
	AppController,
	ArtifactContents,
	ArtifactSummary,
	BackupChoices,
	BackupOutcome,
	BinlogStreamChoices,
	BinlogStreamSummary,
	Catalog,
	CatalogBackup,
	ConnectionState,
	DatabaseSummary,
	RestoreChoices,
	RestoreOutcome,
	RestorePlan,
	ServerChoice,
	ServerPick,
	VerifyReport,
	WalStreamChoices,
	WalStreamSummary,
} from '../../source/ui/controller.ts';

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

/** A MariaDB where detection could read everything. */
export const mariadbFull: MysqlEnvironment = {
	dbType: 'mysql',
	connection: {dbType: 'mysql', target: '127.0.0.1:3306', user: 'root'},
	version: known({text: '10.11.6-MariaDB-0+deb12u1', major: 10, minor: 11, patch: 6}, 'SELECT VERSION()'),
	flavor: known('mariadb', 'version string contains "MariaDB"'),
	dataSize: known(
		{
			totalBytes: 1.2 * GiB + 300 * MiB + 2 * MiB,
			databases: [
				{name: 'analytics', bytes: 300 * MiB, tables: 4},
				{name: 'shop', bytes: 1.2 * GiB, tables: 12},
				{name: 'mysql', bytes: 2 * MiB, tables: 31},
			],
		},
		'information_schema.TABLES (data_length + index_length)',
	),
	clonePlugin: known('UNSUPPORTED', 'MariaDB has no clone plugin'),
	binlog: known(
		{enabled: true, format: 'ROW', checksum: 'CRC32', file: 'mysql-bin.000003', position: 1234},
		'SHOW MASTER STATUS, @@binlog_format, @@binlog_checksum',
	),
	gtid: known(
		{mode: 'available', position: '0-1-42', detail: {gtid_strict_mode: 'OFF', gtid_domain_id: '0'}},
		'@@gtid_binlog_pos',
	),
	datadir: known('/mnt/data/mysql', '@@datadir'),
	filesystem: known({path: '/mnt/data/mysql', mountPoint: '/mnt/data', fsType: 'btrfs', device: '/dev/loop0'}, '/proc/self/mountinfo'),
	snapshot: known(
		{capable: true, backend: 'btrfs', target: '/mnt/data/mysql', reason: 'the data directory is a btrfs subvolume'},
		'btrfs subvolume show /mnt/data/mysql',
	),
	privileges: known(
		{
			grants: ["GRANT RELOAD, SELECT, LOCK TABLES ON *.* TO 'backup'@'%'"],
			held: ['RELOAD', 'SELECT', 'LOCK TABLES'],
			perEngine: {
				mysqldump: {ok: true, missing: []},
				snapshot: {ok: false, missing: ['BINLOG MONITOR', 'SUPER']},
			},
		},
		'SHOW GRANTS',
	),
	local: known(true, 'datadir readable'),
};

/** A MariaDB reached over the network by a user with few rights: much stays unknown. */
export const mariadbUnknowns: MysqlEnvironment = {
	dbType: 'mysql',
	connection: {dbType: 'mysql', target: 'db2.example.com:3307', user: 'app', database: 'shop'},
	version: known({text: '10.6.18-MariaDB', major: 10, minor: 6, patch: 18}, 'SELECT VERSION()'),
	flavor: known('mariadb', 'version string contains "MariaDB"'),
	dataSize: unknown('information_schema.TABLES shows only tables the user can read'),
	clonePlugin: known('UNSUPPORTED', 'MariaDB has no clone plugin'),
	binlog: known({enabled: false}, '@@log_bin'),
	gtid: unknown('binary logging is off'),
	datadir: known('/var/lib/mysql', '@@datadir'),
	filesystem: unknown('the server runs on another machine (db2.example.com)'),
	snapshot: unknown('the filesystem of the data directory is unknown'),
	privileges: unknown('SHOW GRANTS failed: access denied'),
	local: known(false, 'datadir /var/lib/mysql not found here'),
};

export const postgres: PostgresEnvironment = {
	dbType: 'postgres',
	connection: {dbType: 'postgres', target: '127.0.0.1:5433', user: 'postgres', database: 'postgres'},
	version: known({text: '15.8 (Debian 15.8-0+deb12u1)', major: 15, minor: 8, patch: 0}, 'SHOW server_version'),
	dataSize: known(
		{totalBytes: 48 * MiB, databases: [{name: 'postgres', bytes: 7.5 * MiB}, {name: 'inventory', bytes: 40.5 * MiB}]},
		'pg_database_size()',
	),
	walLevel: known('replica', 'SHOW wal_level'),
	dataDirectory: known('/tmp/pg-demo/data', 'SHOW data_directory'),
	filesystem: known({path: '/tmp/pg-demo/data', mountPoint: '/', fsType: 'ext4', device: '/dev/sda1'}, '/proc/self/mountinfo'),
	snapshot: known({capable: false, reason: 'ext4 has no snapshots'}, 'filesystem type'),
	privileges: known(
		{grants: [], held: ['SUPERUSER'], perEngine: {'postgres-logical': {ok: true, missing: []}, snapshot: {ok: true, missing: []}}},
		'pg_roles',
	),
	local: known(true, 'data_directory readable'),
};

export const mysqlSelection: EngineSelection = {
	dbType: 'mysql',
	engine: 'mysqldump',
	preferred: 'mysqldump',
	reasons: [
		'Data size 1.5 GiB is at most 10 GiB: a logical dump is quick at this size.',
		'Server is MariaDB 10.11.6-MariaDB-0+deb12u1: it has no clone plugin.',
		'The data directory can be snapshotted (btrfs /mnt/data/mysql).',
	],
	candidates: [
		{
			name: 'mysqldump',
			aliases: ['logical'], dbTypes: ['mysql'], capabilities: {backup: true, restore: true, incremental: false, streaming: false, kind: 'logical'},
			description: 'native logical dump',
			kind: 'logical',
			availability: {available: true, reasons: [], warnings: ['binlog_format is ROW: fine for PITR'], info: {}},
		},
		{
			name: 'clone',
			aliases: [], dbTypes: ['mysql'], capabilities: {backup: true, restore: true, incremental: false, streaming: false, kind: 'physical'},
			description: 'MySQL clone plugin',
			kind: 'physical',
			availability: {
				available: false,
				reason: 'MariaDB has no clone plugin',
				reasons: ['MariaDB has no clone plugin'],
				warnings: [],
				info: {},
			},
		},
		{
			name: 'snapshot',
			aliases: [], dbTypes: ['mysql', 'postgres'], capabilities: {backup: true, restore: true, incremental: false, streaming: false, kind: 'physical'},
			description: 'filesystem snapshot',
			kind: 'physical',
			availability: {
				available: false,
				reason: 'missing privileges BINLOG MONITOR, SUPER',
				reasons: ['missing privileges BINLOG MONITOR, SUPER'],
				warnings: [],
				info: {},
			},
		},
	],
};

/** The same MariaDB where snapshot can run too: two engines to pick from (clone still cannot). */
export const mysqlTwoEnginesSelection: EngineSelection = {
	...mysqlSelection,
	candidates: mysqlSelection.candidates.map((row) =>
		row.name === 'snapshot' ? {...row, availability: {available: true, reasons: [], warnings: [], info: {}}} : row,
	),
};

export const postgresNoneSelection: EngineSelection = {
	dbType: 'postgres',
	engine: null,
	preferred: 'snapshot',
	reasons: ['Data size 48.0 MiB is at most 10 GiB.', 'No engine can run against this server now; snapshot would be the choice.'],
	candidates: [
		{
			name: 'postgres-logical',
			aliases: ['logical'], dbTypes: ['postgres'], capabilities: {backup: true, restore: true, incremental: false, streaming: false, kind: 'logical'},
			description: 'native logical dump',
			kind: 'logical',
			availability: {
				available: false,
				reason: 'permission denied for table secrets',
				reasons: ['permission denied for table secrets'],
				warnings: [],
				info: {},
			},
		},
		{
			name: 'snapshot',
			aliases: [], dbTypes: ['mysql', 'postgres'], capabilities: {backup: true, restore: true, incremental: false, streaming: false, kind: 'physical'},
			description: 'filesystem snapshot',
			kind: 'physical',
			availability: {available: false, reason: 'ext4 has no snapshots', reasons: ['ext4 has no snapshots'], warnings: [], info: {}},
		},
	],
};

/** The same PostgreSQL where the logical engine can run. */
export const postgresLogicalSelection: EngineSelection = {
	...postgresNoneSelection,
	engine: 'postgres-logical',
	reasons: ['Data size 48.0 MiB is at most 10 GiB.', 'ext4 has no snapshots: postgres-logical.'],
	candidates: postgresNoneSelection.candidates.map((row) =>
		row.name === 'postgres-logical' ? {...row, availability: {available: true, reasons: [], warnings: [], info: {}}} : row,
	),
};

export const shopDatabases: DatabaseSummary[] = [
	{name: 'shop', bytes: 1.2 * GiB, tables: 12},
	{name: 'analytics', bytes: 300 * MiB, tables: 4},
];

export const backupOutcome: BackupOutcome = {
	engine: 'mysqldump',
	result: {
		artifact: '/backups/shop-20261115T140327Z.tar',
		bytes: 412 * MiB,
		format: 'archive',
		lockMs: 37,
		coordinates: 'GTID 0-1-42, binlog mysql-bin.000003:1234',
		databases: ['shop'],
		tables: 12,
		rows: 1_234_567,
		startedAt: '2026-11-15T14:03:27.000Z',
		finishedAt: '2026-11-15T14:04:32.000Z',
	},
};

export const shopArtifact: ArtifactSummary = {
	path: '/backups/shop-20261115T140327Z.tar',
	kind: 'archive',
	bytes: 412 * MiB,
	modifiedAt: '2026-11-15T14:04:32.000Z',
	engine: 'mysqldump',
	dbType: 'mysql',
	serverVersion: '10.11.6-MariaDB-0+deb12u1',
	startedAt: '2026-11-15T14:03:27.000Z',
	finishedAt: '2026-11-15T14:04:32.000Z',
	lockMs: 37,
	coordinates: 'GTID 0-1-42, binlog mysql-bin.000003:1234',
	compression: 'zstd',
	databases: [{name: 'shop', tables: 12, rows: 1_234_567}],
};

export const olderArtifact: ArtifactSummary = {
	path: '/backups/all-20261114T020000Z.tar',
	kind: 'archive',
	bytes: 2 * GiB,
	modifiedAt: '2026-11-14T02:10:00.000Z',
	engine: 'mysqldump',
	dbType: 'mysql',
	startedAt: '2026-11-14T02:00:00.000Z',
	finishedAt: '2026-11-14T02:10:00.000Z',
	compression: 'zstd',
	databases: [
		{name: 'shop', tables: 12, rows: 1_200_000},
		{name: 'analytics', tables: 4, rows: 90_000},
	],
};

export const restoreOutcome: RestoreOutcome = {
	engine: 'mysqldump',
	artifact: '/backups/shop-20261115T140327Z.tar',
	databases: ['shop'],
	tables: 12,
	rows: 1_234_567,
	bytes: 980 * MiB,
	failedStatements: 0,
	startedAt: '2026-11-15T15:00:00.000Z',
	finishedAt: '2026-11-15T15:02:05.000Z',
};

/** A plan where the target exists with tables: the restore would overwrite them. */
export function destructivePlan(choices: RestoreChoices): RestorePlan {
	const target = choices.targetDb ?? 'shop';
	return {databases: [{source: 'shop', target, exists: true, tables: 12}], destructive: true};
}

export interface Deferred<T> {
	promise: Promise<T>;
	resolve: (value: T) => void;
	reject: (error: unknown) => void;
}

export function deferred<T>(): Deferred<T> {
	let resolve!: (value: T) => void;
	let reject!: (error: unknown) => void;
	const promise = new Promise<T>((res, rej) => {
		resolve = res;
		reject = rej;
	});
	return {promise, resolve, reject};
}

export const binlogSummary: BinlogStreamSummary = {
	file: 'mariadb-bin.000007',
	position: 98_765,
	gtid: '0-1-4242',
	events: 5_000,
	bytes: 3 * MiB,
	transactions: 1_250,
	reconnects: 1,
	filesClosed: ['mariadb-bin.000006'],
	outputDir: '/backups/binlogs',
};

export const walSummary: WalStreamSummary = {
	outputDir: '/backups/wal/',
	systemId: '7301234567890123456',
	slot: 'dbbackup_wal_0a1b2c3d4e5f',
	timeline: 1,
	flushedLsn: '0/5A0001C8',
	segment: '00000001000000000000005A',
	bytes: 48 * MiB,
	segmentsCompleted: ['000000010000000000000058', '000000010000000000000059'],
	timelineSwitches: 0,
	reconnects: 1,
};

/** A base backup (its manifest has a `physical` section): it restores into a data directory. */
export const baseBackupArtifact: ArtifactSummary = {
	path: '/backups/all-20261115T140327.512Z-3f9a.tar',
	kind: 'archive',
	bytes: 1.4 * GiB,
	modifiedAt: '2026-11-15T14:05:00.000Z',
	engine: 'basebackup',
	dbType: 'postgres',
	serverVersion: '15.18',
	startedAt: '2026-11-15T14:03:27.000Z',
	finishedAt: '2026-11-15T14:05:00.000Z',
	coordinates: 'LSN 0/B000AF0 to 0/F148B90, timeline 1',
	compression: 'zstd',
	databases: [{name: 'postgres', tables: 0, rows: 0}, {name: 'shop', tables: 0, rows: 0}],
	physical: true,
};

/** What runDataDirectoryRestore answers for the base backup above, with --verify-start. */
export const dataDirOutcome: RestoreOutcome = {
	engine: 'basebackup',
	artifact: baseBackupArtifact.path,
	databases: [],
	tables: 0,
	rows: 0,
	bytes: 1.5 * GiB,
	failedStatements: 0,
	startedAt: '2026-11-15T15:00:00.000Z',
	finishedAt: '2026-11-15T15:00:42.000Z',
	dataDirectory: {
		path: '/srv/pg15/restored',
		owner: 'postgres',
		serverMajor: 15,
		files: 1_234,
		tablespaces: [],
		startCommand: 'runuser -u postgres -- /usr/lib/postgresql/15/bin/pg_ctl -D /srv/pg15/restored -l /srv/pg15/restored/server.log start',
		notes: ['postgresql.conf is the source\'s: check port, listen_addresses and archive_command before starting it beside the source.'],
		verified: {
			server: 'PostgreSQL 15',
			port: 35787,
			position: 'WAL 0/F148C68 on timeline 1',
			lsn: '0/F148C68',
			timeline: 1,
			startSeconds: 1.4,
			databases: [{name: 'shop', tables: 4, rows: 1_052_320}],
		},
	},
};

/** Resolves with `summary` once `signal` aborts, as the streamer does when stopped. */
export function untilAborted<S = BinlogStreamSummary>(signal: AbortSignal, summary: S = binlogSummary as S): Promise<S> {
	if (signal.aborted) return Promise.resolve(summary);
	return new Promise((resolve) => signal.addEventListener('abort', () => resolve(summary), {once: true}));
}

/** A backup of the catalog below: a complete archive of `databases`, read from its sidecar. */
function catalogArchive(name: string, startedAt: string, databases: string[], extra: Partial<CatalogBackup> & {pinned?: boolean} = {}): CatalogBackup {
	return {
		name,
		url: `/backups/${name}`,
		format: 'archive',
		bytes: 412 * MiB,
		modifiedAt: startedAt,
		at: startedAt,
		atSource: 'manifest',
		encrypted: false,
		readable: true,
		complete: true,
		facts: 'sidecar',
		engine: 'mysqldump',
		kind: 'logical',
		dbType: 'mysql',
		server: {version: '10.11.6-MariaDB', flavor: 'mariadb', host: '127.0.0.1:3306'},
		databases,
		startedAt,
		finishedAt: new Date(Date.parse(startedAt) + 65_000).toISOString(),
		compression: 'zstd',
		coordinates: 'mariadb-bin.000003:1234, GTID 0-1-42',
		binlog: {file: 'mariadb-bin.000003', position: 1234, gtid: '0-1-42'},
		lockMs: 37,
		...extra,
	};
}

/** Five backups at /backups, oldest first as the catalog sorts them: archives, a pinned one, an encrypted one without key, an unfinished one, a script. */
export const catalogBackups: CatalogBackup[] = [
	catalogArchive('all-20261112T020000Z-77aa.tar', '2026-11-12T02:00:00.000Z', ['shop', 'analytics', 'crm'], {bytes: 2 * GiB, pinned: true}),
	{...catalogArchive('shop-20261113T020000Z-5e5e.sql.zst', '2026-11-13T02:00:00.000Z', ['shop']), format: 'sql', facts: 'script header', atSource: 'script header', writer: 'dbbackup 0.1.0 (mysqldump)', lockMs: undefined, server: undefined, finishedAt: undefined},
	{
		name: 'encrypted-20261114T020000Z-9f3c.tar',
		url: '/backups/encrypted-20261114T020000Z-9f3c.tar',
		format: 'archive',
		bytes: 300 * MiB,
		modifiedAt: '2026-11-14T02:05:00.000Z',
		at: '2026-11-14T02:05:00.000Z',
		atSource: 'file time',
		encrypted: true,
		readable: false,
		complete: true,
		facts: 'none',
	},
	catalogArchive('a-database-with-a-rather-long-name-20261115T140327Z-0a1b.tar', '2026-11-15T14:03:27.000Z', ['a_database_with_a_rather_long_name'], {complete: false, facts: 'manifest'}),
	catalogArchive('shop-20261116T020000Z-0c0c.tar', '2026-11-16T02:00:00.000Z', ['shop']),
];

export const catalog: Catalog = {
	location: '/backups',
	generatedAt: '2026-11-16T09:00:00.000Z',
	keyGiven: false,
	backups: catalogBackups,
	walStreams: [],
	streams: [
		{
			url: '/backups/binlogs',
			relative: 'binlogs/',
			encrypted: false,
			readable: true,
			source: {flavor: 'mariadb', serverId: 1, host: '127.0.0.1:3306'},
			firstFile: 'mariadb-bin.000003',
			lastFile: 'mariadb-bin.000009',
			files: 7,
			closedFiles: 6,
			closedBytes: 60 * MiB,
			checkpoint: {file: 'mariadb-bin.000009', position: 4567, gtid: '0-1-99', eventTime: '2026-11-16T08:59:00.000Z', updatedAt: '2026-11-16T08:59:01.000Z', ageSeconds: 59},
			gaps: [],
			running: {state: 'running', how: 'the output lock is held', pid: 4242, host: 'db1'},
		},
	],
	windows: [
		{
			dbType: 'mysql',
			database: 'shop',
			pointInTime: true,
			backups: 3,
			earliest: {at: '2026-11-12T02:00:00.000Z', how: 'all-20261112T020000Z-77aa.tar, the oldest complete backup of it', backup: 'all-20261112T020000Z-77aa.tar'},
			latest: {at: '2026-11-16T08:59:00.000Z', how: "the stream's checkpoint", stream: '/backups/binlogs'},
		},
		{
			dbType: 'mysql',
			database: 'analytics',
			pointInTime: false,
			backups: 1,
			earliest: {at: '2026-11-12T02:00:00.000Z', how: 'all-20261112T020000Z-77aa.tar, the oldest complete backup of it'},
			latest: {at: '2026-11-12T02:00:00.000Z', how: 'all-20261112T020000Z-77aa.tar, the newest complete backup of it'},
		},
		{
			dbType: 'mysql',
			database: 'crm',
			pointInTime: false,
			backups: 1,
			earliest: {at: '2026-11-12T02:00:00.000Z', how: 'all-20261112T020000Z-77aa.tar, the oldest complete backup of it'},
			latest: {at: '2026-11-12T02:00:00.000Z', how: 'all-20261112T020000Z-77aa.tar, the newest complete backup of it'},
		},
	],
	work: [],
	notes: ['1 encrypted artifact shown by name, size and time only: give the key (--encryption-key-file, DBBACKUP_ENCRYPTION_KEY or DBBACKUP_PASSPHRASE) to read it'],
};

/** What `restore --list` gives for the newest archive of the catalog. */
export const shopContents: ArtifactContents = {
	summary: {...shopArtifact, path: '/backups/shop-20261116T020000Z-0c0c.tar', databases: [{name: 'shop', tables: 2, rows: 1_500}]},
	tables: [
		{database: 'shop', table: 'customers', rows: 500},
		{database: 'shop', table: 'orders', rows: 1_000},
	],
	members: [
		{path: 'shop/schema.sql.zst', bytes: 2 * 1024, rawBytes: 9 * 1024, compression: 'zstd'},
		{path: 'shop/customers.sql.zst', bytes: 20 * 1024, rawBytes: 80 * 1024, compression: 'zstd'},
		{path: 'shop/orders.sql.zst', bytes: 40 * 1024, rawBytes: 160 * 1024, compression: 'zstd'},
	],
};

export function verifyReportFor(url: string): VerifyReport {
	return {
		location: url,
		items: [{location: url, kind: 'archive', checked: 'every member: size and SHA-256 against the manifest, the sidecar, and decompressed to its end', bytes: 62 * 1024, members: 3, rawBytes: 249 * 1024}],
		startedAt: '2026-11-16T09:00:00.000Z',
		finishedAt: '2026-11-16T09:00:02.000Z',
	};
}

export const PREVIEW_TIME = new Date('2026-11-15T14:03:27.512Z');
export const PREVIEW_TAG = '0a1b';

/** A controller whose answers the test decides; it counts calls and moves through connection states like the real one. */
export class FakeController implements AppController {
	configured: boolean;
	state: ConnectionState;
	label: string;
	calls = {detect: 0, selectEngine: 0, startDemo: 0, listArtifacts: 0};
	detectAnswer: () => Promise<DetectedEnvironment[]> = async () => [mariadbFull, mariadbUnknowns, postgres];
	selectAnswer: () => Promise<EngineSelection[]> = async () => [mysqlSelection, postgresNoneSelection];
	demoAnswer: () => Promise<void> = async () => {};

	serverList: ServerChoice[] = [{dbType: 'mysql', label: 'mysql root@127.0.0.1:3306'}];
	outputDir = '/backups';
	workers = 4;
	compression: Compression = 'zstd';
	/** output.encrypt: the preview names the backup "encrypted-…" */
	encrypted = false;
	/** every request the screens made, in order, for the tests to check what was asked */
	requests = {
		listDatabases: [] as ServerPick[],
		backup: [] as BackupChoices[],
		describeArtifact: [] as string[],
		planRestore: [] as RestoreChoices[],
		restore: [] as RestoreChoices[],
		streamBinlogs: [] as Array<{choices: BinlogStreamChoices; signal: AbortSignal}>,
		streamWal: [] as Array<{choices: WalStreamChoices; signal: AbortSignal}>,
		catalog: [] as string[],
		backupContents: [] as string[],
		verifyBackup: [] as string[],
		deleteBackup: [] as Array<{location: string; name: string; format: 'archive' | 'sql'}>,
	};
	/** --output or the config's file target; undefined makes the tail screen ask */
	binlogDir: string | undefined = '/backups/binlogs';
	binlogAnswer: (choices: BinlogStreamChoices, signal: AbortSignal) => Promise<BinlogStreamSummary> = async (_choices, signal) =>
		untilAborted(signal);
	/** wal-stream's --output; undefined makes the WAL tail screen ask */
	walDir: string | undefined = '/backups/wal/';
	walAnswer: (choices: WalStreamChoices, signal: AbortSignal) => Promise<WalStreamSummary> = async (_choices, signal) => untilAborted(signal, walSummary);
	databasesAnswer: (pick: ServerPick) => Promise<DatabaseSummary[]> = async () => shopDatabases;
	backupAnswer: (choices: BackupChoices) => Promise<BackupOutcome> = async () => backupOutcome;
	artifactsAnswer: () => Promise<ArtifactSummary[]> = async () => [shopArtifact, olderArtifact];
	describeAnswer: (path: string) => Promise<ArtifactSummary> = async (path) => ({...shopArtifact, path});
	planAnswer: (choices: RestoreChoices) => Promise<RestorePlan> = async (choices) => destructivePlan(choices);
	restoreAnswer: (choices: RestoreChoices) => Promise<RestoreOutcome> = async () => restoreOutcome;
	catalogAnswer: (location: string) => Promise<Catalog> = async () => catalog;
	contentsAnswer: (url: string) => Promise<ArtifactContents> = async () => shopContents;
	verifyAnswer: (url: string) => Promise<VerifyReport> = async (url) => verifyReportFor(url);
	deleteAnswer: (location: string, name: string, format: 'archive' | 'sql') => Promise<string[]> = async (location, name, format) =>
		format === 'archive' ? [`${location}/${name}.json`, `${location}/${name}`] : [`${location}/${name}`];

	constructor({configured = true}: {configured?: boolean} = {}) {
		this.configured = configured;
		this.state = configured ? 'connected' : 'not-configured';
		this.label = configured ? 'mysql root@127.0.0.1:3306' : 'not configured';
	}

	connectionLabel(): string {
		return this.label;
	}

	connectionState(): ConnectionState {
		return this.state;
	}

	isConfigured(): boolean {
		return this.configured;
	}

	async detect(): Promise<DetectedEnvironment[]> {
		this.calls.detect++;
		return this.connecting(this.detectAnswer);
	}

	async selectEngine(): Promise<EngineSelection[]> {
		this.calls.selectEngine++;
		return this.connecting(this.selectAnswer);
	}

	async startDemo(): Promise<void> {
		this.calls.startDemo++;
		await this.demoAnswer();
		this.configured = true;
		this.state = 'demo';
		this.label = 'demo: mariadb 127.0.0.1:41234, postgres 127.0.0.1:41235';
	}

	servers(): ServerChoice[] {
		return this.serverList;
	}

	defaultOutputDir(): string {
		return this.outputDir;
	}

	defaultWorkers(): number {
		return this.workers;
	}

	defaultCompression(): Compression {
		return this.compression;
	}

	/** a fixed time and tag, so that tests can name the preview exactly */
	previewBackupName(databases: string[]): string {
		return backupFileName(databases, PREVIEW_TIME, 'archive', PREVIEW_TAG, this.encrypted);
	}

	listDatabases(pick: ServerPick = {}): Promise<DatabaseSummary[]> {
		this.requests.listDatabases.push(pick);
		return this.connecting(() => this.databasesAnswer(pick));
	}

	backup(choices: BackupChoices): Promise<BackupOutcome> {
		this.requests.backup.push(choices);
		return this.connecting(() => this.backupAnswer(choices));
	}

	listArtifacts(): Promise<ArtifactSummary[]> {
		this.calls.listArtifacts++;
		return this.artifactsAnswer();
	}

	describeArtifact(path: string): Promise<ArtifactSummary> {
		this.requests.describeArtifact.push(path);
		return this.describeAnswer(path);
	}

	planRestore(choices: RestoreChoices): Promise<RestorePlan> {
		this.requests.planRestore.push(choices);
		return this.connecting(() => this.planAnswer(choices));
	}

	restore(choices: RestoreChoices): Promise<RestoreOutcome> {
		this.requests.restore.push(choices);
		return this.connecting(() => this.restoreAnswer(choices));
	}

	binlogOutputDir(): string | undefined {
		return this.binlogDir;
	}

	streamBinlogs(choices: BinlogStreamChoices, signal: AbortSignal): Promise<BinlogStreamSummary> {
		this.requests.streamBinlogs.push({choices, signal});
		return this.binlogAnswer(choices, signal);
	}

	walOutputDir(): string | undefined {
		return this.walDir;
	}

	streamWal(choices: WalStreamChoices, signal: AbortSignal): Promise<WalStreamSummary> {
		this.requests.streamWal.push({choices, signal});
		return this.walAnswer(choices, signal);
	}

	catalog(location: string): Promise<Catalog> {
		this.requests.catalog.push(location);
		return this.catalogAnswer(location);
	}

	backupContents(url: string): Promise<ArtifactContents> {
		this.requests.backupContents.push(url);
		return this.contentsAnswer(url);
	}

	verifyBackup(url: string): Promise<VerifyReport> {
		this.requests.verifyBackup.push(url);
		return this.verifyAnswer(url);
	}

	deleteBackup(location: string, name: string, format: 'archive' | 'sql'): Promise<string[]> {
		this.requests.deleteBackup.push({location, name, format});
		return this.deleteAnswer(location, name, format);
	}

	private async connecting<T>(answer: () => Promise<T>): Promise<T> {
		this.state = 'connecting';
		try {
			const value = await answer();
			this.state = 'connected';
			return value;
		} catch (error) {
			this.state = 'error';
			throw error;
		}
	}
}

export const ESC = '\u001B';
export const DOWN = '\u001B[B';
export const UP = '\u001B[A';
export const RIGHT = '\u001B[C';
export const LEFT = '\u001B[D';
export const ENTER = '\r';
export const CTRL_C = '\u0003';

export const pause = (ms = 30) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The frame without colour codes. */
export function plain(frame: string | undefined): string {
	return stripVTControlCharacters(frame ?? '');
}

/**
 * Polls the rendered output until `predicate` holds; fails with the last frame so a broken screen is visible.
 * Ink writes a frame on commit but re-binds useInput handlers in effects that React runs on a later tick:
 * the short settle after a match lets them run, so the next key reaches the handler of the frame just seen.
 */
export async function waitForFrame(
	lastFrame: () => string | undefined,
	predicate: (frame: string) => boolean,
	timeoutMs = 2000,
): Promise<string> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const frame = plain(lastFrame());
		if (predicate(frame)) {
			await pause(15);
			return frame;
		}
		if (Date.now() > deadline) throw new Error(`frame never matched; last frame:\n${frame}`);
		await pause(10);
	}
}

/** Waits until the frame contains every text given. */
export function waitForText(lastFrame: () => string | undefined, ...texts: string[]): Promise<string> {
	return waitForFrame(lastFrame, (frame) => texts.every((text) => frame.includes(text)));
}
