import {createServer} from 'node:net';

/** A TCP port on 127.0.0.1 that was free a moment ago (the OS picks it). */
export function freePort(): Promise<number> {
	return new Promise((resolve, reject) => {
		const server = createServer();
		server.unref();
		server.on('error', reject);
		server.listen({host: '127.0.0.1', port: 0, exclusive: true}, () => {
			const address = server.address();
			if (address === null || typeof address === 'string') {
				server.close();
				reject(new Error('could not read the port of a listening socket'));
				return;
			}
			server.close(() => resolve(address.port));
		});
	});
}
