/**
 * What the first lines of a plain SQL script say about the backup: its databases, when it was taken and
 * where it is consistent. Ours say all three; mysqldump / mariadb-dump name a database (`-- Host: …
 * Database: shop`) and, with --master-data / --gtid, coordinates; pg_dump says none of it.
 */
import {startFromScriptHead} from '../../binlog/replay/start-point.ts';
import type {DbType} from '../../core/detect/types.ts';
import {databasesOfScriptHead} from '../../engines/mysql-logical/index.ts';
import {logicalEngineFor} from '../../engines/registry.ts';
import type {BackupBinlogPoint} from './types.ts';

export interface ScriptFacts {
	databases?: string[];
	startedAt?: string;
	/** in the engine's words */
	coordinates?: string;
	binlog?: BackupBinlogPoint;
}

const OUR_MYSQL_START = /^-- server .*, started (\d{4}-\d{2}-\d{2}T\S+)$/m;
const OUR_POSTGRES_DATABASE = /^-- PostgreSQL database (.*), dumped by dbbackup$/gm;
const OUR_POSTGRES_POINT = /^-- consistent at (.*) \((\d{4}-\d{2}-\d{2}T\S+)\)$/m;
const MYSQLDUMP_DATABASE = /^-- Host: .*\bDatabase: (.+)$/m;

/** Our comment lines write `%`, `\` and control characters as %XX of their UTF-8 bytes (engines/sql-script/comment.ts). */
function commentValue(text: string): string {
	if (!text.includes('%')) return text;
	const bytes: number[] = [];
	for (let index = 0; index < text.length; index++) {
		const escaped = /^%([0-9A-F]{2})/.exec(text.slice(index, index + 3));
		if (escaped) {
			bytes.push(Number.parseInt(escaped[1]!, 16));
			index += 2;
		} else {
			bytes.push(...Buffer.from(text[index]!, 'utf8'));
		}
	}
	return Buffer.from(bytes).toString('utf8');
}

function isTime(text: string | undefined): text is string {
	return text !== undefined && !Number.isNaN(Date.parse(text));
}

function mysqlFacts(head: string): ScriptFacts {
	const facts: ScriptFacts = {};
	const mysqldumpDatabase = MYSQLDUMP_DATABASE.exec(head)?.[1]?.trim();
	const databases = databasesOfScriptHead(head) ?? (mysqldumpDatabase ? [mysqldumpDatabase] : undefined);
	if (databases) facts.databases = databases;
	const started = OUR_MYSQL_START.exec(head)?.[1];
	if (isTime(started)) facts.startedAt = started;
	const start = startFromScriptHead(head);
	if (start) {
		facts.binlog = {file: start.file, position: start.position, gtid: start.gtid};
		facts.coordinates = logicalEngineFor('mysql').describeCoordinates({binlogFile: start.file, binlogPosition: start.position, gtid: start.gtid});
	}
	return facts;
}

function postgresFacts(head: string): ScriptFacts {
	const facts: ScriptFacts = {};
	const databases = [...head.matchAll(OUR_POSTGRES_DATABASE)].map((match) => commentValue(match[1]!));
	if (databases.length > 0) facts.databases = [...new Set(databases)];
	const point = OUR_POSTGRES_POINT.exec(head);
	if (point) {
		facts.coordinates = commentValue(point[1]!);
		if (isTime(point[2])) facts.startedAt = point[2];
	}
	return facts;
}

/** The facts the head of a script of `dbType` gives; nothing for a script whose header names no dump tool. */
export function scriptFacts(head: string, dbType: DbType | undefined): ScriptFacts {
	if (dbType === 'mysql') return mysqlFacts(head);
	if (dbType === 'postgres') return postgresFacts(head);
	return {};
}
