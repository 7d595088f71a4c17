/** QUERY (2) and the events that set a statement's context before it: INTVAR (5), RAND (13), USER_VAR (14). */
import {BodyReader} from './body-reader.ts';
import type {IntvarEvent, QueryEvent, RandEvent, UserVarEvent} from './decoded.ts';
import type {EventHeader} from './header.ts';
import {readQueryStatus} from './query-status.ts';

/** thread id 4, execution seconds 4, schema length 1, error code 2 (and, from binlog v4, status length 2) */
const QUERY_MINIMAL_POST_HEADER = 11;

/**
 * Post-header (see above; its length comes from the format description), the status variables, the
 * default schema and a NUL, then the statement to the end of the body.
 */
export function decodeQuery(header: EventHeader, body: Buffer, postHeaderLength: number): QueryEvent {
	const reader = new BodyReader(body, header);
	const threadId = reader.u32('thread id');
	const executionSeconds = reader.u32('execution time');
	const schemaLength = reader.u8('schema name length');
	const errorCode = reader.u16('error code');
	const statusLength = postHeaderLength > QUERY_MINIMAL_POST_HEADER ? reader.u16('status variables length') : 0;
	if (postHeaderLength > reader.pos) reader.skip(postHeaderLength - reader.pos, 'post-header');
	const status = readQueryStatus(reader, statusLength);
	const schema = reader.string(schemaLength, 'schema name');
	reader.skip(1, 'NUL after the schema name');
	const sqlBytes = reader.rest();
	return {kind: 'query', header, threadId, executionSeconds, errorCode, schema, sql: sqlBytes.toString('utf8'), sqlBytes, status};
}

/** subtype 1 (LAST_INSERT_ID = 1, INSERT_ID = 2), value 8 */
export function decodeIntvar(header: EventHeader, body: Buffer): IntvarEvent {
	const reader = new BodyReader(body, header);
	return {kind: 'intvar', header, subtype: reader.u8('intvar type'), value: reader.u64('intvar value')};
}

export function decodeRand(header: EventHeader, body: Buffer): RandEvent {
	const reader = new BodyReader(body, header);
	return {kind: 'rand', header, seed1: reader.u64('seed 1'), seed2: reader.u64('seed 2')};
}

/** name length 4, name, is-null 1; unless NULL: type 1, charset 4, value length 4, value, flags 1 (5.6+). */
export function decodeUserVar(header: EventHeader, body: Buffer): UserVarEvent {
	const reader = new BodyReader(body, header);
	const name = reader.string(reader.u32('name length'), 'variable name');
	const isNull = reader.u8('is-null flag') !== 0;
	const event: UserVarEvent = {kind: 'user-var', header, name, isNull, raw: body};
	if (isNull) return event;
	event.valueType = reader.u8('value type');
	event.charset = reader.u32('charset');
	event.value = reader.bytes(reader.u32('value length'), 'value');
	if (reader.remaining > 0) event.valueFlags = reader.u8('flags');
	return event;
}
