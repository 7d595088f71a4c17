import {isIP} from 'node:net';
import {UsageError} from '../../core/errors.ts';
import {formatBytes} from '../../core/format.ts';

export const MIB = 1024 * 1024;
/** S3's smallest part (all but the last) and largest part */
export const MIN_PART_SIZE = 5 * MIB;
export const MAX_PART_SIZE = 5 * 1024 * MIB;
export const DEFAULT_PART_SIZE = 10 * MIB;
export const DEFAULT_WORKERS = 4;
const MAX_WORKERS = 64;

export type ServerSideEncryption = 'AES256' | 'aws:kms';

/**
 * How to reach and write an S3-compatible store. Credentials are not here on purpose: the SDK's default
 * chain finds them (environment, ~/.aws files, AWS_PROFILE, instance roles), never a flag or config value.
 */
export interface S3Settings {
	/** an S3-compatible server (MinIO, Ceph RGW); AWS's own endpoint when absent */
	endpoint?: string;
	/** undefined: the SDK's chain (AWS profile config), else us-east-1 */
	region?: string;
	forcePathStyle: boolean;
	storageClass?: string;
	serverSideEncryption?: ServerSideEncryption;
	sseKmsKeyId?: string;
	/** bytes of the first parts of an upload (later ones grow: part-size.ts) */
	partSize: number;
	/** parts uploaded at the same time */
	workers: number;
	/** send x-amz-checksum-sha256 as well as Content-MD5 */
	checksum: boolean;
}

/** The S3 settings of a configuration file or the command line, before defaults. */
export type S3SettingsInput = Partial<S3Settings>;

function invalidSetting(name: string, problem: string, hint = 'Correct it in the configuration file, the flags or the environment.'): UsageError {
	return new UsageError({code: 'S3_SETTING_INVALID', message: `S3 setting ${name}: ${problem}`, hint});
}

function checkedEndpoint(endpoint: string, source: string): string {
	// an endpoint with user:password@ in it is not repeated in messages
	const shown = endpoint.includes('@') ? 'the endpoint' : JSON.stringify(endpoint);
	const hint = 'Write the endpoint as http(s)://HOST[:PORT], for example https://minio.example.com:9000.';
	if (!/^https?:\/\//i.test(endpoint)) throw invalidSetting(source, `${shown} does not start with http:// or https://`, hint);
	let url: URL;
	try {
		url = new URL(endpoint);
	} catch {
		throw invalidSetting(source, `${shown} is not a URL`, hint);
	}
	if (url.username !== '' || url.password !== '') throw invalidSetting(source, 'the endpoint holds a user name or password', 'Give the credentials through AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY or ~/.aws/credentials, and the endpoint without them.');
	return endpoint.replace(/\/+$/, '');
}

function checkedWorkers(workers: number): number {
	if (!Number.isInteger(workers) || workers < 1 || workers > MAX_WORKERS) throw invalidSetting('workers', `${workers}: use a whole number from 1 to ${MAX_WORKERS}`);
	return workers;
}

function checkedPartSize(bytes: number): number {
	if (!Number.isInteger(bytes) || bytes < MIN_PART_SIZE || bytes > MAX_PART_SIZE) {
		throw invalidSetting('partSize', `${bytes} bytes: S3 takes parts of ${formatBytes(MIN_PART_SIZE)} to ${formatBytes(MAX_PART_SIZE)} (whole bytes)`);
	}
	return bytes;
}

/** Whether the endpoint's host is an IP address or localhost, where virtual-hosted bucket names cannot resolve. */
export function needsPathStyle(endpoint: string | undefined): boolean {
	if (endpoint === undefined) return false;
	const host = new URL(endpoint).hostname.replace(/^\[|\]$/g, '');
	return isIP(host) !== 0 || host === 'localhost' || host.endsWith('.localhost');
}

function nonEmpty(value: string | undefined): string | undefined {
	return value === undefined || value.trim() === '' ? undefined : value.trim();
}

/**
 * The settings in force: the given ones, then the environment the AWS tools read (AWS_ENDPOINT_URL_S3,
 * AWS_ENDPOINT_URL, AWS_REGION, AWS_DEFAULT_REGION), then the defaults.
 */
export function resolveS3Settings(fromConfig: S3SettingsInput = {}, env: NodeJS.ProcessEnv = process.env): S3Settings {
	const endpointSources: [string, string | undefined][] = [
		['endpoint', fromConfig.endpoint],
		['AWS_ENDPOINT_URL_S3', env.AWS_ENDPOINT_URL_S3],
		['AWS_ENDPOINT_URL', env.AWS_ENDPOINT_URL],
	];
	const [endpointSource, rawEndpoint] = endpointSources.find(([, value]) => nonEmpty(value) !== undefined) ?? [];
	const endpoint = rawEndpoint === undefined ? undefined : checkedEndpoint(rawEndpoint.trim(), endpointSource!);
	const region = nonEmpty(fromConfig.region) ?? nonEmpty(env.AWS_REGION) ?? nonEmpty(env.AWS_DEFAULT_REGION);
	const forcePathStyle = needsPathStyle(endpoint) || fromConfig.forcePathStyle === true || env.DBBACKUP_S3_FORCE_PATH_STYLE === 'true';

	const {serverSideEncryption, sseKmsKeyId} = fromConfig;
	if (serverSideEncryption !== undefined && serverSideEncryption !== 'AES256' && serverSideEncryption !== 'aws:kms') {
		throw invalidSetting('serverSideEncryption', `${JSON.stringify(serverSideEncryption)}: use AES256 or aws:kms`);
	}
	if (sseKmsKeyId !== undefined && serverSideEncryption !== 'aws:kms') {
		throw invalidSetting('sseKmsKeyId', 'a KMS key is only used with serverSideEncryption aws:kms', 'Set serverSideEncryption to aws:kms, or remove sseKmsKeyId.');
	}
	return {
		endpoint,
		region,
		forcePathStyle,
		storageClass: nonEmpty(fromConfig.storageClass),
		serverSideEncryption,
		sseKmsKeyId: nonEmpty(sseKmsKeyId),
		partSize: checkedPartSize(fromConfig.partSize ?? DEFAULT_PART_SIZE),
		workers: checkedWorkers(fromConfig.workers ?? DEFAULT_WORKERS),
		checksum: fromConfig.checksum ?? true,
	};
}
