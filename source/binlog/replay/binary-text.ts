/**
 * The replay connection speaks the `binary` character set, so the driver sends every character of a
 * query string as the one byte of its code (latin1): statement bytes from the binlog go out exactly as
 * the server logged them, whatever their character set. Text of our own (names) is turned into its
 * UTF-8 bytes the same way.
 */

/** UTF-8 text as a binary string: one character per byte of its UTF-8 encoding. */
export function binaryText(text: string): string {
	return Buffer.from(text, 'utf8').toString('latin1');
}

/** Raw bytes as a binary string. */
export function bytesAsText(bytes: Buffer): string {
	return bytes.toString('latin1');
}

/** A backquoted identifier (quote it after binaryText: backquotes are ASCII either way). */
export function quoteName(name: string): string {
	return `\`${name.replace(/`/g, '``')}\``;
}
