import {IntegrityError} from '../../core/errors.ts';
import type {DatabaseToc} from './ddl/types.ts';
import type {PostgresCoordinates} from './snapshot.ts';

/** What `schema/<db>.toc.json` holds: the definitions plus what the restore needs to read the rows back. */
export interface StoredToc {
	/** the source database's encoding: the COPY text is in it */
	encoding: string;
	toc: DatabaseToc;
	largeObjects: number[];
	/** oid → the archive member holding its bytes */
	largeObjectMembers: Record<string, string>;
	coordinates: PostgresCoordinates;
}

/** Parses a toc member, refusing one that is not what this version writes (the member's checksum has passed already). */
export function parseStoredToc(text: string, member: string): StoredToc {
	let value: unknown;
	try {
		value = JSON.parse(text);
	} catch (error) {
		throw new IntegrityError({code: 'TOC_UNREADABLE', message: `${member} is not valid JSON: ${(error as Error).message}`, hint: 'The archive was not written by this tool or is damaged.'});
	}
	const stored = value as Partial<StoredToc>;
	const problems: string[] = [];
	if (typeof stored?.encoding !== 'string') problems.push('encoding');
	if (!Array.isArray(stored?.toc?.entries)) problems.push('toc.entries');
	if (!Array.isArray(stored?.toc?.tables)) problems.push('toc.tables');
	if (typeof stored?.toc?.database?.createOptions !== 'string') problems.push('toc.database.createOptions');
	if (!Array.isArray(stored?.largeObjects)) problems.push('largeObjects');
	if (typeof stored?.largeObjectMembers !== 'object' || stored.largeObjectMembers === null) problems.push('largeObjectMembers');
	else if (Array.isArray(stored.largeObjects) && stored.largeObjects.some((oid) => typeof stored.largeObjectMembers?.[String(oid)] !== 'string')) problems.push('largeObjectMembers (an oid without its member)');
	if (problems.length > 0) {
		throw new IntegrityError({code: 'TOC_INVALID', message: `${member} lacks or has a wrong ${problems.join(', ')}`, hint: 'The archive was not written by this tool or is damaged.'});
	}
	return stored as StoredToc;
}
