/**
 * Our MultipartUploader against @aws-sdk/lib-storage's Upload: the same generated stream, part size,
 * concurrency and S3 client settings, each upload in a child process of its own (uploader-child.ts)
 * so that each peak RSS is its own. lib-storage is a devDependency; without it that side is skipped
 * with the reason.
 */
import {createRequire} from 'node:module';
import {join} from 'node:path';
import {DeleteObjectCommand} from '@aws-sdk/client-s3';
import {runCommand} from '../source/sandbox/run-command.ts';
import type {RunningS3} from '../source/sandbox/types.ts';
import {measure} from './measure.ts';
import {REPO_ROOT} from './ours.ts';
import {cpuSeconds} from './process-sampler.ts';
import {awsEnv, benchS3Client, machineBusySeconds} from './s3-steps.ts';
import type {UploaderImplementation, UploadResult} from './uploader-child.ts';

const MIB = 1024 * 1024;
const CHILD = join(REPO_ROOT, 'bench', 'uploader-child.ts');

export const UPLOADER_LABELS: Record<UploaderImplementation, string> = {
	'lib-storage': '@aws-sdk/lib-storage Upload',
	ours: 'ours: MultipartUploader (default: Content-MD5 + SHA-256 per part)',
	'ours-md5-only': 'ours, checksum off (Content-MD5 only)',
};

export interface UploaderRun {
	impl: UploaderImplementation;
	label: string;
	status: 'ok' | 'failed' | 'skipped';
	result?: UploadResult;
	/** GNU time's peak RSS of the child: the same figure as result.peakRssMb, measured from outside */
	processPeakRssMb?: number;
	/** the child's whole run: node start, the source block, the upload, the check */
	processSeconds?: number;
	/** CPU seconds while the child ran (its start and source block too): the whole machine's, and s3rver's */
	machineCpuSeconds?: number;
	s3rverCpuSeconds?: number;
	error?: string;
}

export interface UploaderComparison {
	bytes: number;
	partSize: number;
	workers: number;
	libStorageVersion?: string;
	clientS3Version: string;
	/** why lib-storage's side did not run, when it did not */
	libStorageSkipped?: string;
	runs: UploaderRun[];
}

function packageVersion(name: string): string | undefined {
	try {
		const require = createRequire(join(REPO_ROOT, 'package.json'));
		return (require(`${name}/package.json`) as {version: string}).version;
	} catch {
		return undefined;
	}
}

/** Whether lib-storage can be loaded here; the reason when not. */
async function libStorageProblem(): Promise<string | undefined> {
	try {
		await import('@aws-sdk/lib-storage');
		return undefined;
	} catch (error) {
		return `@aws-sdk/lib-storage could not be loaded (${(error as Error).message.split('\n')[0]}); run npm ci to install the devDependencies`;
	}
}

/**
 * Runs lib-storage, ours, ours without the SHA-256 checksum, one after the other (sync first, the object
 * deleted after), and returns each one's throughput and memory.
 */
export async function compareUploaders(options: {s3: RunningS3; prefix: string; workDir: string; bytes: number; partSize: number; workers: number; log: (line: string) => void}): Promise<UploaderComparison> {
	const {s3, log} = options;
	const client = benchS3Client(s3);
	const problem = await libStorageProblem();
	const comparison: UploaderComparison = {
		bytes: options.bytes,
		partSize: options.partSize,
		workers: options.workers,
		libStorageVersion: packageVersion('@aws-sdk/lib-storage'),
		clientS3Version: packageVersion('@aws-sdk/client-s3') ?? 'unknown',
		libStorageSkipped: problem,
		runs: [],
	};
	if (problem) log(`bench: skipping the lib-storage side of the uploader comparison: ${problem}`);
	try {
		for (const impl of ['lib-storage', 'ours', 'ours-md5-only'] as const) {
			const label = UPLOADER_LABELS[impl];
			if (impl === 'lib-storage' && problem) {
				comparison.runs.push({impl, label, status: 'skipped', error: problem});
				continue;
			}
			const key = `${options.prefix}uploader-${impl}.bin`;
			const args = [
				'--import',
				'tsx',
				CHILD,
				...['--impl', impl, '--endpoint', s3.endpoint, '--region', s3.region, '--bucket', s3.bucket, '--key', key],
				...['--bytes', String(options.bytes), '--part-size', String(options.partSize), '--workers', String(options.workers)],
			];
			log(`→ upload ${(options.bytes / MIB).toFixed(0)} MiB with ${label}`);
			await runCommand('sync', []);
			try {
				const machineBefore = await machineBusySeconds();
				const s3rverBefore = await cpuSeconds(s3.pid);
				const measured = await measure({command: process.execPath, args, env: awsEnv(s3), cwd: REPO_ROOT}, join(options.workDir, `upload-${impl}.time`));
				const machineCpuSeconds = (await machineBusySeconds()) - machineBefore;
				const s3rverCpuSeconds = (await cpuSeconds(s3.pid)) - s3rverBefore;
				const line = measured.stdout.split('\n').find((text) => text.startsWith('UPLOAD_RESULT '));
				if (!line) throw new Error(`the upload printed no result:\n${measured.stdout.slice(-1000)}`);
				const result = JSON.parse(line.slice('UPLOAD_RESULT '.length)) as UploadResult;
				comparison.runs.push({impl, label, status: 'ok', result, processPeakRssMb: measured.peakRssMb, processSeconds: measured.seconds, machineCpuSeconds, s3rverCpuSeconds});
				log(`  ${result.mibPerSecond.toFixed(0)} MiB/s (${result.seconds.toFixed(1)} s), peak RSS ${measured.peakRssMb.toFixed(0)} MiB`);
			} catch (error) {
				const message = (error as Error).message;
				log(`  FAILED ${label}: ${message}`);
				comparison.runs.push({impl, label, status: 'failed', error: message.split('\n').slice(0, 3).join(' ')});
			} finally {
				await client.send(new DeleteObjectCommand({Bucket: s3.bucket, Key: key})).catch(() => {});
			}
		}
	} finally {
		client.destroy();
	}
	return comparison;
}
