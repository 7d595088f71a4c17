/** PostgreSQL identifiers and literals for the SQL the engine writes. */

/** Always quoted: correct for reserved words and any case; catalog queries use the server's quote_ident where the spelling shows. */
export function quoteIdent(name: string): string {
	return `"${name.replaceAll('"', '""')}"`;
}

/** `"schema"."name"` */
export function qualifiedName(schema: string, name: string): string {
	return `${quoteIdent(schema)}.${quoteIdent(name)}`;
}

/** A standard-conforming string literal; E'' form when it holds backslashes so any server setting reads it alike. */
export function quoteLiteral(value: string): string {
	const escaped = value.replaceAll("'", "''");
	return value.includes('\\') ? `E'${escaped.replaceAll('\\', '\\\\')}'` : `'${escaped}'`;
}
