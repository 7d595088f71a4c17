/**
 * Where a password comes from. Passwords are never flags or config keys (they would land in shell
 * history, process lists and committed files); every refusal says this same sentence.
 */
export const PASSWORD_SOURCES =
	'passwords come from MYSQL_PWD or ~/.my.cnf [client] (MySQL), PGPASSWORD or ~/.pgpass (PostgreSQL), or no password at all with socket / peer authentication';

/** Key names that would hold a password: refused wherever they appear. */
export function isPasswordKey(name: string): boolean {
	return /^(password|passwd|pwd|pass)$|_(password|passwd|pwd)$/i.test(name.replace(/-/g, '_'));
}
