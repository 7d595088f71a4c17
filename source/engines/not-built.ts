import {EngineUnavailableError} from '../core/errors.ts';
import type {BackupEngine} from './types.ts';

/**
 * Engines whose driver is not part of this version yet: they run their real availability checks, then
 * report this as the last reason, and refuse backup/restore with exit 4.
 */
export function notBuiltReason(engine: string, issue: string): string {
	return `the ${engine} engine's driver is not built in this version of dbbackup (planned: ${issue})`;
}

export function refuseNotBuilt(engine: BackupEngine['name'], issue: string): never {
	throw new EngineUnavailableError({
		code: 'ENGINE_NOT_BUILT',
		message: `${notBuiltReason(engine, issue)}.`,
		hint: 'Run `dbbackup engine list` to see which engines can run against this server.',
	});
}
