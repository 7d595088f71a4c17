import {badFlagValue} from '../core/errors.ts';

/** `mariadb-bin.000042:1234`, as --start-position and --until-position take it. */
export function parseFilePosition(text: string, flag: string): {file: string; position: number} {
	const match = /^(.+\.\d+):(\d+)$/.exec(text.trim());
	const position = match ? Number(match[2]) : Number.NaN;
	if (!match || !Number.isSafeInteger(position) || position < 4) {
		throw badFlagValue(flag, text, 'use FILE:POSITION, e.g. mariadb-bin.000042:1234 (position 4 or more)');
	}
	return {file: match[1]!, position};
}
