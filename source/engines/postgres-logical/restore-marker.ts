/**
 * A restore that is killed halfway leaves a database that looks like any other. While a restore runs,
 * its target's comment says so (when it started, from which artifact); the restore puts the real
 * comment back as its last step. A database whose comment still says so is one whose restore did not
 * finish: the next restore says that, and `\l+` in psql shows it. A comment, because the database's
 * owner may set it (a database setting needs a superuser), and the restored schema stays the source's.
 */
import type pg from 'pg';
import {quoteIdent, quoteLiteral} from './identifiers.ts';

const MARK = 'dbbackup: a restore into this database began and has not finished ';

export interface UnfinishedRestore {
	startedAt: string;
	artifact: string;
}

async function commentOf(client: pg.Client, database: string): Promise<string | null> {
	const {rows} = await client.query<{comment: string | null}>("SELECT pg_catalog.shobj_description(oid, 'pg_database') AS comment FROM pg_catalog.pg_database WHERE datname = $1", [database]);
	return rows[0]?.comment ?? null;
}

async function setComment(client: pg.Client, database: string, comment: string | null): Promise<void> {
	await client.query(`COMMENT ON DATABASE ${quoteIdent(database)} IS ${comment === null ? 'NULL' : quoteLiteral(comment)}`);
}

/** Marks `database` as being restored; returns the comment it had, to put back when the restore finishes. */
export async function markRestoreStarted(client: pg.Client, database: string, artifact: string): Promise<string | null> {
	const previous = await commentOf(client, database);
	const kept = previous?.startsWith(MARK) ? null : previous;
	await setComment(client, database, `${MARK}${JSON.stringify({startedAt: new Date().toISOString(), artifact})}`);
	return kept;
}

/** Puts `comment` back, unless what was restored set a comment of its own meanwhile. */
export async function markRestoreFinished(client: pg.Client, database: string, comment: string | null): Promise<void> {
	if ((await commentOf(client, database))?.startsWith(MARK)) await setComment(client, database, comment);
}

/** The mark a restore left on `database`, if one did not finish. */
export async function unfinishedRestore(client: pg.Client, database: string): Promise<UnfinishedRestore | undefined> {
	const comment = await commentOf(client, database);
	if (!comment?.startsWith(MARK)) return undefined;
	try {
		const parsed = JSON.parse(comment.slice(MARK.length)) as Partial<UnfinishedRestore>;
		return {startedAt: String(parsed.startedAt ?? 'an unknown time'), artifact: String(parsed.artifact ?? 'an unknown artifact')};
	} catch {
		return {startedAt: 'an unknown time', artifact: 'an unknown artifact'};
	}
}

export function describeUnfinished(database: string, unfinished: UnfinishedRestore): string {
	return `database ${JSON.stringify(database)} holds a restore that did not finish (started ${unfinished.startedAt} from ${unfinished.artifact})`;
}
