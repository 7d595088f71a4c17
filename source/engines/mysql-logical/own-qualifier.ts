import {isName, isWord, tokenize, type Token} from './sql-script/tokens.ts';

const OBJECT_WORDS = ['TRIGGER', 'VIEW', 'PROCEDURE', 'FUNCTION', 'EVENT'];

/**
 * A CREATE statement with the qualifier of its own database taken off the object's name (and a trigger's
 * table): `CREATE TRIGGER \`shop\`.\`tr\` … ON \`shop\`.\`t\`` → `CREATE TRIGGER \`tr\` … ON \`t\``. SHOW CREATE
 * TRIGGER gives the statement as the user wrote it, qualifiers included; the archive holds objects by
 * unqualified name (restored into any database, checked by member-rules.ts). Another database's
 * qualifier is left for the restore to refuse.
 */
export function withoutOwnQualifier(statement: string, database: string): string {
	const tokens = tokenize(statement);
	if (typeof tokens === 'string' || !isWord(tokens[0], 'CREATE')) return statement;
	const kindAt = tokens.findIndex((token) => isWord(token, ...OBJECT_WORDS));
	if (kindAt === -1) return statement;
	const cuts: Array<{start: number; end: number}> = [];
	const own = qualifierAt(tokens, kindAt + 1, database);
	if (own) cuts.push(own);
	if (isWord(tokens[kindAt], 'TRIGGER')) {
		const on = tokens.findIndex((token, index) => index > kindAt && isWord(token, 'ON'));
		const table = on === -1 ? undefined : qualifierAt(tokens, on + 1, database);
		if (table) cuts.push(table);
	}
	let result = statement;
	for (const cut of cuts.reverse()) result = result.slice(0, cut.start) + result.slice(cut.end);
	return result;
}

/** The span `qualifier.` at `index` when the qualifier is `database`. */
function qualifierAt(tokens: Token[], index: number, database: string): {start: number; end: number} | undefined {
	const qualifier = tokens[index];
	const dot = tokens[index + 1];
	const name = tokens[index + 2];
	if (!isName(qualifier) || dot?.kind !== 'punctuation' || dot.text !== '.' || !isName(name)) return undefined;
	return qualifier.text === database ? {start: qualifier.start, end: name.start} : undefined;
}
