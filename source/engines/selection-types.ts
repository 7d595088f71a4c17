import type {DbType} from '../core/detect/types.ts';
import type {Availability, EngineCapabilities, EngineName} from './types.ts';

/** An engine as it stands on one server: its facts and whether it can run there (reports need no registry). */
export interface EngineAvailabilityRow {
	name: EngineName;
	aliases: string[];
	description: string;
	kind: 'logical' | 'physical';
	dbTypes: DbType[];
	capabilities: EngineCapabilities;
	availability: Availability;
}

/** What `engine select` decides, with the reasons in the order the criteria were applied. */
export interface EngineSelection {
	/** the database type of the server the selection was made for */
	dbType: DbType;
	/** the first available engine in order of preference, or null when none can run */
	engine: EngineName | null;
	/** what the criteria prefer for this server, whether or not it can run right now */
	preferred: EngineName;
	/** one sentence per criterion applied, in order */
	reasons: string[];
	/** every engine considered for this database type, with its availability */
	candidates: EngineAvailabilityRow[];
}
