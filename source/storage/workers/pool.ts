import {createRequire} from 'node:module';
import {fileURLToPath} from 'node:url';
import {Worker} from 'node:worker_threads';

/*
 * Worker threads started when first needed, up to a limit, each running one entry file of this folder
 * and shared by many jobs: a job is pinned to one thread for its life and exchanges typed messages with
 * it under its id. Each thread's entry does its work synchronously (zstd, reads), so a thread serves
 * its jobs one message at a time; the jobs' own protocols keep their input bounded (a batch in flight,
 * a few slots), so the pool needs no queue of its own.
 *
 * The compression streams and the archive reader each have their own pool of this kind (zstd-stream.ts,
 * archive/reader-threads.ts) rather than one mixed pool: a backup only compresses and a restore mostly
 * reads, so neither starts the other's threads, and a thread's per-kind caches (zstd contexts, input
 * buffers) stay with the work that reuses them. That is how it was before the pools shared this code.
 */

/** Raised by the pool's jobs when their thread fails or exits under them. */
export class WorkerThreadError extends Error {
	override readonly name = 'WorkerThreadError';
	readonly code = 'WORKER_THREAD_FAILED';
}

/** Every message between a pool and its threads names its job. */
export interface JobMessage {
	id: number;
}

export interface PoolOptions {
	/** the entry file's name in this folder, without extension: `compress-worker` runs compress-worker.ts */
	entry: string;
	/** how a failure is worded: "the <name> thread exited (code 1)" */
	name: string;
	/** the most threads this pool starts, asked at each start */
	limit: () => number;
	workerData: unknown;
}

/** What a job hears: its thread's answers, or the thread's failure (after which nothing more comes). */
export interface JobListener<Reply> {
	onReply(reply: Reply): void;
	onFailure(error: WorkerThreadError): void;
}

const fromSource = import.meta.url.endsWith('.ts');
/** source mode: each entry compiled once per process */
const compiled = new Map<string, URL>();

/**
 * Where a thread of `entry` starts. The bundle (scripts/build.js) has each entry compiled as its own
 * file next to the chunk holding this code. Run from the TypeScript sources (tests, bin/dbbackup.js
 * without a fresh build), the entry is bundled here with esbuild, as scripts/build.js would, and the
 * thread runs that code. Node 20 does not apply the main thread's tsx loader, or `--import tsx` in
 * execArgv, to a worker's entry; registering tsx inside each thread works but cost 300–600 ms and
 * 10 MiB per thread on the 2-core development machine, against about 90 ms once per process here.
 */
function startingPoint(entry: string): URL {
	if (!fromSource) return new URL(`./${entry}.js`, import.meta.url);
	let code = compiled.get(entry);
	if (!code) {
		const file = new URL(`./${entry}.ts`, import.meta.url);
		const {buildSync} = createRequire(import.meta.url)('esbuild') as typeof import('esbuild');
		const {outputFiles} = buildSync({
			entryPoints: [fileURLToPath(file)],
			bundle: true,
			write: false,
			format: 'esm',
			platform: 'node',
			target: 'node20',
			packages: 'external',
			sourcemap: 'inline',
			// the code runs from a data: URL; its requires resolve from where the entry lives
			define: {'import.meta.url': JSON.stringify(file.href)},
			logLevel: 'warning',
		});
		code = new URL(`data:text/javascript;base64,${Buffer.from(outputFiles[0]!.contents).toString('base64')}`);
		compiled.set(entry, code);
	}
	return code;
}

class PoolThread<Request extends JobMessage, Reply extends JobMessage> {
	readonly worker: Worker;
	readonly jobs = new Map<number, Job<Request, Reply>>();
	/** jobs waiting for an answer; the thread keeps the process alive only while there are some */
	private waiting = 0;
	/** set once the thread has failed or exited */
	failure: WorkerThreadError | undefined;

