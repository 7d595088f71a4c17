import type {Compression} from '../compression-names.ts';
import type {DbType} from '../detect/types.ts';

/**
 * The configuration as the product uses it after merging defaults < file < environment < flags.
 * Keys mirror the YAML file (snake_case), which follows the seed tool's documented keys.
 */
export interface Config {
	connection: {
		db_type?: DbType;
		host?: string;
		port?: number;
		user?: string;
		socket?: string;
		database?: string;
	};
	output: {
		path?: string;
		format: 'archive' | 'sql';
		compress: Compression;
		level?: number;
		workers?: number;
		encrypt?: boolean;
		encryption_key_file?: string;
	};
	s3: {
		endpoint?: string;
		region?: string;
		path_style?: boolean;
		storage_class?: string;
		server_side_encryption?: 'AES256' | 'aws:kms';
		sse_kms_key_id?: string;
	};
	backup: {
		engine: 'auto' | 'mysqldump' | 'logical' | 'postgres-logical' | 'basebackup' | 'clone' | 'snapshot';
		clone: {
			data_dir?: string;
			remote: {enabled: boolean; donor_host?: string; donor_port?: number; donor_user?: string};
		};
		snapshot: {
			backend: 'auto' | 'lvm' | 'zfs' | 'btrfs';
			lvm: {volume_group?: string; snapshot_size?: string};
			zfs: {dataset?: string};
			btrfs: {subvolume?: string};
		};
		streaming: {part_size: number; workers: number; checksum: boolean};
		binlog: {
			enabled: boolean;
			server_id: number;
			use_gtid: boolean;
			/** seconds (the file may say "30s", "2m", "500ms" or a number of seconds) */
			checkpoint_interval: number;
			targets: BinlogTarget[];
		};
	};
	/** prune's policy when no --keep-* flag is given (none set: prune refuses) */
	retention: {
		keep_last?: number;
		keep_daily?: number;
		keep_weekly?: number;
		keep_monthly?: number;
		keep_yearly?: number;
		/** a period as written: 36h, 7d, 2w, 6m (months), 1y */
		keep_within?: string;
	};
}

export type BinlogTarget =
	| {type: 'file'; path: string; compress: boolean; rotate_size?: number}
	| {type: 's3'; bucket: string; prefix?: string; region?: string; endpoint?: string; compress: boolean; rotate_size?: number};

/** Where a config value came from, for `--json` diagnostics and error messages. */
export type ConfigSource = 'default' | 'file' | 'environment' | 'flag';

export interface LoadedConfig {
	config: Config;
	/** the file that was found or given, if any */
	file?: string;
	/** dotted key path → where its value came from, for every key that is not a default */
	sources: Record<string, ConfigSource>;
}
