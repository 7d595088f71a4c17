/**
 * MySQL server and client binaries for throwaway servers. Debian 12 has no MySQL server, but Debian's
 * unstable suite (sid) has `mysql-server-core` and `mysql-client-core`, whose libraries need a newer
 * libc: unpacked privately, with their whole library closure, they run through that closure's own loader
 * (`ld-linux-x86-64.so.2 --library-path …`) without installing anything system-wide.
 *
 * The packages come from `../shared/debs/mysql-<version>-sid/` beside the repository when it is there and
 * its SHA256SUMS check (CI has it, so a change in sid cannot break CI), else from sid itself through a
 * private apt setup. The unpacked tree is cached per version (/var/cache/dbbackup/mysql-<version>/ as
 * root, ~/.cache/dbbackup/… otherwise, DBBACKUP_CACHE_DIR to choose), written atomically: unpacked into a
 * temp directory beside it and renamed; concurrent starts take a lock directory and wait for each other.
 */
import {createHash} from 'node:crypto';
import {createReadStream, existsSync} from 'node:fs';
import {mkdir, mkdtemp, readdir, readFile, rename, rm, stat, writeFile} from 'node:fs/promises';
import {homedir} from 'node:os';
import {dirname, join} from 'node:path';
import {setTimeout as sleep} from 'node:timers/promises';
import {fileURLToPath} from 'node:url';
import {packagesMissing} from '../core/errors.ts';
import {isRoot, locateBinary} from './debian-packages.ts';
import {isProcessAlive} from './process-exit.ts';
import {runCommand} from './run-command.ts';

/** The package set kept beside the repository (relative to its root). */
export const SHARED_MYSQL_DEBS = join('..', 'shared', 'debs', 'mysql-9.7.4-sid');
const SERVER_PACKAGE = 'mysql-server-core';
const CLIENT_PACKAGE = 'mysql-client-core';
/** in the dependency closure but needed by no binary we run (mysqld_safe and friends are perl scripts) */
const UNNEEDED_PACKAGE = /^(perl|perl-base|perl-modules-[\d.]+|libperl[\d.]+)$/;
const COMPLETE_MARKER = '.dbbackup-complete.json';
const ARCHIVE_KEYRING = '/usr/share/keyrings/debian-archive-keyring.gpg';
const DEBIAN_SOURCES = '/etc/apt/sources.list.d/debian.sources';
const DEFAULT_MIRROR = 'http://deb.debian.org/debian';
/** a lock older than this whose holder cannot be checked is taken over */
const STALE_LOCK_MS = 15 * 60_000;

/** An unpacked MySQL and how to run its programs. */
export interface MysqlBinaries {
	/** the unpacked root (holds usr/sbin/mysqld, usr/bin/mysql, usr/lib/x86_64-linux-gnu) */
	root: string;
	/** the Debian version of mysql-server-core, e.g. 9.7.4-2 */
	version: string;
	/** where the packages came from */
	source: 'shared' | 'sid' | 'cache';
}

/** The command and leading arguments that run one of the root's programs (`usr/sbin/mysqld`, `usr/bin/mysqlbinlog`) through its loader. */
export function mysqlProgram(root: string, program: string): {command: string; args: string[]} {
	const libraries = join(root, 'usr', 'lib', 'x86_64-linux-gnu');
	const path = program.includes('/') ? join(root, program) : join(root, 'usr', program === 'mysqld' ? 'sbin' : 'bin', program);
	return {command: join(libraries, 'ld-linux-x86-64.so.2'), args: ['--library-path', libraries, path]};
}

/** The mysqld options that point an unpacked tree's server at its own files (the compiled-in paths are not there). */
export function mysqlTreeOptions(root: string): string[] {
	const usr = join(root, 'usr');
	return [`--basedir=${usr}`, `--plugin-dir=${join(usr, 'lib', 'mysql', 'plugin')}`, `--lc-messages-dir=${join(usr, 'share', 'mysql')}`, `--character-sets-dir=${join(usr, 'share', 'mysql', 'charsets')}`];
}

