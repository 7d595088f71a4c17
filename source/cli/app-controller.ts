import {existsSync} from 'node:fs';
import {availableParallelism} from 'node:os';
import {streamBinlogs as runBinlogStream, type BinlogStreamSummary} from '../binlog/stream/streamer.ts';
import {backupFileName} from '../core/backup-name.ts';
import type {Compression} from '../core/compression-names.ts';
import {defaultConfig} from '../core/config/defaults.ts';
import type {Config} from '../core/config/types.ts';
import type {ConnectionSettings} from '../core/connection-settings.ts';
import {describeTarget} from '../core/connection-settings.ts';
import type {DetectedEnvironment} from '../core/detect/types.ts';
import type {EventBus} from '../core/events.ts';
import {ConnectionError, UsageError, toDbBackupError, type DbBackupError} from '../core/errors.ts';
import {selectEngine} from '../engines/selector.ts';
import type {SelectionContext} from '../engines/types.ts';
import {listDatabases, runBackup} from '../services/backup.ts';
import {outputDirectory, resolveBackupOutput} from '../services/backup-output.ts';
import {resolveBinlogStream, type BinlogStreamRequest} from '../services/binlog-stream.ts';
import {resolveWalStreamOptions, type WalStreamRequest} from '../services/wal-stream.ts';
import {streamWal as runWalStream, type WalStreamSummary} from '../wal/stream/streamer.ts';
import {DEMO_DATABASE, startDemo, type RunningDemo} from '../services/demo.ts';
import {assertRoundTripMatches, demoRoundTrip} from '../services/demo-round-trip.ts';
import {detectServer, logFindings} from '../services/environment.ts';
import {describeArtifact, listArtifactContents, listArtifacts, planRestore, runRestore} from '../services/restore.ts';
import {buildCatalog} from '../services/catalog.ts';
import {deleteBackup} from '../services/retention/backup-files.ts';
import {verifyLocation} from '../services/verify.ts';
import {s3SettingsOf, storageOptionsFor} from '../services/storage-options.ts';
import {isObjectStoreUrl} from '../core/object-store-url.ts';
import {directoryTarget, type StorageOptions} from '../storage/target/index.ts';
import type {
	AppController,
	BackupChoices,
	BinlogStreamChoices,
	ConnectionState,
	RestoreChoices,
	ServerChoice,
	ServerPick,
	WalStreamChoices,
} from '../ui/controller.ts';

export {DEFAULT_BACKUP_FOLDER, outputDirectory} from '../services/backup-output.ts';

/** What `binlog-stream` (or `wal-stream`) was started with: its flags and the merged config (for backup.binlog). */
export interface BinlogSetup {
	request?: BinlogStreamRequest;
	/** wal-stream's flags (--output, --slot, --sync, …) for the WAL tail screen */
	walRequest?: WalStreamRequest;
	config?: Config;
}

/** The directory a file target of the config names, when there is one. */
export function configuredBinlogDir(config: Config): string | undefined {
	const target = config.backup.binlog.targets.find((candidate) => candidate.type === 'file');
	return target?.type === 'file' ? target.path : undefined;
}

/**
 * The Ink app's view of the services: it holds the servers to work on (configured ones, or the demo's
 * once started) and turns screen requests into service calls.
 */
export class CliAppController implements AppController {
	private demo?: RunningDemo;
	private state: ConnectionState;
	private lastEnvironments?: DetectedEnvironment[];
	/** streams still running: stop() ends them cleanly before the process exits (Ctrl+C, SIGTERM) */
	private readonly streams = new Set<{abort: AbortController; done: Promise<unknown>}>();
	/** the failure of the last action, if it failed: the exit code when the user quits */
	lastFailure?: DbBackupError;

	constructor(
		private readonly bus: EventBus,
		private targets: ConnectionSettings[],
		private readonly configured: boolean,
		private readonly selection: SelectionContext = {},
		private outputDir: string = process.cwd(),
		private readonly binlog: BinlogSetup = {},
	) {
		this.state = configured ? 'connecting' : 'not-configured';
	}

	connectionLabel(): string {
		if (!this.configured && !this.demo) return 'not configured';
		return this.servers().map((server) => server.label).join(' · ');
	}

	connectionState(): ConnectionState {
		return this.state;
	}

