/**
 * The splitter decides only on ASCII bytes and node-postgres speaks UTF-8, which is right for UTF-8 scripts
 * alone: in encodings such as SJIS or BIG5 a second byte can be `\` or `'`, and a LATIN1 script sent as
 * UTF-8 would be converted wrongly without a word. A script that switches to another encoding is refused.
 */
export function isUtf8EncodingName(name: string): boolean {
	return /^(?:utf-?8|unicode)$/i.test(name);
}

export const otherEncodingHint = 'Dump the database again with pg_dump -E UTF8 (the server converts to UTF-8), then restore that script.';
