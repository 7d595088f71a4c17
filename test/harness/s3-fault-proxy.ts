/**
 * An HTTP proxy of our own on a loopback port in front of the test S3 server (s3rver), for the faults a
 * real server does not produce on demand: it records every request, and answers some of them as the
 * rules say (an error status, a reset connection mid-body, a delay, a truncated response body, an answer
 * lost after the server acted). The client must use path-style URLs to it (an IP endpoint does); headers
 * go upstream unchanged, so request signatures stay valid.
 */
import http, {type IncomingHttpHeaders, type IncomingMessage, type ServerResponse} from 'node:http';
import type {AddressInfo} from 'node:net';
import {setTimeout as sleep} from 'node:timers/promises';

export type S3Operation =
	| 'CreateMultipartUpload'
	| 'UploadPart'
	| 'CompleteMultipartUpload'
	| 'AbortMultipartUpload'
	| 'ListParts'
	| 'ListMultipartUploads'
	| 'PutObject'
	| 'GetObject'
	| 'HeadObject'
	| 'DeleteObject'
	| 'ListObjectsV2'
	| 'HeadBucket'
	| 'Other';

export interface RecordedRequest {
	method: string;
	path: string;
	query: Record<string, string>;
	headers: IncomingHttpHeaders;
	operation: S3Operation;
	/** the part number of an UploadPart */
	partNumber?: number;
	/** the request body of a CompleteMultipartUpload (the part list), once read */
	body?: string;
	/** bytes of the answer's body passed to the client so far */
	responseBytes: number;
}

export type Fault =
	/** answers with an S3 error document, without forwarding */
	| {kind: 'error'; status: number; code: string; message?: string}
	/** answers with this body, without forwarding */
	| {kind: 'respond'; status: number; body: string; contentType?: string}
	/** reads this many bytes of the request body, then destroys the connection */
	| {kind: 'reset-request'; afterBytes: number}
	/** waits, then forwards */
	| {kind: 'delay'; ms: number}
	/** forwards, then sends the answer's headers (its full Content-Length) and this many bytes of its body, then destroys the connection */
	| {kind: 'truncate-response'; afterBytes: number}
	/** forwards (the server acts), then answers 500 instead of the server's answer */
	| {kind: 'lose-response'};

export interface FaultRule {
	operation?: S3Operation;
	partNumber?: number;
	/** further condition on the request */
	match?: (request: RecordedRequest) => boolean;
	/** matching requests let through before the fault starts (default 0) */
	skip?: number;
	/** how many matching requests get the fault (default: every one) */
	times?: number;
	fault: Fault;
}

export interface S3FaultProxy {
	endpoint: string;
	/** every request, in arrival order */
	requests: RecordedRequest[];
	requestsOf(operation: S3Operation): RecordedRequest[];
	addRule(rule: FaultRule): void;
	/** how many times each rule (by the order added) fired */
	fired(): number[];
	close(): Promise<void>;
}

function operationOf(method: string, path: string, query: URLSearchParams): S3Operation {
	const hasKey = /^\/[^/]+\/.+/.test(path);
	if (!hasKey) {
		if (method === 'HEAD') return 'HeadBucket';
		if (method === 'GET' && query.has('uploads')) return 'ListMultipartUploads';
		if (method === 'GET') return 'ListObjectsV2';
		return 'Other';
	}
	if (method === 'POST' && query.has('uploads')) return 'CreateMultipartUpload';
	if (method === 'POST' && query.has('uploadId')) return 'CompleteMultipartUpload';
	if (method === 'PUT' && query.has('uploadId')) return 'UploadPart';
	if (method === 'DELETE' && query.has('uploadId')) return 'AbortMultipartUpload';
	if (method === 'GET' && query.has('uploadId')) return 'ListParts';
	if (method === 'PUT') return 'PutObject';
	if (method === 'GET') return 'GetObject';
	if (method === 'HEAD') return 'HeadObject';
	if (method === 'DELETE') return 'DeleteObject';
	return 'Other';
}

function errorDocument(code: string, message: string): string {
	return `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><RequestId>fault-proxy</RequestId></Error>`;
}

/** Pipes the answer to the client, counting what the client took. */
function relay(upstreamAnswer: IncomingMessage, response: ServerResponse, recorded: RecordedRequest): void {
	response.writeHead(upstreamAnswer.statusCode ?? 502, upstreamAnswer.headers);
	upstreamAnswer.on('data', (chunk: Buffer) => {
		recorded.responseBytes += chunk.length;
	});
	upstreamAnswer.pipe(response);
}

function answer(response: ServerResponse, status: number, body: string, contentType = 'application/xml'): void {
	response.writeHead(status, {'content-type': contentType, 'content-length': Buffer.byteLength(body)});
	response.end(body);
}

async function readAll(request: IncomingMessage): Promise<Buffer> {
	const chunks: Buffer[] = [];
	for await (const chunk of request) chunks.push(chunk as Buffer);
	return Buffer.concat(chunks);
}

