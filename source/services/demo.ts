import type {ConnectionSettings} from '../core/connection-settings.ts';
import type {EventBus} from '../core/events.ts';
import {registerSecret} from '../core/redact.ts';
import {createMariadbSampleDatabase, createPostgresSampleDatabase, SAMPLE_DATABASE, startSandbox} from '../sandbox/index.ts';

export const DEMO_DATABASE = SAMPLE_DATABASE;

export interface RunningDemo {
	targets: ConnectionSettings[];
	servers: Array<{dbType: string; target: string; socket: string; database: string; stopsAtExit: boolean}>;
	stop(): Promise<void>;
}

/**
 * Starts a throwaway MariaDB and PostgreSQL in temp dirs on free loopback ports, loads the sample
 * database into each and returns connection settings for them (the generated passwords stay in memory).
 */
export async function startDemo(bus: EventBus): Promise<RunningDemo> {
	bus.stage('demo', 'starting a throwaway MariaDB and PostgreSQL (installing Debian packages if missing)');
	const sandbox = await startSandbox({mariadb: true, postgres: true, s3: false, noFsync: true, log: (line) => bus.log('info', line)});
	try {
		const mariadb = sandbox.mariadb!;
		const postgres = sandbox.postgres!;
		registerSecret(mariadb.password);
		registerSecret(postgres.password);
		const mysqlSettings: ConnectionSettings = {
			dbType: 'mysql',
			host: mariadb.host,
			port: mariadb.port,
			user: mariadb.user,
			password: mariadb.password,
			passwordSource: 'the demo (generated, kept in memory)',
		};
		const postgresSettings: ConnectionSettings = {
			dbType: 'postgres',
			host: postgres.host,
			port: postgres.port,
			user: postgres.user,
			password: postgres.password,
			passwordSource: 'the demo (generated, kept in memory)',
		};
		bus.stage('demo', `loading the sample database ${DEMO_DATABASE}`);
		await Promise.all([createMariadbSampleDatabase(mariadb), createPostgresSampleDatabase(postgres)]);
		bus.log('info', `demo MariaDB ${mariadb.version} on ${mariadb.host}:${mariadb.port}, PostgreSQL ${postgres.version} on ${postgres.host}:${postgres.port}`);
		return {
			targets: [mysqlSettings, postgresSettings],
			servers: [
				{dbType: 'mysql', target: `${mariadb.host}:${mariadb.port}`, socket: mariadb.socket, database: DEMO_DATABASE, stopsAtExit: true},
				{dbType: 'postgres', target: `${postgres.host}:${postgres.port}`, socket: postgres.socketDir, database: DEMO_DATABASE, stopsAtExit: true},
			],
			stop: () => sandbox.stop(),
		};
	} catch (error) {
		await sandbox.stop();
		throw error;
	}
}
