/**
 * The CLONE statements, their string literals escaped by hand: CLONE is not a statement the server
 * prepares, so the donor's password has to be written into the text. Escaped for the session's
 * sql_mode: with NO_BACKSLASH_ESCAPES a backslash is an ordinary character.
 */
import type {CloneDonor} from '../types.ts';

export function sqlString(text: string, noBackslashEscapes: boolean): string {
	if (noBackslashEscapes) return `'${text.replace(/'/g, "''")}'`;
	const escaped = text.replace(/[\\'\0\n\r\x1a]/g, (char) => {
		switch (char) {
			case '\0':
				return '\\0';
			case '\n':
				return '\\n';
			case '\r':
				return '\\r';
			case '\x1a':
				return '\\Z';
			default:
				return `\\${char}`;
		}
	});
	return `'${escaped}'`;
}

export function cloneLocalStatement(directory: string, noBackslashEscapes: boolean): string {
	return `CLONE LOCAL DATA DIRECTORY = ${sqlString(directory, noBackslashEscapes)}`;
}

/**
 * Always with DATA DIRECTORY: without it the recipient's own data is replaced by the donor's and the
 * recipient restarts.
 */
export function cloneRemoteStatement(donor: CloneDonor, directory: string, noBackslashEscapes: boolean): string {
	const quote = (text: string) => sqlString(text, noBackslashEscapes);
	return `CLONE INSTANCE FROM ${quote(donor.user)}@${quote(donor.host)}:${donor.port} IDENTIFIED BY ${quote(donor.password ?? '')} DATA DIRECTORY = ${quote(directory)}`;
}

/** `host:port` as clone_valid_donor_list and clone_status.SOURCE write a donor. */
export function donorAddress(donor: Pick<CloneDonor, 'host' | 'port'>): string {
	return `${donor.host}:${donor.port}`;
}
