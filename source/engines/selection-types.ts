import type {Availability, EngineName} from './types.ts';

export interface EngineAvailabilityRow {
	name: EngineName;
	description: string;
	kind: 'logical' | 'physical';
	availability: Availability;
}

/** What `engine select` decides, with the reasons in the order the criteria were applied. */
export interface EngineSelection {
	/** the first available engine in order of preference, or null when none can run */
	engine: EngineName | null;
	/** what the criteria prefer for this server, whether or not it can run right now */
	preferred: EngineName;
	/** one sentence per criterion applied, in order */
	reasons: string[];
	/** every engine considered for this database type, with its availability */
	candidates: EngineAvailabilityRow[];
}
