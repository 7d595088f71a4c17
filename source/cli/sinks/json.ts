import type {Writable} from 'node:stream';
import type {EventBus} from '../../core/events.ts';

/** --json: every event as one JSON object per line on stdout (already redacted by the bus). */
export function attachJsonSink(bus: EventBus, stdout: Writable): () => void {
	return bus.onAny((event) => {
		stdout.write(`${JSON.stringify(event)}\n`);
	});
}
