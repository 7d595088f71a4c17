import path from 'node:path';
import {isObjectStoreUrl} from '../../core/object-store-url.ts';
import type {EncryptionKeySource} from '../crypto/key.ts';
import type {S3SettingsInput} from '../s3/settings.ts';
import type {S3TargetOptions} from '../s3/target.ts';
import {LocalDirectoryTarget} from './local-directory.ts';
import type {ArtifactTarget} from './types.ts';

export type {AppendableArtifact, AppendableTarget, ArtifactStat, ArtifactTarget, OpenAppendOptions, OpenPartialOptions, PartialArtifact, RemovedLeftover} from './types.ts';

export interface ArtifactLocation {
	target: ArtifactTarget;
	/** the artifact's name within the target */
	name: string;
}

/**
 * How artifacts are stored, beyond where: the object store's settings and the encryption key. Given
 * once by the command line or the app and passed down to whatever opens a target, so every engine
 * writes to any target through the same stages.
 */
export interface StorageOptions {
	/** S3 settings from the config file and flags; the environment (AWS_*) and defaults fill the rest */
	s3?: S3SettingsInput;
	/** tests: shorter retries; resume journals: each part S3 accepted */
	s3Target?: S3TargetOptions;
	/**
	 * The segment size of appendable artifacts where a target keeps them as segments (S3, and any target
	 * when encrypted): each sync rewrites the open segment, so a sync per commit wants small ones.
	 */
	appendSegmentBytes?: number;
	/**
	 * With a key, what is written is encrypted (format DBBKENC), and what is read is decrypted when it
	 * is encrypted and read as it is when not.
	 */
	encryption?: EncryptionKeySource;
}

/*
 * The S3 client and the cipher code load only when a run uses them: a binlog streamer writing to a
 * local directory should not carry the AWS SDK in memory.
 */
async function withStages(target: ArtifactTarget, storage: StorageOptions): Promise<ArtifactTarget> {
	if (!storage.encryption) return target;
	const {EncryptedTarget} = await import('../crypto/encrypted-target.ts');
	return new EncryptedTarget(target, storage.encryption, {appendSegmentBytes: storage.appendSegmentBytes});
}

/** The target and name of the artifact at `output`: a local path (its directory, its file name) or an `s3://` URL. */
export async function targetFor(output: string, storage: StorageOptions = {}): Promise<ArtifactLocation> {
	if (isObjectStoreUrl(output)) {
		const [{s3TargetFor}, {resolveS3Settings}] = await Promise.all([import('../s3/target.ts'), import('../s3/settings.ts')]);
		const {target, name} = s3TargetFor(output, resolveS3Settings(storage.s3), s3TargetOptions(storage));
		return {target: await withStages(target, storage), name};
	}
	const file = path.resolve(output);
	return {target: await withStages(new LocalDirectoryTarget(path.dirname(file)), storage), name: path.basename(file)};
}

/** The target whose root is `location`: a local directory or an `s3://` URL prefix. */
export async function directoryTarget(location: string, storage: StorageOptions = {}): Promise<ArtifactTarget> {
	if (isObjectStoreUrl(location)) {
		const [{s3DirectoryTarget}, {resolveS3Settings}] = await Promise.all([import('../s3/target.ts'), import('../s3/settings.ts')]);
		return withStages(s3DirectoryTarget(location, resolveS3Settings(storage.s3), s3TargetOptions(storage)), storage);
	}
	return withStages(new LocalDirectoryTarget(location), storage);
}

function s3TargetOptions(storage: StorageOptions): S3TargetOptions | undefined {
	if (storage.appendSegmentBytes === undefined || storage.s3Target?.appendSegmentBytes !== undefined) return storage.s3Target;
	return {...storage.s3Target, appendSegmentBytes: storage.appendSegmentBytes};
}

/**
 * The local file that holds `name`'s stored bytes, through stages that have no local path of their own
 * (an encrypted target over a local directory): for removing a dead run's `.partial` beside it.
 */
export function storedLocalPath(target: ArtifactTarget, name: string): string | undefined {
	const local = target.localPath(name);
	if (local !== undefined) return local;
	const inner = (target as {inner?: ArtifactTarget}).inner;
	return inner === undefined ? undefined : storedLocalPath(inner, name);
}
