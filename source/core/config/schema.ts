import {COMPRESSIONS} from '../compression-names.ts';
import {RETENTION_PERIOD_PATTERN} from './duration.ts';
/**
 * Every configuration key, declared once: its type, the values or range it accepts and a one-line
 * description. The validator, the environment table, the example file and the readme all read this
 * table, so they cannot disagree about which keys exist.
 */
export type KeyType = 'string' | 'integer' | 'boolean' | 'enum' | 'duration' | 'list';

export interface KeySpec {
	/** dotted path as written in the file; keys of list items use `[]`, e.g. `backup.binlog.targets[].path` */
	readonly key: string;
	readonly type: KeyType;
	readonly description: string;
	/** allowed values of an enum */
	readonly values?: readonly string[];
	/** inclusive range of an integer or duration (seconds) */
	readonly min?: number;
	readonly max?: number;
	/** shape a string must have, and the words that say so in an error */
	readonly pattern?: {readonly regex: RegExp; readonly says: string};
	/** keys of list items: the item kinds (their `type` value) the key belongs to */
	readonly itemKinds?: readonly string[];
	/** keys of list items: the item is invalid without it */
	readonly required?: boolean;
}

const port = {min: 1, max: 65_535} as const;
const MiB = 1024 * 1024;
/** a prune count: 0 keeps none by that rule */
const keepCount = {min: 0, max: 1_000_000} as const;

export const CONFIG_SCHEMA: readonly KeySpec[] = [
	{key: 'connection.db_type', type: 'enum', values: ['mysql', 'postgres'], description: 'database type; when not set, the kind the environment points at (MYSQL_*/PG* variables, ~/.my.cnf, ~/.pgpass, local sockets), else mysql'},
	{key: 'connection.host', type: 'string', description: 'server host name or address (PostgreSQL: a path is a socket directory)'},
	{key: 'connection.port', type: 'integer', ...port, description: 'server TCP port (3306 for MySQL, 5432 for PostgreSQL when not set)'},
	{key: 'connection.user', type: 'string', description: 'user name to connect as (the OS user name when not set)'},
	{key: 'connection.socket', type: 'string', description: 'unix socket path (MySQL) or socket directory (PostgreSQL)'},
	{key: 'connection.database', type: 'string', description: 'database to back up or connect to'},

	{key: 'output.path', type: 'string', description: 'file or directory the backup is written to'},
	{key: 'output.format', type: 'enum', values: ['archive', 'sql'], description: 'archive (parallel, checksummed tar) or sql (one plain script for mysql / psql)'},
	{key: 'output.compress', type: 'enum', values: [...COMPRESSIONS], description: 'compression of every archive member'},
	{key: 'output.level', type: 'integer', min: 1, max: 22, description: 'compression level (gzip 1-9, zstd 1-22, lz4 1 only); the codec default when not set'},
	{key: 'output.workers', type: 'integer', min: 1, max: 256, description: 'parallel workers for dump and restore (number of CPUs when not set)'},

	{
		key: 'backup.engine',
		type: 'enum',
		values: ['auto', 'mysqldump', 'logical', 'postgres-logical', 'pgdump', 'basebackup', 'clone', 'snapshot'],
		description: 'backup engine; auto picks one from the server found (logical is an alias of mysqldump, or of postgres-logical on PostgreSQL; pgdump of postgres-logical)',
	},
	{key: 'backup.clone.data_dir', type: 'string', description: 'directory the clone plugin writes the copy to'},
	{key: 'backup.clone.remote.enabled', type: 'boolean', description: 'clone from a remote donor instead of the local server'},
	{key: 'backup.clone.remote.donor_host', type: 'string', description: 'host of the donor server for a remote clone'},
	{key: 'backup.clone.remote.donor_port', type: 'integer', ...port, description: 'port of the donor server for a remote clone'},
	{key: 'backup.clone.remote.donor_user', type: 'string', description: 'user on the donor server (needs BACKUP_ADMIN)'},
	{key: 'backup.snapshot.backend', type: 'enum', values: ['auto', 'lvm', 'zfs', 'btrfs'], description: 'snapshot backend; auto detects it from the data directory filesystem'},
	{key: 'backup.snapshot.lvm.volume_group', type: 'string', description: 'LVM volume group holding the data directory volume'},
	{
		key: 'backup.snapshot.lvm.snapshot_size',
		type: 'string',
		pattern: {regex: /^\d+(\.\d+)?[kKmMgGtTpP]?$/, says: 'an LVM size such as 10G or 512M'},
		description: 'space reserved for the LVM snapshot copy-on-write area',
	},
	{key: 'backup.snapshot.zfs.dataset', type: 'string', description: 'ZFS dataset holding the data directory'},
	{key: 'backup.snapshot.btrfs.subvolume', type: 'string', description: 'btrfs subvolume holding the data directory'},
	{key: 'backup.streaming.part_size', type: 'integer', min: 5 * MiB, max: 5 * 1024 * MiB, description: 'bytes per multipart upload part at the start (S3 allows 5 MiB to 5 GiB); parts grow so that 10,000 cover 5 TiB'},
	{key: 'backup.streaming.workers', type: 'integer', min: 1, max: 256, description: 'parts uploaded at the same time'},
	{key: 'backup.streaming.checksum', type: 'boolean', description: 'send a SHA-256 of every part so the object store verifies it'},
	{key: 'output.encrypt', type: 'boolean', description: 'encrypt every artifact (AES-256-GCM) with the key from output.encryption_key_file, DBBACKUP_ENCRYPTION_KEY or DBBACKUP_PASSPHRASE'},
	{key: 'output.encryption_key_file', type: 'string', description: 'file holding the 32-byte encryption key (raw, base64 or hex); never the key itself'},
	{key: 's3.endpoint', type: 'string', description: 'endpoint URL of an S3-compatible store (AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL when not set)'},
	{key: 's3.region', type: 'string', description: 'S3 region (AWS_REGION, AWS_DEFAULT_REGION or the AWS profile when not set)'},
	{key: 's3.path_style', type: 'boolean', description: 'path-style addressing (bucket in the path); automatic for an endpoint that is an IP address or localhost'},
	{key: 's3.storage_class', type: 'string', description: 'storage class of the objects written, e.g. STANDARD_IA'},
	{key: 's3.server_side_encryption', type: 'enum', values: ['AES256', 'aws:kms'], description: 'S3 server-side encryption of the objects written (independent of output.encrypt)'},
	{key: 's3.sse_kms_key_id', type: 'string', description: 'KMS key id for server-side encryption aws:kms'},
	{key: 'backup.binlog.enabled', type: 'boolean', description: 'stream binary logs continuously'},
	{key: 'backup.binlog.server_id', type: 'integer', min: 1, max: 4_294_967_295, description: 'replica server id to register as; must differ from every server in the topology'},
	{key: 'backup.binlog.use_gtid', type: 'boolean', description: 'resume from the GTID set instead of file and position'},
	{key: 'backup.binlog.checkpoint_interval', type: 'duration', min: 0.1, max: 86_400, description: 'how often the resume point is saved: 500ms, 30s, 2m, 1h or seconds'},
	{key: 'backup.binlog.targets', type: 'list', description: 'where binlog files go: a list of file and s3 targets'},
	{key: 'backup.binlog.targets[].type', type: 'enum', values: ['file', 's3'], itemKinds: ['file', 's3'], required: true, description: 'kind of target'},
	{key: 'backup.binlog.targets[].path', type: 'string', itemKinds: ['file'], required: true, description: 'directory the binlog files are written to'},
	{key: 'backup.binlog.targets[].compress', type: 'boolean', itemKinds: ['file', 's3'], description: 'compress each binlog file once it is rotated'},
	{key: 'backup.binlog.targets[].rotate_size', type: 'integer', itemKinds: ['file', 's3'], min: 4096, max: Number.MAX_SAFE_INTEGER, description: 'start a new file after this many bytes (the server rotation when not set)'},
	{key: 'backup.binlog.targets[].bucket', type: 'string', itemKinds: ['s3'], required: true, description: 'S3 bucket'},
	{key: 'backup.binlog.targets[].prefix', type: 'string', itemKinds: ['s3'], description: 'key prefix inside the bucket (the binlog files, index and checkpoint go under it)'},
	{key: 'backup.binlog.targets[].region', type: 'string', itemKinds: ['s3'], description: 'S3 region'},
	{key: 'backup.binlog.targets[].endpoint', type: 'string', itemKinds: ['s3'], description: 'endpoint URL of an S3-compatible store'},
	{key: 'retention.keep_last', type: 'integer', ...keepCount, description: 'prune keeps the N newest complete backups'},
	{key: 'retention.keep_daily', type: 'integer', ...keepCount, description: 'prune keeps the newest backup of each of the N most recent UTC days that have one'},
	{key: 'retention.keep_weekly', type: 'integer', ...keepCount, description: 'prune keeps the newest backup of each of the N most recent ISO weeks (UTC) that have one'},
	{key: 'retention.keep_monthly', type: 'integer', ...keepCount, description: 'prune keeps the newest backup of each of the N most recent months (UTC) that have one'},
	{key: 'retention.keep_yearly', type: 'integer', ...keepCount, description: 'prune keeps the newest backup of each of the N most recent years (UTC) that have one'},
	{
		key: 'retention.keep_within',
		type: 'string',
		pattern: {regex: RETENTION_PERIOD_PATTERN, says: 'a period such as 36h, 7d, 2w, 6m (months) or 1y6m'},
		description: 'prune keeps every backup that started within this period before now',
	},
];