	constructor(options: PoolOptions, onGone: (thread: PoolThread<Request, Reply>) => void) {
		// execArgv: [] so the main process's flags (--import tsx, --input-type…) stay out of the thread
		this.worker = new Worker(startingPoint(options.entry), {execArgv: [], workerData: options.workerData});
		this.worker.on('message', (reply: Reply) => this.jobs.get(reply.id)?.listener.onReply(reply));
		const fail = (error: WorkerThreadError) => {
			if (this.failure) return;
			this.failure = error;
			onGone(this);
			const jobs = [...this.jobs.values()];
			this.jobs.clear();
			for (const job of jobs) job.listener.onFailure(error);
		};
		this.worker.on('error', (error) => fail(new WorkerThreadError(`the ${options.name} thread failed: ${error.message}`, {cause: error})));
		this.worker.on('exit', (code) => fail(new WorkerThreadError(`the ${options.name} thread exited (code ${code})`)));
		// after the listeners: adding a 'message' listener refs the worker again
		this.worker.unref();
	}

	wait(more: boolean): void {
		if (more && this.waiting++ === 0) this.worker.ref();
		else if (!more && --this.waiting === 0) this.worker.unref();
	}
}

let nextJobId = 1;

/** One job's line to its thread. */
export class Job<Request extends JobMessage, Reply extends JobMessage> {
	readonly id = nextJobId++;
	private waiting = false;
	private ended = false;

	constructor(
		private readonly thread: PoolThread<Request, Reply>,
		readonly listener: JobListener<Reply>,
	) {
		thread.jobs.set(this.id, this);
	}

	/**
	 * Sends a request without its id; `transfer`red buffers are detached from this thread. Sent to a
	 * thread that has failed, it gets the failure as its answer, so nobody waits for a dead thread.
	 */
	send(request: DistributiveOmit<Request, 'id'>, transfer: readonly ArrayBuffer[] = []): void {
		const {failure} = this.thread;
		if (!failure) this.thread.worker.postMessage({...request, id: this.id}, transfer as ArrayBuffer[]);
		else if (!this.ended) queueMicrotask(() => this.listener.onFailure(failure));
	}

	/**
	 * Whether the job waits for its thread: while it does, the process stays alive to hear the answer;
	 * while it does not (idle, or its consumer is slow) the thread alone keeps nothing running.
	 */
	awaitReplies(waiting: boolean): void {
		if (this.ended || waiting === this.waiting) return;
		this.waiting = waiting;
		this.thread.wait(waiting);
	}

	/** Stops listening; later answers to this id are dropped. */
	end(): void {
		if (this.ended) return;
		this.awaitReplies(false);
		this.ended = true;
		this.thread.jobs.delete(this.id);
	}
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

export class WorkerPool<Request extends JobMessage, Reply extends JobMessage> {
	private readonly threads: PoolThread<Request, Reply>[] = [];

	constructor(private readonly options: PoolOptions) {}

	/** A job on an idle thread, a new thread while the pool is below its limit, else the least busy. */
	open(listener: JobListener<Reply>): Job<Request, Reply> {
		const idle = this.threads.find((thread) => thread.jobs.size === 0);
		const thread = idle ?? (this.threads.length < this.options.limit() ? this.start() : this.leastBusy(this.threads));
		return new Job(thread, listener);
	}

	/** `count` jobs on as many distinct threads as the limit allows (starting them), least busy first. */
	openSpread(count: number, listener: () => JobListener<Reply>): Job<Request, Reply>[] {
		while (this.threads.length < Math.min(count, this.options.limit())) this.start();
		const lanes = [...this.threads].sort((a, b) => a.jobs.size - b.jobs.size).slice(0, Math.max(1, count));
		return lanes.map((thread) => new Job(thread, listener()));
	}

	private start(): PoolThread<Request, Reply> {
		const thread = new PoolThread<Request, Reply>(this.options, (gone) => {
			const index = this.threads.indexOf(gone);
			if (index !== -1) this.threads.splice(index, 1);
		});
		this.threads.push(thread);
		return thread;
	}

	private leastBusy(threads: PoolThread<Request, Reply>[]): PoolThread<Request, Reply> {
		return threads.reduce((best, thread) => (thread.jobs.size < best.jobs.size ? thread : best));
	}
}
