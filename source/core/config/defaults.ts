import type {Config} from './types.ts';

/** The configuration when no file, environment variable or flag says otherwise. A fresh copy each call. */
export function defaultConfig(): Config {
	return {
		connection: {},
		output: {format: 'archive', compress: 'zstd'},
		s3: {},
		backup: {
			engine: 'auto',
			clone: {remote: {enabled: false}},
			snapshot: {backend: 'auto', lvm: {}, zfs: {}, btrfs: {}},
			streaming: {part_size: 10_485_760, workers: 4, checksum: true},
			binlog: {enabled: false, server_id: 99_999, use_gtid: true, checkpoint_interval: 30, targets: []},
		},
		retention: {},
	};
}

/** Values a `type: file` binlog target gets for the keys it leaves out. */
export const BINLOG_TARGET_DEFAULTS = {compress: false} as const;
