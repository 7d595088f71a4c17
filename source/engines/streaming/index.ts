import {describeRecordedCoordinates} from '../facts.ts';
import {notBuiltReason, refuseNotBuilt} from '../not-built.ts';
import {availability, type BackupEngine, type SelectionContext} from '../types.ts';

const PLANNED = 'streaming to S3';

export function isObjectStoreDestination(destination: string | undefined): boolean {
	return destination !== undefined && /^s3:\/\//i.test(destination);
}

export const streamingEngine: BackupEngine = {
	name: 'streaming',
	aliases: [],
	description: 'A logical or physical backup streamed straight to an object store (S3), no local disk',
	dbTypes: ['mysql', 'postgres'],
	capabilities: {backup: true, restore: true, incremental: false, streaming: true, kind: 'logical'},
	restoreTarget: 'database',
	selection: {
		order: 40,
		fallback: false,
		// the destination is the seed's last criterion and overrides the others
		judge(_env, context) {
			const objectStore = isObjectStoreDestination(context.destination);
			return {
				reasons: [objectStore ? `Destination ${context.destination} is an object store: stream the backup there (no local disk).` : 'Destination is local (no s3:// target): no streaming needed.'],
				prefer: objectStore,
			};
		},
	},

	describeCoordinates: describeRecordedCoordinates,

	checkAvailability(_env, context?: SelectionContext) {
		const reasons: string[] = [];
		if (!isObjectStoreDestination(context?.destination)) {
			reasons.push('streaming is for object-store destinations (--target s3://bucket/path); none was given');
		}
		reasons.push(notBuiltReason('streaming', PLANNED));
		return availability(reasons, [], context?.destination ? {destination: context.destination} : {});
	},

	async backup() {
		refuseNotBuilt('streaming', PLANNED);
	},

	async restore() {
		refuseNotBuilt('streaming', PLANNED);
	},
};
