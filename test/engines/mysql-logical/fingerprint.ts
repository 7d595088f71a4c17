/** Round-trip helpers for the tests: the fingerprint itself lives in the product (source/…/fingerprint.ts). */
import {spawn} from 'node:child_process';
import {open} from 'node:fs/promises';
import {mysqlProgram} from '../../../source/sandbox/mysql-binaries.ts';
import {getTestServers} from '../../harness/servers.ts';

export {fingerprintDatabase as fingerprint, fingerprintDifferences} from '../../../source/engines/mysql-logical/fingerprint.ts';

/**
 * Runs a script with the stock client over TCP: `mariadb` for the harness's MariaDB, or MySQL's own
 * `mysql` from the harness's unpacked MySQL (through its loader); the password goes through MYSQL_PWD,
 * never argv.
 */
export async function runWithMariadbClient(script: string, flavor: 'mariadb' | 'mysql' = 'mariadb'): Promise<void> {
	const servers = getTestServers();
	const server = servers[flavor];
	const client = flavor === 'mysql' ? mysqlProgram(servers.mysql.root, 'mysql') : {command: 'mariadb', args: []};
	const input = await open(script, 'r');
	try {
		await new Promise<void>((resolve, reject) => {
			const child = spawn(
				client.command,
				[...client.args, '--no-defaults', '-h', server.host, '-P', String(server.port), '-u', server.user, '--default-character-set=utf8mb4', '--batch'],
				{stdio: [input.fd, 'ignore', 'pipe'], env: {...process.env, MYSQL_PWD: server.password}},
			);
			let stderr = '';
			child.stderr?.on('data', (data) => (stderr += String(data)));
			child.on('error', reject);
			child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${flavor} client exited ${code}: ${stderr}`))));
		});
	} finally {
		await input.close();
	}
}