/** Resolves once the request body was read (and thrown away). */
function drain(request: IncomingMessage): Promise<void> {
	return new Promise((resolve) => {
		if (request.readableEnded) {
			resolve();
			return;
		}
		request.on('end', resolve);
		request.on('error', () => resolve());
		request.resume();
	});
}

export async function startS3FaultProxy(upstreamEndpoint: string): Promise<S3FaultProxy> {
	const upstream = new URL(upstreamEndpoint);
	const agent = new http.Agent({keepAlive: true});
	const requests: RecordedRequest[] = [];
	const rules: {rule: FaultRule; seen: number; fired: number}[] = [];

	function faultFor(recorded: RecordedRequest): Fault | undefined {
		for (const entry of rules) {
			const {rule} = entry;
			if (rule.operation !== undefined && rule.operation !== recorded.operation) continue;
			if (rule.partNumber !== undefined && rule.partNumber !== recorded.partNumber) continue;
			if (rule.match && !rule.match(recorded)) continue;
			entry.seen += 1;
			if (entry.seen <= (rule.skip ?? 0) || entry.fired >= (rule.times ?? Infinity)) continue;
			entry.fired += 1;
			return rule.fault;
		}
		return undefined;
	}

	/** Sends the request upstream as it came (the body streamed through) and calls back with the answer. */
	function forward(request: IncomingMessage, body: Buffer | undefined, onAnswer: (upstreamAnswer: IncomingMessage) => void, onError: (error: Error) => void): void {
		const headers = {...request.headers};
		// the client already had its 100 Continue from us; the header is not signed
		delete headers.expect;
		const outgoing = http.request({host: upstream.hostname, port: upstream.port, method: request.method, path: request.url, headers, agent}, onAnswer);
		outgoing.on('error', onError);
		if (body === undefined) request.pipe(outgoing);
		else outgoing.end(body);
	}

	function passThrough(request: IncomingMessage, body: Buffer | undefined, response: ServerResponse, recorded: RecordedRequest): void {
		forward(request, body, (upstreamAnswer) => relay(upstreamAnswer, response, recorded), () => response.destroy());
	}

	async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
		const url = new URL(request.url ?? '/', 'http://proxy');
		const operation = operationOf(request.method ?? 'GET', url.pathname, url.searchParams);
		const recorded: RecordedRequest = {
			method: request.method ?? 'GET',
			path: decodeURIComponent(url.pathname),
			query: Object.fromEntries(url.searchParams),
			headers: request.headers,
			operation,
			partNumber: operation === 'UploadPart' ? Number(url.searchParams.get('partNumber')) : undefined,
			responseBytes: 0,
		};
		requests.push(recorded);
		const body = operation === 'CompleteMultipartUpload' ? await readAll(request) : undefined;
		recorded.body = body?.toString('utf8');
		const fault = faultFor(recorded);
		switch (fault?.kind) {
			case undefined:
				passThrough(request, body, response, recorded);
				return;
			case 'error':
				await drain(request);
				answer(response, fault.status, errorDocument(fault.code, fault.message ?? `injected by the test proxy`));
				return;
			case 'respond':
				await drain(request);
				answer(response, fault.status, fault.body, fault.contentType);
				return;
			case 'reset-request': {
				let received = 0;
				request.on('data', (chunk: Buffer) => {
					received += chunk.length;
					if (received >= fault.afterBytes) request.socket.destroy();
				});
				request.on('end', () => request.socket.destroy());
				return;
			}
			case 'delay':
				await sleep(fault.ms);
				passThrough(request, body, response, recorded);
				return;
			case 'truncate-response':
				forward(
					request,
					body,
					(upstreamAnswer) => {
						response.writeHead(upstreamAnswer.statusCode ?? 502, upstreamAnswer.headers);
						let sent = 0;
						upstreamAnswer.on('data', (chunk: Buffer) => {
							if (sent >= fault.afterBytes) return;
							const part = chunk.subarray(0, fault.afterBytes - sent);
							sent += part.length;
							recorded.responseBytes += part.length;
							if (sent < fault.afterBytes) {
								response.write(part);
								return;
							}
							upstreamAnswer.destroy();
							response.write(part, () => response.socket?.destroy());
						});
						// a body shorter than the cut goes whole
						upstreamAnswer.on('end', () => response.end());
					},
					() => response.destroy(),
				);
				return;
			case 'lose-response':
				forward(
					request,
					body,
					(upstreamAnswer) => {
						upstreamAnswer.resume();
						upstreamAnswer.on('end', () => answer(response, 500, errorDocument('InternalError', 'the answer was lost by the test proxy')));
					},
					() => response.destroy(),
				);
				return;
		}
	}

	const server = http.createServer((request, response) => {
		handle(request, response).catch(() => response.destroy());
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const {port} = server.address() as AddressInfo;

	return {
		endpoint: `http://127.0.0.1:${port}`,
		requests,
		requestsOf: (operation) => requests.filter((request) => request.operation === operation),
		addRule: (rule) => void rules.push({rule, seen: 0, fired: 0}),
		fired: () => rules.map((entry) => entry.fired),
		close: () =>
			new Promise<void>((resolve) => {
				server.close(() => resolve());
				server.closeAllConnections();
				agent.destroy();
			}),
	};
}
