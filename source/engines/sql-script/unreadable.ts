import {DbBackupError, IntegrityError} from '../../core/errors.ts';

/** For a plain script's restore: a failure that is not ours nor the server's is the file itself (cut short, damaged compression). */
export function scriptUnreadable(path: string): (error: unknown) => never {
	return (error) => {
		if (error instanceof DbBackupError) throw error;
		throw new IntegrityError({
			code: 'SCRIPT_UNREADABLE',
			message: `${path} could not be read to the end: ${(error as Error).message}`,
			hint: 'The file is damaged or cut short; what was applied before this point stays applied.',
			cause: error,
		});
	};
}
