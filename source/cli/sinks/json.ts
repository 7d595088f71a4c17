import type {Writable} from 'node:stream';
import type {EventBus} from '../../core/events.ts';
import {FeedValve} from './feed-valve.ts';

/** --json: every event as one JSON object per line on stdout (already redacted by the bus). */
export function attachJsonSink(bus: EventBus, stdout: Writable): () => void {
	const feed = new FeedValve(stdout);
	return bus.onAny((event) => {
		if (event.type === 'binlog-event') {
			if (!feed.admit()) return;
			const dropped = feed.takeDropped();
			if (dropped > 0) stdout.write(`${JSON.stringify({type: 'binlog-feed-dropped', time: event.time, count: dropped})}\n`);
		}
		stdout.write(`${JSON.stringify(event)}\n`);
	});
}
