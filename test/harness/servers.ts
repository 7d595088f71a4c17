/**
 * Coordinates of the real servers that test/harness/run.ts starts once per `npm test` run and hands to
 * every test process through the DBBACKUP_TEST_SERVERS environment variable.
 */
export interface TestMariadb {
	host: string;
	port: number;
	socket: string;
	datadir: string;
	/** a user with ALL PRIVILEGES WITH GRANT OPTION, password authentication over TCP */
	user: string;
	password: string;
	/** a user with only SELECT on *.*, for privilege tests */
	limitedUser: string;
	limitedPassword: string;
	version: string;
}

export interface TestPostgres {
	host: string;
	port: number;
	/** unix socket directory; local connections there are trusted */
	socketDir: string;
	datadir: string;
	/** OS user that owns the cluster, also the database superuser */
	superuser: string;
	/** a login role with password (scram-sha-256 over TCP), CREATEDB */
	user: string;
	password: string;
	version: string;
}

export interface TestS3 {
	endpoint: string;
	port: number;
	directory: string;
	region: string;
	accessKeyId: string;
	secretAccessKey: string;
	/** a bucket that exists when tests start */
	bucket: string;
}

export interface TestServers {
	mariadb: TestMariadb;
	postgres: TestPostgres;
	s3: TestS3;
}

export const TEST_SERVERS_ENV = 'DBBACKUP_TEST_SERVERS';

export function getTestServers(): TestServers {
	const raw = process.env[TEST_SERVERS_ENV];
	if (!raw) {
		throw new Error(
			`${TEST_SERVERS_ENV} is not set: run the tests through \`npm test\` (test/harness/run.ts starts the servers); ` +
				'a single file: `node --import tsx test/harness/run.ts test/path/file.test.ts`',
		);
	}
	return JSON.parse(raw) as TestServers;
}
