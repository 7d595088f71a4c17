import {availableParallelism} from 'node:os';
import type {ConnectionSettings} from '../core/connection-settings.ts';
import type {EventBus} from '../core/events.ts';
import {createArchiveWriter, type ArchiveWriter} from '../storage/archive/writer.ts';
import type {Compression} from '../storage/compression.ts';
import type {StorageOptions} from '../storage/target/index.ts';

/** Compressed members held in memory at once, all together, before they spill to a temp file. */
const MEMORY_BUDGET = 64 * 1024 * 1024;
const MIB = 1024 * 1024;

export interface DumpArchiveOptions {
	path: string;
	storage?: StorageOptions;
	compression: Compression;
	level?: number;
	workers: number;
	bus: EventBus;
}

/** What an engine's archive output needs: the archive, the server it records, and the options it records. */
export interface ArchiveOutputOptions extends DumpArchiveOptions {
	settings: ConnectionSettings;
	/** recorded in the manifest */
	options: Record<string, unknown>;
}

export interface DumpArchive {
	writer: ArchiveWriter;
	/** keeps a member's promise to be awaited at the end; an early failure is not left unhandled meanwhile */
	track<T>(promise: Promise<T>): Promise<T>;
	/** every tracked member settled (rejects with the first failure) */
	settled(): Promise<unknown[]>;
}

/**
 * The archive writer as a logical dump uses it: one compressing member per worker (at most one per
 * core) and one more, so that a finished member waiting its turn to be appended does not hold up its
 * worker's next chunk (4 × 1M sysbench rows, 2 workers: 0.5–1 s less per dump in paired probe runs;
 * within the bench's run-to-run noise). The memory budget is split between them before members spill
 * to temp files.
 */
export async function openDumpArchive(options: DumpArchiveOptions): Promise<DumpArchive> {
	const concurrency = Math.max(1, Math.min(options.workers, availableParallelism())) + 1;
	const writer = await createArchiveWriter({
		path: options.path,
		storage: options.storage,
		compression: options.compression,
		level: options.level,
		bus: options.bus,
		concurrency,
		spillThreshold: Math.min(64 * MIB, Math.max(4 * MIB, Math.floor(MEMORY_BUDGET / concurrency))),
	});
	const pending: Promise<unknown>[] = [];
	return {
		writer,
		track(promise) {
			promise.catch(() => undefined);
			pending.push(promise);
			return promise;
		},
		settled: () => Promise.all(pending),
	};
}
