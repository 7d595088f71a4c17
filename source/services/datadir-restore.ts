/**
 * `restore ARTIFACT --datadir DIR [--verify-start]`: a physical backup back into a data directory, by
 * the engine that wrote it; no server is connected to. A logical archive or a SQL script is refused
 * before anything is written (they restore into a running server), and so is --verify-start when no
 * server of the backup's version is installed to start.
 */
import path from 'node:path';
import {UsageError} from '../core/errors.ts';
import type {EventBus} from '../core/events.ts';
import {findEngine} from '../engines/registry.ts';
import type {EngineName, RestoreResult} from '../engines/types.ts';
import {openArchiveIn} from '../storage/archive/reader.ts';
import {identifyArtifact} from '../storage/artifact.ts';
import type {RestoreRequest} from './restore.ts';
import {checkVerifyStartPossible, verifyStart} from './verify-start.ts';
import {chooseMysqld, verifyMysqlStart, type MysqldChoice} from './verify-start-mysql.ts';
import {planWalRecovery, writeWalRecovery} from './pg-pitr.ts';

/** A logical backup (or a script) given --datadir: where it restores instead. */
function notPhysical(where: string, what: string, dbType: string): UsageError {
	return new UsageError({
		code: 'DATADIR_NEEDS_PHYSICAL',
		message: `${where} is ${what}: --datadir restores a physical backup (a copy of a server's files) into a data directory`,
		hint: `Restore it into a running server instead: leave out --datadir and give --db-type ${dbType} with the server to restore into.`,
	});
}

export async function runDataDirectoryRestore(request: RestoreRequest & {dataDirectory: string}, bus: EventBus): Promise<RestoreResult & {engine: EngineName}> {
	const artifact = await identifyArtifact(request.artifact, request.storage);
	if (artifact.kind !== 'archive') {
		throw notPhysical(artifact.path, `a SQL script${artifact.script ? ` (${artifact.script.writer})` : ''}`, artifact.script?.dbType ?? request.target.dbType);
	}
	const {manifest} = await openArchiveIn(artifact.target, artifact.name);
	const engine = findEngine(manifest.engine, manifest.dbType);
	if (engine.restoreTarget !== 'data-directory') {
		throw notPhysical(artifact.path, `a logical backup (${engine.name}: the definitions and rows of ${manifest.databases.map((database) => database.name).join(', ') || 'its databases'})`, manifest.dbType);
	}
	const major = Number(/^(\d+)/.exec(manifest.server.version)?.[1] ?? 0);
	// --verify-start: a server that can start on the files, found before anything is written
	let mysqld: MysqldChoice | undefined;
	if (request.verifyStart && manifest.dbType === 'postgres') checkVerifyStartPossible(major);
	if (request.verifyStart && manifest.dbType === 'mysql') mysqld = await chooseMysqld(manifest, (line) => bus.log('info', line));
	// --wal: the store and the target are checked before anything is written
	const recovery = request.walRecovery ? await planWalRecovery(manifest, artifact.path, {...request.walRecovery, owner: request.dataDirectoryOwner}, request.storage ?? {}, request.dataDirectory) : undefined;
	const dataDirectory = path.resolve(request.dataDirectory);
	bus.stage('restore', `${engine.name}: ${artifact.path} → data directory ${dataDirectory}`);
	const {target, verifyStart: wanted, walRecovery: _walRecovery, ...options} = request;
	const result = await engine.restore({...options, settings: target, artifact: artifact.path, dataDirectory}, bus);
	if (recovery && result.dataDirectory) {
		bus.stage('recovery', `point-in-time recovery from ${recovery.store} to ${recovery.target}`);
		result.dataDirectory.notes.push(...(await writeWalRecovery(result.dataDirectory.path, recovery, request.storage ?? {}, bus)));
	}
	if (wanted && result.dataDirectory && mysqld) {
		result.dataDirectory.verified = await verifyMysqlStart(result.dataDirectory, manifest, mysqld, bus);
	} else if (wanted && result.dataDirectory) {
		const coordinates = manifest.coordinates as {endLsn?: unknown; superuser?: unknown};
		result.dataDirectory.verified = await verifyStart(
			result.dataDirectory,
			{
				...(typeof coordinates.endLsn === 'string' ? {endLsn: coordinates.endLsn} : {}),
				...(typeof coordinates.superuser === 'string' ? {superuser: coordinates.superuser} : {}),
				...(recovery ? {archiveRecovery: true} : {}),
			},
			bus,
		);
	}
	return {...result, engine: engine.name};
}
