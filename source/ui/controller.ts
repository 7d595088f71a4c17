import type {DetectedEnvironment} from '../core/detect/types.ts';
import type {EngineSelection} from '../engines/selection-types.ts';

export type {DetectedEnvironment} from '../core/detect/types.ts';

export type ConnectionState = 'not-configured' | 'connecting' | 'connected' | 'error' | 'demo';

/**
 * Everything the Ink app can ask for. The CLI implements it; the screens do no I/O of their own.
 * Methods that fail reject with a DbBackupError (code, message, hint), which the screens show.
 */
export interface AppController {
	/** e.g. "mysql root@127.0.0.1:3306" or "not configured" */
	connectionLabel(): string;
	connectionState(): ConnectionState;
	/** false when no server is configured: the home menu then offers the demo first */
	isConfigured(): boolean;
	/** one per configured server (the demo has a MariaDB and a PostgreSQL) */
	detect(): Promise<DetectedEnvironment[]>;
	/** one per server, in the same order as detect() */
	selectEngine(): Promise<EngineSelection[]>;
	/** starts throwaway servers; afterwards isConfigured() is true */
	startDemo(): Promise<void>;
}
