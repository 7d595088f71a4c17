import http from 'node:http';
import https from 'node:https';
import {S3Client} from '@aws-sdk/client-s3';
import {registerSecret} from '../../core/redact.ts';
import type {S3Settings} from './settings.ts';

/** The region when neither the settings, the environment nor the AWS profile name one. */
export const FALLBACK_REGION = 'us-east-1';
const CONNECT_TIMEOUT_MS = 10_000;
/**
 * A socket silent this long is given up (then retried). Deliberately no limit on a whole request: a part
 * of 1 GiB on a slow link legitimately takes minutes.
 */
const IDLE_SOCKET_TIMEOUT_MS = 60_000;

/** A client and what messages say about where it goes. */
export interface S3Connection {
	client: S3Client;
	settings: S3Settings;
	/** the endpoint as messages name it */
	endpoint: string;
}

/** The endpoint's name in messages: the configured one, or AWS's. */
export function endpointLabel(settings: S3Settings): string {
	if (settings.endpoint !== undefined) return settings.endpoint;
	return settings.region === undefined ? 'AWS S3' : `https://s3.${settings.region}.amazonaws.com`;
}

/** The region from the SDK's own chain (AWS_REGION, the profile's config file), else FALLBACK_REGION. */
async function regionFromAwsConfig(): Promise<string> {
	const probe = new S3Client({});
	try {
		return await probe.config.region();
	} catch {
		return FALLBACK_REGION;
	} finally {
		probe.destroy();
	}
}

/**
 * The S3 client for these settings. The SDK's own retries are off (maxAttempts 1): retry.ts retries
 * with our classification and keeps a part's bytes for it. Checksums only when an operation requires
 * them: the default CRC32 trailers (`aws-chunked`) are refused by several S3-compatible servers, and the
 * uploader sends Content-MD5 and x-amz-checksum-sha256 itself.
 */
export function createS3Connection(settings: S3Settings): S3Connection {
	// the client reads these itself; registered so that no message can ever show them
	registerSecret(process.env.AWS_SECRET_ACCESS_KEY);
	registerSecret(process.env.AWS_SESSION_TOKEN);
	// the pinned SDK warns about its future releases needing Node 22; the CLI must not print that
	process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
	const agentOptions = {keepAlive: true, maxSockets: settings.workers + 2};
	let awsConfigRegion: Promise<string> | undefined;
	const region = settings.region ?? (() => (awsConfigRegion ??= regionFromAwsConfig()));
	const client = new S3Client({
		region,
		endpoint: settings.endpoint,
		forcePathStyle: settings.forcePathStyle,
		// a bucket in another region than the one guessed answers with its region; follow it
		followRegionRedirects: settings.endpoint === undefined,
		maxAttempts: 1,
		requestChecksumCalculation: 'WHEN_REQUIRED',
		responseChecksumValidation: 'WHEN_REQUIRED',
		requestHandler: {
			connectionTimeout: CONNECT_TIMEOUT_MS,
			socketTimeout: IDLE_SOCKET_TIMEOUT_MS,
			httpAgent: new http.Agent(agentOptions),
			httpsAgent: new https.Agent(agentOptions),
		},
	});
	return {client, settings, endpoint: endpointLabel(settings)};
}
