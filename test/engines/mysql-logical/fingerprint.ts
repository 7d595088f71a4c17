/** Round-trip helpers for the tests: the fingerprint itself lives in the product (source/…/fingerprint.ts). */
import {spawn} from 'node:child_process';
import {open} from 'node:fs/promises';
import {getTestServers} from '../../harness/servers.ts';

export {fingerprintDatabase as fingerprint, fingerprintDifferences} from '../../../source/engines/mysql-logical/fingerprint.ts';

/** Runs a script with the stock `mariadb` client over TCP; the password goes through MYSQL_PWD, never argv. */
export async function runWithMariadbClient(script: string): Promise<void> {
	const {mariadb} = getTestServers();
	const input = await open(script, 'r');
	try {
		await new Promise<void>((resolve, reject) => {
			const child = spawn(
				'mariadb',
				['--no-defaults', '-h', mariadb.host, '-P', String(mariadb.port), '-u', mariadb.user, '--default-character-set=utf8mb4', '--batch'],
				{stdio: [input.fd, 'ignore', 'pipe'], env: {...process.env, MYSQL_PWD: mariadb.password}},
			);
			let stderr = '';
			child.stderr?.on('data', (data) => (stderr += String(data)));
			child.on('error', reject);
			child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`mariadb client exited ${code}: ${stderr}`))));
		});
	} finally {
		await input.close();
	}
}
