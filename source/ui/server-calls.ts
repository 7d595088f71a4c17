import type {AppController} from './controller.ts';

export interface TrackedController {
	controller: AppController;
	/** whether a call that goes to a server is on its way now */
	calling: () => boolean;
}

/**
 * The controller as the screens get it: the same calls, with those that go to a server counted while they
 * run, so that the header can tell "connecting…" (a call is on its way) from a state no call has checked
 * yet (the CLI's controller says "connecting" from the start). `onChange` fires when a call starts and ends.
 */
export function trackServerCalls(controller: AppController, onChange: () => void): TrackedController {
	let running = 0;
	const track = <T>(call: () => Promise<T>): Promise<T> => {
		running++;
		onChange();
		let promise: Promise<T>;
		try {
			promise = call();
		} catch (error) {
			promise = Promise.reject(error);
		}
		return promise.finally(() => {
			running--;
			onChange();
		});
	};
	return {
		calling: () => running > 0,
		controller: {
			connectionLabel: () => controller.connectionLabel(),
			connectionState: () => controller.connectionState(),
			isConfigured: () => controller.isConfigured(),
			detect: () => track(() => controller.detect()),
			selectEngine: () => track(() => controller.selectEngine()),
			startDemo: () => controller.startDemo(),
			servers: () => controller.servers(),
			defaultOutputDir: () => controller.defaultOutputDir(),
			previewBackupName: (databases) => controller.previewBackupName(databases),
			defaultWorkers: () => controller.defaultWorkers(),
			defaultCompression: () => controller.defaultCompression(),
			listDatabases: (pick) => track(() => controller.listDatabases(pick)),
			backup: (choices) => track(() => controller.backup(choices)),
			listArtifacts: (dir) => controller.listArtifacts(dir),
			describeArtifact: (path) => controller.describeArtifact(path),
			planRestore: (choices) => track(() => controller.planRestore(choices)),
			restore: (choices) => track(() => controller.restore(choices)),
			binlogOutputDir: () => controller.binlogOutputDir(),
			streamBinlogs: (choices, signal) => track(() => controller.streamBinlogs(choices, signal)),
			// only what the controller has: the screens tell a missing WAL stream by the method's absence
			...(controller.walOutputDir ? {walOutputDir: () => controller.walOutputDir!()} : {}),
			...(controller.streamWal ? {streamWal: (choices, signal) => track(() => controller.streamWal!(choices, signal))} : {}),
			// the Backups screen's calls read and delete files: no server
			catalog: (location) => controller.catalog(location),
			backupContents: (url) => controller.backupContents(url),
			verifyBackup: (url) => controller.verifyBackup(url),
			deleteBackup: (location, name, format) => controller.deleteBackup(location, name, format),
		},
	};
}
