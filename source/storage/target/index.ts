import path from 'node:path';
import {EngineUnavailableError} from '../../core/errors.ts';
import {LocalDirectoryTarget} from './local-directory.ts';
import type {ArtifactTarget} from './types.ts';

export type {AppendableArtifact, AppendableTarget, ArtifactStat, ArtifactTarget, OpenAppendOptions, OpenPartialOptions, PartialArtifact, RemovedLeftover} from './types.ts';

export interface ArtifactLocation {
	target: ArtifactTarget;
	/** the artifact's name within the target */
	name: string;
}

const S3_URL = /^s3:\/\//i;

function refuseS3(location: string): never {
	throw new EngineUnavailableError({
		code: 'TARGET_NOT_BUILT',
		message: `${location}: the S3 target is not built in this version of dbbackup (planned: writing and reading backups in S3).`,
		hint: 'Use a local directory (--output DIR/), and copy the files to S3 from there.',
	});
}

/** The target and name of the artifact at `output`: a local path (its directory, its file name) or an `s3://` URL. */
export function targetFor(output: string): ArtifactLocation {
	if (S3_URL.test(output)) refuseS3(output);
	const file = path.resolve(output);
	return {target: new LocalDirectoryTarget(path.dirname(file)), name: path.basename(file)};
}

/** The target whose root is `location`: a local directory or an `s3://` URL prefix. */
export function directoryTarget(location: string): ArtifactTarget {
	if (S3_URL.test(location)) refuseS3(location);
	return new LocalDirectoryTarget(location);
}
