import {lookup} from 'node:dns/promises';
import {stat} from 'node:fs/promises';
import {isIP} from 'node:net';
import os from 'node:os';
import {known, unknown, type Fact} from './types.ts';

export type Endpoint = {kind: 'socket'; path: string} | {kind: 'tcp'; host: string; port: number};

/** ConnectionSummary.target ("host:port", "[::1]:5432" or "socket /path") back into its parts. */
export function parseTarget(target: string): Endpoint {
	if (target.startsWith('socket ')) return {kind: 'socket', path: target.slice('socket '.length)};
	const bracketed = /^\[(.+)\]:(\d+)$/.exec(target);
	if (bracketed) return {kind: 'tcp', host: bracketed[1], port: Number(bracketed[2])};
	const colon = target.lastIndexOf(':');
	if (colon > 0 && /^\d+$/.test(target.slice(colon + 1))) return {kind: 'tcp', host: target.slice(0, colon), port: Number(target.slice(colon + 1))};
	return {kind: 'tcp', host: target, port: 0};
}

export function isLoopback(address: string): boolean {
	const bare = address.toLowerCase().replace(/^::ffff:/, '');
	return bare === '::1' || (isIP(bare) === 4 && bare.startsWith('127.'));
}

function interfaceAddresses(): Set<string> {
	const addresses = new Set<string>();
	for (const list of Object.values(os.networkInterfaces())) {
		for (const item of list ?? []) addresses.add(item.address.toLowerCase().replace(/%.*$/, ''));
	}
	return addresses;
}

export type HostCheck = {local: true; how: string} | {local: false; how: string} | {local: undefined; how: string};

/** Whether a host name or address is this machine: loopback, one of its interface addresses, or resolving to one. */
export async function hostIsThisMachine(host: string): Promise<HostCheck> {
	const name = host.toLowerCase();
	if (name === 'localhost' || name === '') return {local: true, how: `${host || 'the default host'} is localhost`};
	const mine = interfaceAddresses();
	const isMine = (address: string) => isLoopback(address) || mine.has(address.toLowerCase().replace(/^::ffff:/, ''));
	if (isIP(host)) {
		return isMine(host)
			? {local: true, how: `${host} is ${isLoopback(host) ? 'a loopback address' : "one of this machine's interface addresses"}`}
			: {local: false, how: `${host} is not a loopback address nor one of this machine's interface addresses`};
	}
	if (name === os.hostname().toLowerCase()) return {local: true, how: `${host} is this machine's host name`};
	let addresses: string[];
	try {
		addresses = (await lookup(host, {all: true})).map((item) => item.address);
	} catch (error) {
		return {local: undefined, how: `${host} could not be resolved: ${(error as Error).message}`};
	}
	const local = addresses.filter(isMine);
	return local.length > 0
		? {local: true, how: `${host} resolves to ${local.join(', ')}, an address of this machine`}
		: {local: false, how: `${host} resolves to ${addresses.join(', ')}, none of them an address of this machine`};
}

async function pathState(dir: string): Promise<'exists' | 'missing' | string> {
	try {
		await stat(dir);
		return 'exists';
	} catch (error) {
		const code = (error as NodeJS.ErrnoException).code;
		return code === 'ENOENT' || code === 'ENOTDIR' ? 'missing' : (error as Error).message;
	}
}

export interface Locality {
	local: Fact<boolean>;
	/** when the server is not known to be local: why its data directory cannot be examined here */
	notHere?: string;
}

/**
 * The server runs on this machine when we reach it through a unix socket or a local address AND its data
 * directory exists here (a port forwarded into a container or VM reaches a local address too).
 */
export async function detectLocality(target: string, datadir: Fact<string>): Promise<Locality> {
	const endpoint = parseTarget(target);
	const host: HostCheck =
		endpoint.kind === 'socket' ? {local: true, how: `connected through unix socket ${endpoint.path}`} : await hostIsThisMachine(endpoint.host);
	if (host.local === false) {
		return {
			local: known(false, `${host.how} (checked loopback and this machine's interface addresses)`),
			notHere: `server is on another host (${target}): its data directory is not on this machine`,
		};
	}
	if (host.local === undefined) {
		const reason = `cannot tell whether ${target} is this machine: ${host.how}`;
		return {local: unknown(reason), notHere: reason};
	}
	if (!datadir.known) {
		const reason = `${target} is this machine (${host.how}), but the data directory is unknown: ${datadir.reason}`;
		return {local: unknown(reason), notHere: reason};
	}
	const state = await pathState(datadir.value);
	if (state === 'exists') return {local: known(true, `${host.how}; data directory ${datadir.value} (${datadir.source}) exists on this machine`)};
	if (state === 'missing') {
		return {
			local: known(false, `${host.how}, but data directory ${datadir.value} does not exist on this machine`),
			notHere: `data directory ${datadir.value} does not exist on this machine, although ${target} is a local address (a server in a container or VM behind a forwarded port?)`,
		};
	}
	const reason = `${host.how}, but data directory ${datadir.value} cannot be examined: ${state}`;
	return {local: unknown(reason), notHere: reason};
}
