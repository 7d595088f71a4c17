import {randomInt} from 'node:crypto';
import type {Readable} from 'node:stream';
import {lineComment} from '../sql-script/comment.ts';
import {targetFor, type StorageOptions} from '../../storage/target/index.ts';
import {TOC_SESSION_SETTINGS} from './ddl/session.ts';
import type {DdlEntry} from './ddl/types.ts';
import {qualifiedName} from './identifiers.ts';
import type {DumpedDatabase, PostgresDumpOutput} from './output.ts';
import {COPY_SESSION_STATEMENTS, describePostgresCoordinates} from './snapshot.ts';

/** Large-object bytes per lo_put statement in a plain script. */
const LARGE_OBJECT_PIECE = 256 * 1024;

function sectionText(entries: DdlEntry[]): string {
	return entries.map((entry) => `\n${lineComment(`${entry.kind} ${entry.schema ? `${entry.schema}.` : ''}${entry.name}`)}\n${entry.sql.endsWith('\n') ? entry.sql : `${entry.sql}\n`}`).join('');
}

const KEY_CHARACTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/**
 * A fresh key for `\restrict` (as pg_dump 15.14+ writes): between `\restrict KEY` and `\unrestrict
 * KEY`, psql refuses every meta-command, so text that slipped out of a statement cannot run `\!` (a
 * shell) or `\connect`. The key is random per script, so the script's content cannot guess it.
 */
export function restrictKey(): string {
	return Array.from({length: 64}, () => KEY_CHARACTERS[randomInt(KEY_CHARACTERS.length)]).join('');
}

/**
 * One plain script that stock psql runs into an existing empty database (`psql -d NEW -f FILE`), like
 * `pg_dump -Fp`: session settings, pre-data definitions, each table's rows as a COPY … FROM stdin block,
 * sequence values, large objects, then post-data. Written in order, so the dump runs on one connection.
 */
export async function createPostgresScriptOutput(path: string, storage?: StorageOptions): Promise<PostgresDumpOutput> {
	const {target, name} = await targetFor(path, storage);
	const script = await target.openPartial(name);
	let bytes = 0;
	const key = restrictKey();
	let restricted = false;
	const write = async (text: string | Buffer) => {
		const buffer = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
		await script.write(buffer);
		bytes += buffer.length;
	};
	const section = (database: DumpedDatabase, name: DdlEntry['section']) => database.toc.entries.filter((entry) => entry.section === name);

	return {
		sequential: true,

		async beginDatabase(database) {
			if (!restricted) {
				await write(`\\restrict ${key}\n\n`);
				restricted = true;
			}
			await write(
				[
					'--',
					lineComment(`PostgreSQL database ${database.name}, dumped by dbbackup`),
					lineComment(`consistent at ${describePostgresCoordinates({...database.coordinates})} (${database.coordinates.at})`),
					'-- restore into an empty database: psql -v ON_ERROR_STOP=1 -d NEW_DATABASE -f THIS_FILE',
					'--',
					'',
					...[...COPY_SESSION_STATEMENTS.filter((statement) => !/row_security|_timeout/.test(statement)), ...TOC_SESSION_SETTINGS].map((statement) => `${statement.replace(/;\s*$/, '')};`),
					'',
				].join('\n'),
			);
			await write(sectionText(section(database, 'pre-data')));
		},

		async writeChunk(_database, table, chunk, chunks, rows: Readable) {
			if (chunk.index === 0) await write(`\n${lineComment(`data of ${table.schema}.${table.name}`)}\nCOPY ${qualifiedName(table.schema, table.name)}${table.columns.length > 0 ? ` (${table.columns.join(', ')})` : ''} FROM stdin;\n`);
			for await (const block of rows) await write(block as Buffer);
			if (chunk.index === chunks - 1) await write('\\.\n');
		},

		async writeLargeObject(_database, oid, content) {
			let offset = 0;
			let pending: Buffer = Buffer.alloc(0);
			const flush = async (piece: Buffer) => {
				await write(`SELECT pg_catalog.lo_put('${oid}', ${offset}, '\\x${piece.toString('hex')}');\n`);
				offset += piece.length;
			};
			for await (const block of content) {
				pending = pending.length === 0 ? block : Buffer.concat([pending, block]);
				while (pending.length >= LARGE_OBJECT_PIECE) {
					await flush(pending.subarray(0, LARGE_OBJECT_PIECE));
					pending = pending.subarray(LARGE_OBJECT_PIECE);
				}
			}
			if (pending.length > 0) await flush(pending);
		},

		async endDatabase(database) {
			await write(sectionText(section(database, 'data')));
			await write(sectionText(section(database, 'post-data')));
		},

		async finish() {
			await write('\n-- dbbackup: end of dump\n');
			if (restricted) await write(`\n\\unrestrict ${key}\n`);
			await script.commit();
			await script.release();
			return bytes;
		},

		async abort() {
			await script.abort();
		},
	};
}
