import type {Config} from '../core/config/types.ts';
import {UsageError} from '../core/errors.ts';
import type {EventBus} from '../core/events.ts';
import {keyGiven, loadEncryptionKey} from '../storage/crypto/key.ts';
import type {UploaderStats} from '../storage/s3/uploader.ts';
import type {StorageOptions} from '../storage/target/index.ts';

/** The S3 settings the config file and flags give (the AWS environment and defaults fill in the rest). */
export function s3SettingsOf(config: Config): NonNullable<StorageOptions['s3']> {
	const {s3, backup} = config;
	return {
		endpoint: s3.endpoint,
		region: s3.region,
		forcePathStyle: s3.path_style,
		storageClass: s3.storage_class,
		serverSideEncryption: s3.server_side_encryption,
		sseKmsKeyId: s3.sse_kms_key_id,
		partSize: backup.streaming.part_size,
		workers: backup.streaming.workers,
		checksum: backup.streaming.checksum,
	};
}

/**
 * How artifacts are stored for one run. Writing: encrypted only with output.encrypt (--encrypt), which
 * then needs a key. Reading: a key is loaded when one is given anywhere, so an encrypted artifact is
 * decrypted and a plain one read as it is; none given, an encrypted artifact is refused by name.
 */
export async function storageOptionsFor(config: Config, purpose: 'write' | 'read', bus?: EventBus, env: NodeJS.ProcessEnv = process.env): Promise<StorageOptions> {
	const keyFile = config.output.encryption_key_file;
	const wantKey = purpose === 'write' ? config.output.encrypt === true : keyGiven({keyFile, env});
	if (purpose === 'write' && !wantKey && keyFile !== undefined) {
		throw new UsageError({
			code: 'ENCRYPTION_KEY_WITHOUT_ENCRYPT',
			message: `--encryption-key-file ${keyFile} was given, but encryption is off`,
			hint: 'Add --encrypt (or output.encrypt: true) to encrypt the backup, or leave the key file out.',
		});
	}
	const storage: StorageOptions = {s3: s3SettingsOf(config)};
	if (purpose === 'write' && bus) storage.s3Target = {onProgress: uploadReporter(bus)};
	if (!wantKey) return storage;
	const loaded = await loadEncryptionKey({keyFile, env});
	for (const warning of loaded.warnings) bus?.warn(warning);
	bus?.log('info', `encryption key from ${loaded.origin}`);
	return {...storage, encryption: loaded.source};
}

/** At most 4 upload events a second per object (each accepted part calls), and always the first. */
function uploadReporter(bus: EventBus): (url: string, stats: UploaderStats) => void {
	const last = new Map<string, number>();
	return (url, stats) => {
		const now = Date.now();
		if (now - (last.get(url) ?? 0) < 250) return;
		last.set(url, now);
		bus.emit('upload', {destination: url, bytesSent: stats.bytesSent, partsDone: stats.partsDone, partsInFlight: stats.partsInFlight, retries: stats.retries});
	};
}
