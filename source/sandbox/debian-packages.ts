import {accessSync, constants, existsSync, unlinkSync, writeFileSync} from 'node:fs';
import {delimiter, join} from 'node:path';
import {packagesMissing, type WorkError} from '../core/errors.ts';
import {runCommand} from './run-command.ts';

/** A binary the sandbox runs, and the Debian package that ships it. */
export interface PackageNeed {
	binary: string;
	pkg: string;
}

export const MARIADB_NEEDS: PackageNeed[] = [
	{binary: 'mariadbd', pkg: 'mariadb-server'},
	{binary: 'mariadb-install-db', pkg: 'mariadb-server'},
	{binary: 'mariadb-dump', pkg: 'mariadb-client'},
	{binary: 'mariadb-binlog', pkg: 'mariadb-client'},
];

/** A btrfs filesystem on a loop device, for the snapshot engine's tests (mkfs.btrfs, btrfs) and for its backups (btrfs). */
export const BTRFS_NEEDS: PackageNeed[] = [
	{binary: 'mkfs.btrfs', pkg: 'btrfs-progs'},
	{binary: 'btrfs', pkg: 'btrfs-progs'},
	{binary: 'losetup', pkg: 'mount'},
];

export const POSTGRES_NEEDS: PackageNeed[] = [
	{binary: 'initdb', pkg: 'postgresql-15'},
	{binary: 'pg_ctl', pkg: 'postgresql-15'},
	{binary: 'postgres', pkg: 'postgresql-15'},
	{binary: 'pg_dump', pkg: 'postgresql-client-15'},
];

/** Where the servers' binaries live on Debian besides PATH (a non-root PATH often lacks the sbin dirs). */
const EXTRA_BINARY_DIRS = [
	'/usr/local/sbin',
	'/usr/local/bin',
	'/usr/sbin',
	'/usr/bin',
	'/sbin',
	'/bin',
	'/usr/lib/postgresql/15/bin',
];

/** Full path of an executable found on PATH or in the usual Debian places, or undefined. */
export function locateBinary(binary: string): string | undefined {
	const dirs = [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), ...EXTRA_BINARY_DIRS];
	for (const dir of dirs) {
		const candidate = join(dir, binary);
		try {
			accessSync(candidate, constants.X_OK);
			return candidate;
		} catch {
			// not here
		}
	}
	return undefined;
}

export function isRoot(): boolean {
	return typeof process.getuid === 'function' && process.getuid() === 0;
}

export interface DebianPackageDeps {
	which: (binary: string) => string | undefined;
	isRoot: () => boolean;
	runCommand: (command: string, args: string[], log: (line: string) => void) => Promise<void>;
	/**
	 * Keeps package scripts from starting system services (MariaDB on 3306, the "15 main" PostgreSQL
	 * cluster on 5432) while installing: we only want the binaries and start our own servers.
	 * Returns the function that undoes it.
	 */
	holdServiceStarts: (log: (line: string) => void) => () => void;
}

/** The needs whose binary is not found. */
export function unmetNeeds(needs: PackageNeed[], which: DebianPackageDeps['which']): PackageNeed[] {
	return needs.filter((need) => which(need.binary) === undefined);
}

/** Each package once, in the order first needed. */
export function packagesOf(needs: PackageNeed[]): string[] {
	return [...new Set(needs.map((need) => need.pkg))];
}

/** The packages (each once, in the order first needed) whose binaries are not found. */
export function missingPackages(needs: PackageNeed[], which: DebianPackageDeps['which']): string[] {
	return packagesOf(unmetNeeds(needs, which));
}

export function installCommandLine(packages: string[]): string {
	return `sudo apt-get update && sudo apt-get install -y --no-install-recommends ${packages.join(' ')}`;
}

/** MISSING_PACKAGES error for these unmet needs, with the command that installs their packages. */
export function missingPackagesError(unmet: PackageNeed[]): WorkError {
	const packages = packagesOf(unmet);
	const command = installCommandLine(packages);
	return packagesMissing(`Missing ${unmet.map((need) => need.binary).join(', ')} (Debian packages ${packages.join(', ')}). Install them with:\n  ${command}`, `Run: ${command}`);
}

/**
 * Makes sure every needed binary is there. As root, installs the missing packages with apt-get; as any
 * other user, throws a MISSING_PACKAGES WorkError whose message holds the command to run.
 */
export async function ensureDebianPackages(
	needs: PackageNeed[],
	log: (line: string) => void,
	deps: DebianPackageDeps = defaultDebianPackageDeps,
): Promise<void> {
	const unmet = unmetNeeds(needs, deps.which);
	if (unmet.length === 0) return;
	if (!deps.isRoot()) throw missingPackagesError(unmet);
	const packages = packagesOf(unmet);

	log(`Installing Debian packages: ${packages.join(' ')}`);
	const release = deps.holdServiceStarts(log);
	try {
		await deps.runCommand('apt-get', ['update'], log);
		await deps.runCommand('apt-get', ['install', '-y', '--no-install-recommends', ...packages], log);
	} finally {
		release();
	}
	const stillUnmet = unmetNeeds(needs, deps.which);
	if (stillUnmet.length > 0) {
		throw packagesMissing(`apt-get installed ${packages.join(' ')} but ${stillUnmet.map((need) => need.binary).join(', ')} is still not found`, 'Check the apt-get output above.');
	}
}

const POLICY_RC_D = '/usr/sbin/policy-rc.d';

/**
 * Debian's policy-rc.d hook: exit 101 tells invoke-rc.d and deb-systemd-invoke not to start services.
 * An existing policy (containers often have one) is left as it is.
 */
export function holdServiceStartsWithPolicyRcD(log: (line: string) => void, path = POLICY_RC_D): () => void {
	if (existsSync(path)) return () => {};
	writeFileSync(path, '#!/bin/sh\n# written by dbbackup while it installs packages\nexit 101\n', {mode: 0o755});
	log(`Holding service starts during the install (${path})`);
	return () => {
		try {
			unlinkSync(path);
		} catch {
			// already gone
		}
	};
}

export const defaultDebianPackageDeps: DebianPackageDeps = {
	which: locateBinary,
	isRoot,
	runCommand: async (command, args, log) => {
		await runCommand(command, args, {
			log,
			streamOutput: true,
			env: {...process.env, DEBIAN_FRONTEND: 'noninteractive'},
		});
	},
	holdServiceStarts: (log) => holdServiceStartsWithPolicyRcD(log),
};

/** The binary's path, or a MISSING_PACKAGES error naming the package and the command to install it. */
export function requireBinary(need: PackageNeed): string {
	const found = locateBinary(need.binary);
	if (found === undefined) throw missingPackagesError([need]);
	return found;
}
