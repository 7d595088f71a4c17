/**
 * Text for the `-- ` comments our scripts carry (object names, server versions, coordinates), made so
 * that nothing in it can end the comment. Names come from whoever created the object: a newline, CR or
 * a Unicode line break in one would otherwise end the comment and turn the rest of the name into a
 * statement (or a client command such as `\!`) when the script is restored (mysqldump's CVE-2016-5483).
 * Every control character, line or paragraph separator, backslash and `%` is written as `%XX` (its
 * UTF-8 bytes), so the comment stays one line, names no client command and still reads as the name.
 */
const UNSAFE_IN_COMMENT = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\\%]/gu;

export function commentText(text: string): string {
	return text.replace(UNSAFE_IN_COMMENT, (character) =>
		[...Buffer.from(character, 'utf8')].map((byte) => `%${byte.toString(16).toUpperCase().padStart(2, '0')}`).join(''),
	);
}

/** One `-- ` comment line (no line break): the same in MySQL/MariaDB and PostgreSQL scripts. */
export function lineComment(text: string): string {
	return `-- ${commentText(text)}`;
}
