/**
 * The text of a quoted string or identifier starting at `open` (the index of its opening quote): a
 * doubled quote stands for one, and with `backslashEscapes` a backslash takes the next character as it
 * is. Undefined when the quote is not closed before the end of `sql`.
 */
export function readQuoted(sql: string, open: number, quote: string, backslashEscapes: boolean): {text: string; end: number} | undefined {
	let text = '';
	let i = open + 1;
	while (i < sql.length) {
		const char = sql[i]!;
		if (char === quote) {
			if (sql[i + 1] === quote) {
				text += quote;
				i += 2;
				continue;
			}
			return {text, end: i + 1};
		}
		if (backslashEscapes && char === '\\' && i + 1 < sql.length) {
			text += sql[i + 1];
			i += 2;
			continue;
		}
		text += char;
		i += 1;
	}
	return undefined;
}