export interface MysqlBinariesOptions {
	log: (line: string) => void;
	/** default: DBBACKUP_CACHE_DIR, else /var/cache/dbbackup as root, else ~/.cache/dbbackup */
	cacheDir?: string;
	/** default: SHARED_MYSQL_DEBS beside the repository this module belongs to; null: never use one */
	sharedDebs?: string | null;
}

/** The directory cached MySQL trees go to. */
export function mysqlCacheDir(): string {
	const chosen = process.env.DBBACKUP_CACHE_DIR;
	if (chosen) return chosen;
	if (isRoot()) return '/var/cache/dbbackup';
	return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'dbbackup');
}

/** The repository root: the nearest directory above this module that holds a package.json. */
function repositoryRoot(): string | undefined {
	let dir = dirname(fileURLToPath(import.meta.url));
	for (;;) {
		if (existsSync(join(dir, 'package.json'))) return dir;
		const parent = dirname(dir);
		if (parent === dir) return undefined;
		dir = parent;
	}
}

function defaultSharedDebs(): string | undefined {
	const root = repositoryRoot();
	return root ? join(root, SHARED_MYSQL_DEBS) : undefined;
}

/**
 * An unpacked MySQL, from the cache when it holds one, else unpacked now from the shared package set
 * or fetched from sid.
 */
export async function ensureMysqlBinaries(options: MysqlBinariesOptions): Promise<MysqlBinaries> {
	const {log} = options;
	const cacheDir = options.cacheDir ?? mysqlCacheDir();
	const shared = options.sharedDebs === null ? undefined : (options.sharedDebs ?? defaultSharedDebs());
	await mkdir(cacheDir, {recursive: true});
	// the set's version from its file names: a tree of that version already unpacked needs no check of the set
	const sharedVersion = shared ? await sharedSetVersion(shared) : undefined;
	if (sharedVersion && (await isComplete(join(cacheDir, `mysql-${sharedVersion}`)))) {
		return {root: join(cacheDir, `mysql-${sharedVersion}`), version: sharedVersion, source: 'cache'};
	}
	const sharedSet = shared && sharedVersion ? await checkedSharedSet(shared, log) : undefined;
	if (sharedSet) {
		const target = join(cacheDir, `mysql-${sharedSet.version}`);
		return withCacheLock(cacheDir, log, async () => {
			if (await isComplete(target)) return {root: target, version: sharedSet.version, source: 'cache'};
			log(`mysql: unpacking ${sharedSet.files.length} packages from ${shared} into ${target}`);
			await unpackAtomically(target, sharedSet.files, {version: sharedSet.version, from: shared!});
			return {root: target, version: sharedSet.version, source: 'shared'};
		});
	}
	const cached = await newestCached(cacheDir);
	if (cached) return cached;
	return withCacheLock(cacheDir, log, async () => {
		const again = await newestCached(cacheDir);
		if (again) return again;
		return fetchFromSid(cacheDir, log);
	});
}

const SERVER_DEB = new RegExp(`^${SERVER_PACKAGE}_([^_]+)_[^_]+\\.deb$`);

/** The version of the server package in a package set directory, from its file name; undefined without one. */
async function sharedSetVersion(dir: string): Promise<string | undefined> {
	let names: string[];
	try {
		names = await readdir(dir);
	} catch {
		return undefined;
	}
	const match = names.map((name) => SERVER_DEB.exec(name)).find(Boolean);
	return match ? decodeURIComponent(match[1]!) : undefined;
}

interface SharedSet {
	version: string;
	files: string[];
}

/** The shared package set when it is there, complete and matches its SHA256SUMS; otherwise undefined (with a log line why). */
async function checkedSharedSet(dir: string, log: (line: string) => void): Promise<SharedSet | undefined> {
	let sums: string;
	try {
		sums = await readFile(join(dir, 'SHA256SUMS'), 'utf8');
	} catch {
		return undefined;
	}
	const entries = sums
		.split('\n')
		.filter((line) => line.trim() !== '')
		.map((line) => /^([0-9a-f]{64}) [ *](.+)$/.exec(line.trim()));
	if (entries.length === 0 || entries.some((entry) => entry === null)) {
		log(`mysql: ${join(dir, 'SHA256SUMS')} is not a list of sha256 sums; fetching from Debian instead`);
		return undefined;
	}
	const files: string[] = [];
	for (const entry of entries) {
		const [, expected, name] = entry!;
		const file = join(dir, name!);
		let actual: string;
		try {
			actual = await sha256File(file);
		} catch (error) {
			log(`mysql: ${file}: ${(error as Error).message}; fetching from Debian instead`);
			return undefined;
		}
		if (actual !== expected) {
			log(`mysql: ${file} does not match SHA256SUMS (${actual}); fetching from Debian instead`);
			return undefined;
		}
		files.push(file);
	}
	const server = files.map((file) => SERVER_DEB.exec(file.split('/').at(-1)!)).find(Boolean);
	if (!server) {
		log(`mysql: ${dir} holds no ${SERVER_PACKAGE} package; fetching from Debian instead`);
		return undefined;
	}
	return {version: decodeURIComponent(server[1]!), files};
}

