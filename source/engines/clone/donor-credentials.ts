/**
 * The donor of a remote clone: host and port from --clone-donor-host/--clone-donor-port or
 * backup.clone.remote.*, the user from backup.clone.remote.donor_user, ~/.my.cnf [dbbackup-donor] or the
 * recipient's user, and the password — never a flag or config key — from DBBACKUP_DONOR_PWD or
 * ~/.my.cnf [dbbackup-donor] `password`. The donor's password is a different secret from the
 * recipient's (MYSQL_PWD / [client]), so it has its own variable and option group.
 */
import path from 'node:path';
import type {Config} from '../../core/config/types.ts';
import {readMysqlOptions} from '../../core/credentials/mycnf.ts';
import {UsageError} from '../../core/errors.ts';
import {registerSecret} from '../../core/redact.ts';
import type {CloneBackupOptions, CloneDonor} from '../types.ts';

export const DONOR_PASSWORD_ENV = 'DBBACKUP_DONOR_PWD';
export const DONOR_OPTION_GROUP = 'dbbackup-donor';

const DONOR_FLAGS = '--clone-remote --clone-donor-host HOST --clone-donor-port PORT';

export interface DonorSources {
	env: NodeJS.ProcessEnv;
	home: string;
	/** the user the recipient is connected as: the donor user when nothing names one */
	recipientUser: string;
}

/** The clone engine's options from the merged configuration (flags included), the donor's password from its own sources. */
export function cloneOptionsFrom(clone: Config['backup']['clone'], sources: DonorSources): CloneBackupOptions {
	const options: CloneBackupOptions = {};
	if (clone.data_dir !== undefined) {
		if (!path.isAbsolute(clone.data_dir)) {
			throw new UsageError({
				code: 'CLONE_DIR_UNUSABLE',
				message: `backup.clone.data_dir "${clone.data_dir}" is not an absolute path`,
				hint: 'The server writes the clone there: give an absolute directory on the server\'s host (e.g. /var/lib/mysql-clones).',
			});
		}
		options.parentDir = clone.data_dir;
	}
	if (clone.remote.enabled) options.remote = resolveDonor(clone.remote, sources);
	return options;
}

function resolveDonor(remote: Config['backup']['clone']['remote'], sources: DonorSources): CloneDonor {
	const missing = [remote.donor_host === undefined ? '--clone-donor-host (backup.clone.remote.donor_host)' : undefined, remote.donor_port === undefined ? '--clone-donor-port (backup.clone.remote.donor_port)' : undefined].filter(Boolean);
	if (missing.length > 0 || remote.donor_host === undefined || remote.donor_port === undefined) {
		throw new UsageError({
			code: 'CLONE_DONOR_MISSING',
			message: `a remote clone needs its donor: ${missing.join(' and ')} ${missing.length === 1 ? 'is' : 'are'} missing`,
			hint: `For example ${DONOR_FLAGS.replace('HOST', 'db1.internal').replace('PORT', '3306')}.`,
		});
	}
	const host = remote.donor_host.trim();
	// the clone plugin takes no IPv6 address, and the statement's 'user'@'host':port has no room for one
	if (host === '' || host.includes(':') || /\s/.test(host)) {
		throw new UsageError({
			code: 'CLONE_DONOR_INVALID',
			message: `--clone-donor-host "${remote.donor_host}" cannot be a clone donor: give a host name or an IPv4 address (the clone plugin takes no IPv6 address)`,
			hint: 'For an IPv6-only donor, use a host name that resolves to it.',
		});
	}
	const file = path.join(sources.home, '.my.cnf');
	const read = readMysqlOptions(file, {groups: [DONOR_OPTION_GROUP], show: () => '~/.my.cnf'});
	const optionUser = read.options.get('user');
	const optionPassword = read.options.get('password');
	const user = remote.donor_user ?? (typeof optionUser?.value === 'string' ? optionUser.value : undefined) ?? sources.recipientUser;
	const donor: CloneDonor = {host, port: remote.donor_port, user};
	const fromEnv = sources.env[DONOR_PASSWORD_ENV];
	if (fromEnv !== undefined && fromEnv !== '') {
		donor.password = fromEnv;
		donor.passwordSource = DONOR_PASSWORD_ENV;
	} else if (typeof optionPassword?.value === 'string') {
		donor.password = optionPassword.value;
		donor.passwordSource = `~/.my.cnf [${DONOR_OPTION_GROUP}] (line ${optionPassword.line})`;
	}
	registerSecret(donor.password);
	return donor;
}