	isConfigured(): boolean {
		return this.configured || this.demo !== undefined;
	}

	async detect(): Promise<DetectedEnvironment[]> {
		try {
			const environments: DetectedEnvironment[] = [];
			for (const target of this.targets) {
				const environment = await detectServer(target, this.bus);
				logFindings(environment, this.bus);
				environments.push(environment);
			}
			if (!this.demo) this.state = 'connected';
			this.lastEnvironments = environments;
			this.lastFailure = undefined;
			return environments;
		} catch (error) {
			if (!this.demo) this.state = 'error';
			this.lastFailure = toDbBackupError(error);
			throw error;
		}
	}

	async selectEngine() {
		const environments = this.lastEnvironments ?? (await this.detect());
		this.lastEnvironments = undefined;
		return environments.map((environment) => selectEngine(environment, this.selection));
	}

	async startDemo(): Promise<void> {
		if (this.demo) return;
		try {
			this.demo = await startDemo(this.bus);
		} catch (error) {
			this.lastFailure = toDbBackupError(error);
			throw error;
		}
		this.lastFailure = undefined;
		this.targets = this.demo.targets;
		this.state = 'demo';
		// the demo's proof, shown as stages on the demo screen; the servers stay usable if it fails
		try {
			for (const target of this.demo.targets) assertRoundTripMatches(await demoRoundTrip(target, DEMO_DATABASE, this.bus));
		} catch (error) {
			this.lastFailure = toDbBackupError(error);
			throw error;
		}
	}

	servers(): ServerChoice[] {
		return this.targets.map((target) => ({dbType: target.dbType, label: `${target.dbType} ${target.user}@${describeTarget(target)}`}));
	}

	defaultOutputDir(): string {
		return this.outputDir;
	}

	previewBackupName(databases: string[]): string {
		return backupFileName(databases, new Date(), 'archive', undefined, this.config().output.encrypt === true);
	}

	defaultWorkers(): number {
		return this.config().output.workers ?? availableParallelism();
	}

	defaultCompression(): Compression {
		return this.config().output.compress;
	}

	listDatabases(pick: ServerPick = {}) {
		return this.track(() => listDatabases(this.targetFor(pick)), true);
	}

	backup({dbType, ...choices}: BackupChoices) {
		return this.track(async () => {
			const storage = await this.storage('write');
			// the form sends a folder (trailing /) unless a file was typed: named here, by the command line's rule
			const output = await resolveBackupOutput(choices.output, {databases: choices.databases, format: choices.format, encrypted: storage.encryption !== undefined});
			const outcome = await runBackup({...choices, output, storage, target: this.targetFor({dbType})}, this.bus);
			// the next backup, and the restore screen, start from the folder just used
			this.outputDir = outputDirectory(output, process.cwd());
			return outcome;
		}, true);
	}

	listArtifacts(dir: string = this.outputDir) {
		return this.track(async () => {
			// the default folder before the first backup made it: nothing to list yet
			if (!isObjectStoreUrl(dir) && !existsSync(dir)) return [];
			return listArtifacts(dir, await this.storage('read'));
		}, false);
	}

	describeArtifact(file: string) {
		return this.track(async () => describeArtifact(file, await this.storage('read')), false);
	}

	planRestore({dbType, ...choices}: RestoreChoices) {
		return this.track(async () => planRestore({...choices, storage: await this.storage('read'), target: this.targetFor({dbType})}), true);
	}

	restore({dbType, ...choices}: RestoreChoices) {
		return this.track(async () => runRestore({...choices, storage: await this.storage('read'), target: this.targetFor({dbType})}, this.bus), true);
	}

	catalog(location: string) {
		return this.track(async () => buildCatalog(location, await this.storage('read')), false);
	}

	backupContents(url: string) {
		return this.track(async () => listArtifactContents(url, await this.storage('read')), false);
	}

	verifyBackup(url: string) {
		return this.track(async () => verifyLocation(url, await this.storage('read'), this.bus), false);
	}

	deleteBackup(location: string, name: string, format: 'archive' | 'sql') {
		return this.track(async () => {
			// the stored bytes: no key is needed to delete, and none is loaded
			return deleteBackup(await directoryTarget(location, {s3: s3SettingsOf(this.config()), encryption: undefined}), name, format);
		}, false);
	}