async function sha256File(file: string): Promise<string> {
	const hash = createHash('sha256');
	for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
	return hash.digest('hex');
}

async function isComplete(root: string): Promise<boolean> {
	return existsSync(join(root, COMPLETE_MARKER)) && existsSync(join(root, 'usr', 'sbin', 'mysqld'));
}

/** The most recently made complete tree in the cache. */
async function newestCached(cacheDir: string): Promise<MysqlBinaries | undefined> {
	const candidates: {root: string; version: string; made: number}[] = [];
	for (const name of await readdir(cacheDir)) {
		const match = /^mysql-(\d[^/]*)$/.exec(name);
		if (!match) continue;
		const root = join(cacheDir, name);
		if (!(await isComplete(root))) continue;
		candidates.push({root, version: match[1]!, made: (await stat(join(root, COMPLETE_MARKER))).mtimeMs});
	}
	const newest = candidates.sort((a, b) => b.made - a.made)[0];
	return newest ? {root: newest.root, version: newest.version, source: 'cache'} : undefined;
}

/**
 * Runs `work` while holding the cache's lock directory, so that two starts at once do not unpack into
 * the same place; a lock whose holder died is taken over.
 */
async function withCacheLock<T>(cacheDir: string, log: (line: string) => void, work: () => Promise<T>): Promise<T> {
	const lock = join(cacheDir, 'mysql.lock');
	let waited = false;
	for (;;) {
		try {
			await mkdir(lock);
			await writeFile(join(lock, 'pid'), String(process.pid));
			break;
		} catch (error) {
			if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
		}
		if (await lockIsStale(lock)) {
			log(`mysql: taking over the stale lock ${lock}`);
			await rm(lock, {recursive: true, force: true});
			continue;
		}
		if (!waited) log(`mysql: waiting for another process unpacking into ${cacheDir} (${lock})`);
		waited = true;
		await sleep(250);
	}
	try {
		return await work();
	} finally {
		await rm(lock, {recursive: true, force: true});
	}
}

async function lockIsStale(lock: string): Promise<boolean> {
	try {
		const pid = Number(await readFile(join(lock, 'pid'), 'utf8'));
		if (Number.isInteger(pid) && pid > 0) return !isProcessAlive(pid);
	} catch {
		// no pid yet: the holder is between mkdir and writing it, or died there
	}
	try {
		return Date.now() - (await stat(lock)).mtimeMs > STALE_LOCK_MS;
	} catch {
		return false;
	}
}

/** dpkg-deb -x every package into a temp dir beside `target`, then renames it into place. */
async function unpackAtomically(target: string, debs: string[], origin: Record<string, unknown>): Promise<void> {
	const dpkgDeb = locateBinary('dpkg-deb');
	if (!dpkgDeb) throw packagesMissing('dpkg-deb is needed to unpack the MySQL packages (Debian package dpkg)', 'Run this on Debian or Ubuntu, where dpkg is always installed.');
	const temp = await mkdtemp(`${target}.unpacking-`);
	try {
		for (const deb of debs) await runCommand(dpkgDeb, ['-x', deb, temp]);
		await writeFile(join(temp, COMPLETE_MARKER), `${JSON.stringify({...origin, packages: debs.map((deb) => deb.split('/').at(-1))}, null, '\t')}\n`);
		await rm(target, {recursive: true, force: true});
		await rename(temp, target);
	} catch (error) {
		await rm(temp, {recursive: true, force: true});
		throw error;
	}
}

