import type {LoadedConfig} from '../core/config/types.ts';
import type {ConnectionSettings} from '../core/connection-settings.ts';
import type {EventBus} from '../core/events.ts';
import type {FlagName, ParsedFlags} from './parse.ts';

/** What every command gets: the bus, its words and flags, the merged config and the servers to work on. */
export interface CommandContext {
	bus: EventBus;
	words: string[];
	flags: ParsedFlags;
	/** the flags written on the command line (not their defaults) */
	given: ReadonlyMap<FlagName, unknown>;
	loaded: LoadedConfig;
	env: NodeJS.ProcessEnv;
	home: string;
	/** the servers resolved from flags, environment, config and option files */
	targets: ConnectionSettings[];
	/** run at exit, also on Ctrl+C (stopping demo servers, closing connections) */
	onCleanup(fn: () => Promise<void>): void;
	/** resolves when the user interrupts (Ctrl+C / SIGTERM) */
	interrupted: Promise<void>;
}

export type Command = (ctx: CommandContext) => Promise<void>;
