/** `name` quoted for MySQL/MariaDB: wrapped in backticks, inner backticks doubled. */
export function quoteIdentifier(name: string): string {
	return '`' + name.replaceAll('`', '``') + '`';
}

/** `db`.`table` */
export function qualifiedName(database: string, name: string): string {
	return `${quoteIdentifier(database)}.${quoteIdentifier(name)}`;
}