/** The archive's URI from the system's deb822 sources (the host the configured sources use). */
async function debianMirror(): Promise<string> {
	try {
		const text = await readFile(DEBIAN_SOURCES, 'utf8');
		const uri = /^URIs:\s*(\S+)/m.exec(text)?.[1];
		if (uri && !/security/.test(uri)) return uri.replace(/\/$/, '');
	} catch {
		// no deb822 sources: the default mirror
	}
	return DEFAULT_MIRROR;
}

/** apt-get options for a private setup that knows only sid and has nothing installed. */
function privateAptOptions(aptDir: string): string[] {
	const settings = {
		'Dir::Etc::SourceList': join(aptDir, 'sources.list'),
		'Dir::Etc::SourceParts': '/dev/null',
		'Dir::Etc::Preferences': '/dev/null',
		'Dir::Etc::PreferencesParts': '/dev/null',
		'Dir::State': join(aptDir, 'state'),
		'Dir::State::status': join(aptDir, 'status'),
		'Dir::Cache': join(aptDir, 'cache'),
		'APT::Install-Recommends': 'false',
		// the private dirs are ours: apt need not drop to _apt to write them
		'APT::Sandbox::User': isRoot() ? 'root' : '',
	};
	return Object.entries(settings)
		.filter(([, value]) => value !== '')
		.flatMap(([key, value]) => ['-o', `${key}=${value}`]);
}

/** Fetches mysql-server-core and mysql-client-core with their library closure from sid, and unpacks them. */
async function fetchFromSid(cacheDir: string, log: (line: string) => void): Promise<MysqlBinaries> {
	const aptGet = locateBinary('apt-get');
	if (!aptGet) throw packagesMissing('apt-get is needed to fetch MySQL from Debian (no package set beside the repository)', 'Run this on Debian, or put the package set in ../shared/debs/.');
	if (!existsSync(ARCHIVE_KEYRING)) throw packagesMissing(`${ARCHIVE_KEYRING} is missing: the sid packages cannot be verified`, 'Install it: apt-get install debian-archive-keyring');
	const aptDir = join(cacheDir, 'apt-sid');
	for (const dir of ['state/lists/partial', 'cache/archives/partial']) await mkdir(join(aptDir, dir), {recursive: true});
	await writeFile(join(aptDir, 'status'), '');
	const mirror = await debianMirror();
	await writeFile(join(aptDir, 'sources.list'), `deb [signed-by=${ARCHIVE_KEYRING}] ${mirror} sid main\n`);
	const apt = privateAptOptions(aptDir);
	log(`mysql: fetching ${SERVER_PACKAGE} and ${CLIENT_PACKAGE} from ${mirror} sid (private apt state in ${aptDir})`);
	await runCommand(aptGet, [...apt, 'update']);
	const {stdout} = await runCommand(aptGet, [...apt, '-s', 'install', SERVER_PACKAGE, CLIENT_PACKAGE]);
	const installs = [...stdout.matchAll(/^Inst (\S+) \((\S+) /gm)].map(([, name, version]) => ({name: name!, version: version!}));
	const version = installs.find((install) => install.name === SERVER_PACKAGE)?.version;
	if (!version) throw packagesMissing(`Debian sid offers no ${SERVER_PACKAGE} here (apt-get -s install listed ${installs.length} packages)`, `Check the network and ${mirror}.`);
	const wanted = installs.filter((install) => !UNNEEDED_PACKAGE.test(install.name)).map((install) => install.name);
	const downloads = await mkdtemp(join(cacheDir, 'download-'));
	try {
		await runCommand(aptGet, [...apt, 'download', ...wanted], {cwd: downloads});
		const debs = (await readdir(downloads)).filter((name) => name.endsWith('.deb')).map((name) => join(downloads, name));
		const target = join(cacheDir, `mysql-${version}`);
		log(`mysql: unpacking ${debs.length} packages of MySQL ${version} into ${target}`);
		await unpackAtomically(target, debs, {version, from: `${mirror} sid`});
		return {root: target, version, source: 'sid'};
	} finally {
		await rm(downloads, {recursive: true, force: true});
	}
}
