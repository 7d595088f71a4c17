import {createRequire} from 'node:module';
import {Worker} from 'node:worker_threads';
import {getTestServers} from '../../harness/servers.ts';

/*
 * Runs one DDL statement from a thread of its own, started by a synchronous bus listener at an exact
 * stage of a dump: the listener blocks the dump's thread (Atomics.wait) until the DDL is either waiting
 * for a metadata lock or finished, so what the dump does next is decided, not raced. The DDL's own
 * connection lives in the thread and needs nothing from the blocked one.
 */

/** Where the DDL is, in shared memory: readable synchronously from a listener at any point. */
export type DdlState = 'idle' | 'waiting-for-metadata-lock' | 'finished' | 'failed' | 'waiting-for-global-lock';
const STATES: DdlState[] = ['idle', 'waiting-for-metadata-lock', 'finished', 'failed', 'waiting-for-global-lock'];
const GO = 0;
const STATE = 1;
const DONE = 2;

export interface DdlOutcome {
	/** the DDL's GTID (@@last_gtid after it), or the error message when it failed */
	gtid?: string;
	error?: string;
	errno?: number;
}

const WORKER_SOURCE = `
const {parentPort, workerData} = require('node:worker_threads');
const mysql = require(workerData.mysql2Path);
const flags = new Int32Array(workerData.shared);
const [GO, STATE, DONE] = [0, 1, 2];
const set = (index, value) => { Atomics.store(flags, index, value); Atomics.notify(flags, index); };
(async () => {
	const ddl = await mysql.createConnection(workerData.connection);
	const watcher = await mysql.createConnection(workerData.connection);
	const [[{id}]] = await ddl.query('SELECT CONNECTION_ID() AS id');
	parentPort.postMessage({ready: true});
	Atomics.wait(flags, GO, 0);
	let outcome;
	const running = ddl.query(workerData.statement).then(
		async () => {
			const [[{gtid}]] = await ddl.query('SELECT @@last_gtid AS gtid');
			outcome = {gtid: String(gtid)};
			set(DONE, 1);
			if (Atomics.load(flags, STATE) === 0) set(STATE, 2);
		},
		(error) => {
			outcome = {error: error.message, errno: error.errno};
			set(DONE, 1);
			if (Atomics.load(flags, STATE) === 0) set(STATE, 3);
		},
	);
	while (workerData.untilWaiting && Atomics.load(flags, STATE) === 0) {
		const [rows] = await watcher.query('SELECT STATE AS state FROM information_schema.PROCESSLIST WHERE ID = ?', [id]);
		const state = rows[0] ? String(rows[0].state) : '';
		// MariaDB's BACKUP STAGE: "Waiting for backup lock"; FLUSH TABLES WITH READ LOCK: "Waiting for global read lock"
		const waiting = state.includes('Waiting for table metadata lock') ? 1 : /Waiting for (backup|global read) lock/.test(state) ? 4 : 0;
		if (waiting !== 0 && Atomics.load(flags, STATE) === 0) set(STATE, waiting);
		else await new Promise((resolve) => setTimeout(resolve, 10));
	}
	await running;
	await Promise.all([ddl.end(), watcher.end()]);
	parentPort.postMessage({outcome});
})().catch((error) => parentPort.postMessage({outcome: {error: 'ddl thread: ' + error.message}}));
`;

export class DdlThread {
	private readonly flags = new Int32Array(new SharedArrayBuffer(3 * Int32Array.BYTES_PER_ELEMENT));
	private readonly worker: Worker;
	private readonly ready: Promise<void>;
	/** settles once the DDL has finished or failed */
	readonly outcome: Promise<DdlOutcome>;

	/** `untilWaiting`: fire() returns as soon as the DDL waits for a lock; otherwise once it finished */
	constructor(statement: string, options: {untilWaiting: boolean}) {
		const {mariadb} = getTestServers();
		this.worker = new Worker(WORKER_SOURCE, {
			eval: true,
			workerData: {
				mysql2Path: createRequire(import.meta.url).resolve('mysql2/promise'),
				connection: {host: mariadb.host, port: mariadb.port, user: mariadb.user, password: mariadb.password},
				statement,
				untilWaiting: options.untilWaiting,
				shared: this.flags.buffer,
			},
		});
		let ready!: () => void;
		let settle!: (outcome: DdlOutcome) => void;
		this.ready = new Promise((resolve) => (ready = resolve));
		this.outcome = new Promise((resolve) => (settle = resolve));
		this.worker.on('message', (message: {ready?: boolean; outcome?: DdlOutcome}) => {
			if (message.ready) ready();
			if (message.outcome) settle(message.outcome);
		});
		this.worker.on('error', (error) => settle({error: `ddl thread: ${error.message}`}));
	}

	/** resolves when the thread's connections are open, before the dump starts */
	started(): Promise<void> {
		return this.ready;
	}

	/**
	 * Sends the DDL and blocks this thread until it waits for a lock or has finished (at most
	 * `limitMs`, so that a mistake fails the test instead of hanging it). Call from a bus listener.
	 */
	fire(limitMs = 60_000): DdlState {
		Atomics.store(this.flags, GO, 1);
		Atomics.notify(this.flags, GO);
		Atomics.wait(this.flags, STATE, 0, limitMs);
		return this.state();
	}

	state(): DdlState {
		return STATES[Atomics.load(this.flags, STATE)];
	}

	/** whether the DDL has completed (or failed), read at this very moment */
	done(): boolean {
		return Atomics.load(this.flags, DONE) === 1;
	}

	async stop(): Promise<void> {
		await this.worker.terminate();
	}
}

/** The sequence number of `gtid` (d-s-n) and of the same domain's entry in a GTID position. */
export function sequenceOfDomain(position: string, domain: string): number | undefined {
	const entry = position.split(',').find((gtid) => gtid.split('-')[0] === domain);
	return entry === undefined ? undefined : Number(entry.split('-')[2]);
}
