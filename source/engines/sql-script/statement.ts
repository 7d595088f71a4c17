/** What the SQL script splitters of both engines yield: one statement with where it was in the script. */

export type ScriptChunk = Buffer | Uint8Array | string;

const STATEMENT_PREFIX_LENGTH = 120;

/** One statement of a script, without its delimiter, leading comments or trailing whitespace. */
export class ScriptStatement {
	private text?: string;

	constructor(
		/** the statement's exact bytes */
		readonly bytes: Buffer,
		/** 1-based line of the statement's first byte */
		readonly line: number,
		/** offset of the statement's first byte in the script */
		readonly byteOffset: number,
		/** offset just past the statement's delimiter: how much of the script has been consumed */
		readonly endOffset: number,
	) {}

	get sql(): string {
		this.text ??= this.bytes.toString('utf8');
		return this.text;
	}
}

/** The statement's first characters on one line, for messages. */
export function statementPrefix(sql: string): string {
	const oneLine = sql.replace(/\s+/g, ' ').trim();
	return oneLine.length > STATEMENT_PREFIX_LENGTH ? `${oneLine.slice(0, STATEMENT_PREFIX_LENGTH)}…` : oneLine;
}
