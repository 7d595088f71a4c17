import type {ConnectionSettings} from '../core/connection-settings.ts';
import {describeTarget} from '../core/connection-settings.ts';
import type {DetectedEnvironment} from '../core/detect/types.ts';
import type {EventBus} from '../core/events.ts';
import {toDbBackupError, type DbBackupError} from '../core/errors.ts';
import {selectEngine} from '../engines/selector.ts';
import type {SelectionContext} from '../engines/types.ts';
import {startDemo, type RunningDemo} from '../services/demo.ts';
import {detectServer, logFindings} from '../services/environment.ts';
import type {AppController, ConnectionState} from '../ui/controller.ts';

/**
 * The Ink app's view of the services: it holds the servers to work on (configured ones, or the demo's
 * once started) and turns screen requests into service calls.
 */
export class CliAppController implements AppController {
	private demo?: RunningDemo;
	private state: ConnectionState;
	private lastEnvironments?: DetectedEnvironment[];
	/** the failure of the last action, if it failed: the exit code when the user quits */
	lastFailure?: DbBackupError;

	constructor(
		private readonly bus: EventBus,
		private targets: ConnectionSettings[],
		private readonly configured: boolean,
		private readonly selection: SelectionContext = {},
	) {
		this.state = configured ? 'connecting' : 'not-configured';
	}

	connectionLabel(): string {
		if (!this.configured && !this.demo) return 'not configured';
		return this.targets.map((target) => `${target.dbType} ${target.user}@${describeTarget(target)}`).join(' · ');
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
	}

	async stop(): Promise<void> {
		await this.demo?.stop();
		this.demo = undefined;
	}
}
