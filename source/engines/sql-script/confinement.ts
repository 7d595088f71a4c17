/**
 * What a restore of a plain SQL script says before it runs one: unlike our archives, whose members are
 * checked against what each may hold, a script is a program of any statements, and only the restoring
 * account's own rights bound what it can do.
 */
export const PLAIN_SCRIPT_WARNING =
	"a plain SQL script runs as written, with the rights of the restoring account: with --target-db, dbbackup points the script's own database at the target and refuses the statements it sees naming another, but it cannot confine every statement. Restore a script you did not make as an account whose rights are limited to the target database.";
