import type {RunningMariadb, RunningMysql, RunningPostgres, RunningS3} from '../../source/sandbox/types.ts';

/**
 * Coordinates of the real servers that test/harness/run.ts starts once per `npm test` run and hands to
 * every test process through the DBBACKUP_TEST_SERVERS environment variable.
 */
type Coordinates<T> = Omit<T, 'pid' | 'stop'>;

/** The started servers' fields minus the process handle: what a test may use. */
export type TestMariadb = Coordinates<RunningMariadb>;
export type TestMysql = Coordinates<RunningMysql>;
export type TestPostgres = Coordinates<RunningPostgres>;
export type TestS3 = Coordinates<RunningS3>;

export interface TestServers {
	mariadb: TestMariadb;
	/** MySQL 9 from Debian sid's packages, beside MariaDB (which stays the suite's default server) */
	mysql: TestMysql;
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
