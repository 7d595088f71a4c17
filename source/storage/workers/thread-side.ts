import {createRequire} from 'node:module';
import {parentPort} from 'node:worker_threads';

/** What a worker entry needs of its pool: its requests in, its replies out, typed by the protocol. */
export interface PoolPort<Request, Reply> {
	onRequest(handle: (request: Request) => void): void;
	reply(reply: Reply, transfer?: readonly ArrayBuffer[]): void;
}

export function poolPort<Request, Reply>(): PoolPort<Request, Reply> {
	const port = parentPort;
	if (!port) throw new Error('a pool worker entry runs only in a worker thread');
	return {
		onRequest: (handle) => port.on('message', handle),
		reply: (reply, transfer = []) => port.postMessage(reply, transfer as ArrayBuffer[]),
	};
}

export type Zstd = typeof import('zstd-napi/binding.js');

/** zstd-napi's native binding, without its stream wrappers: the threads drive the contexts themselves. */
export function loadZstd(): Zstd {
	return createRequire(import.meta.url)('zstd-napi/binding.js') as Zstd;
}
