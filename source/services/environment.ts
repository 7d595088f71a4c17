import {dbTypeLabel} from '../core/detect/describe.ts';
import {connectMysql, connectPostgres, connectionSummary} from '../core/connect.ts';
import type {ConnectionSettings} from '../core/connection-settings.ts';
import {detectMysql} from '../core/detect/mysql.ts';
import {detectPostgres} from '../core/detect/postgres.ts';
import type {DetectedEnvironment} from '../core/detect/types.ts';
import type {EventBus} from '../core/events.ts';

/** Connects to one server, detects its environment and disconnects. */
export async function detectServer(settings: ConnectionSettings, bus: EventBus): Promise<DetectedEnvironment> {
	const summary = connectionSummary(settings);
	bus.stage('connect', `${dbTypeLabel(settings.dbType)} at ${summary.target} as ${settings.user}`);
	if (settings.dbType === 'mysql') {
		const conn = await connectMysql(settings);
		try {
			bus.stage('detect', summary.target);
			return await detectMysql(conn, summary);
		} finally {
			await conn.end().catch(() => {});
		}
	}
	const client = await connectPostgres(settings);
	try {
		bus.stage('detect', summary.target);
		return await detectPostgres(client, summary);
	} finally {
		await client.end().catch(() => {});
	}
}

export function logFindings(env: DetectedEnvironment, bus: EventBus): void {
	const version = env.version.known ? env.version.value.text : 'unknown version';
	bus.log('info', `found ${dbTypeLabel(env.dbType)} ${version} at ${env.connection.target}`);
	for (const [name, fact] of Object.entries(env)) {
		if (fact && typeof fact === 'object' && 'known' in fact && fact.known === false) {
			bus.log('debug', `${name} unknown: ${fact.reason}`);
		}
	}
}