	/** The merged configuration the app was started with; the defaults when none was handed over. */
	private config(): Config {
		return this.binlog.config ?? defaultConfig();
	}

	/** S3 settings and the encryption key from the configuration, for one action (a missing key is that action's error). */
	private storage(purpose: 'write' | 'read'): Promise<StorageOptions> {
		return storageOptionsFor(this.config(), purpose, this.bus);
	}

	binlogOutputDir(): string | undefined {
		return this.binlog.request?.output ?? configuredBinlogDir(this.config());
	}

	streamBinlogs(choices: BinlogStreamChoices, signal: AbortSignal): Promise<BinlogStreamSummary> {
		return this.track(async () => {
			const request = {...this.binlog.request, output: choices.output ?? this.binlog.request?.output};
			const options = await resolveBinlogStream(request, this.config(), this.targetFor({dbType: 'mysql'}));
			return this.runStream('binlog-status', signal, (abort) => runBinlogStream(options, this.bus, abort));
		}, true);
	}

	walOutputDir(): string | undefined {
		return this.binlog.walRequest?.output ?? this.binlog.walRequest?.target;
	}

	streamWal(choices: WalStreamChoices, signal: AbortSignal): Promise<WalStreamSummary> {
		return this.track(async () => {
			// the screen's directory replaces --output/--target (it was asked for when neither was given)
			const request: WalStreamRequest = {...this.binlog.walRequest, output: choices.output ?? this.walOutputDir(), target: undefined};
			const options = resolveWalStreamOptions(request, this.config(), this.targetFor({dbType: 'postgres'}));
			return this.runStream('wal-status', signal, (abort) => runWalStream(options, this.bus, abort));
		}, true);
	}

	/** A streamer run until `signal` aborts, stopped cleanly by stop() too; the header says connected once it streams. */
	private async runStream<T>(statusEvent: 'binlog-status' | 'wal-status', signal: AbortSignal, start: (abort: AbortSignal) => Promise<T>): Promise<T> {
		const abort = new AbortController();
		const forward = () => abort.abort();
		if (signal.aborted) abort.abort();
		else signal.addEventListener('abort', forward, {once: true});
		// the header says connected once the server streams, not only when the stream has ended
		const stopWatching = this.bus.on(statusEvent, (status) => {
			if (status.state === 'streaming' && !this.demo) this.state = 'connected';
		});
		const running = {abort, done: start(abort.signal)};
		this.streams.add(running);
		try {
			return await running.done;
		} finally {
			this.streams.delete(running);
			stopWatching();
			signal.removeEventListener('abort', forward);
		}
	}

	/** The server a request goes to: the one of the kind asked for, else the first MySQL one, else the first. */
	private targetFor({dbType}: ServerPick): ConnectionSettings {
		const target = dbType
			? this.targets.find((candidate) => candidate.dbType === dbType)
			: (this.targets.find((candidate) => candidate.dbType === 'mysql') ?? this.targets[0]);
		if (target) return target;
		throw new UsageError({
			code: 'NO_SERVER',
			message: dbType ? `no ${dbType} server is configured` : 'no server is configured',
			hint: 'Give --host/--db-type, set MYSQL_HOST / PGHOST, write a .dbbackuprc, or start the demo.',
		});
	}

	/**
	 * Runs one action and records how it ended: its failure becomes the exit code, a success clears it.
	 * Actions that talk to the server also move the connection state (the demo keeps its own).
	 */
	private async track<T>(action: () => Promise<T>, reachesServer: boolean): Promise<T> {
		try {
			const value = await action();
			if (reachesServer && !this.demo) this.state = 'connected';
			this.lastFailure = undefined;
			return value;
		} catch (error) {
			if (reachesServer && !this.demo && error instanceof ConnectionError) this.state = 'error';
			this.lastFailure = toDbBackupError(error);
			throw error;
		}
	}

	/** Stops running binlog and WAL streams (each writes its checkpoint), then the demo servers. */
	async stop(): Promise<void> {
		const streams = [...this.streams];
		for (const stream of streams) stream.abort.abort();
		await Promise.allSettled(streams.map((stream) => stream.done));
		await this.demo?.stop();
		this.demo = undefined;
	}
}