const byKey = new Map(CONFIG_SCHEMA.map((spec) => [spec.key, spec]));

export function keySpec(key: string): KeySpec | undefined {
	return byKey.get(key);
}

/** Keys a user sets directly (not inside list items): the leaves of the config tree. */
export const TOP_LEVEL_KEYS: readonly string[] = CONFIG_SCHEMA.filter((spec) => !spec.key.includes('[]')).map((spec) => spec.key);

/** Every mapping that holds keys, e.g. `backup`, `backup.clone`, `backup.clone.remote`. */
export const SECTIONS: ReadonlySet<string> = new Set(
	TOP_LEVEL_KEYS.flatMap((key) => {
		const parts = key.split('.');
		return parts.slice(1).map((_, index) => parts.slice(0, index + 1).join('.'));
	}),
);

/** Names directly under a section ('' for the top), sections and keys alike. */
export function childrenOf(section: string): string[] {
	const prefix = section === '' ? '' : `${section}.`;
	const names = new Set<string>();
	for (const key of [...SECTIONS, ...TOP_LEVEL_KEYS]) {
		if (!key.startsWith(prefix)) continue;
		const rest = key.slice(prefix.length);
		if (!rest.includes('.')) names.add(rest);
	}
	return [...names];
}

/** The specs of the keys of one list's items, e.g. for `backup.binlog.targets`. */
export function itemSpecs(listKey: string): KeySpec[] {
	const prefix = `${listKey}[].`;
	return CONFIG_SCHEMA.filter((spec) => spec.key.startsWith(prefix));
}

/** The leaf name of a dotted key: `backup.binlog.targets[].path` → `path`. */
export function leafName(key: string): string {
	return key.slice(key.lastIndexOf('.') + 1);
}
