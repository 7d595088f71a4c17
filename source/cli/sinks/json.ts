import type {Writable} from 'node:stream';
import type {EventBus} from '../../core/events.ts';
import {FeedValve} from './feed-valve.ts';

/** --json: every event as one JSON object per line on stdout (already redacted by the bus). */
export function attachJsonSink(bus: EventBus, stdout: Writable): () => void {
	const feed = new FeedValve(stdout, (count) => stdout.write(`${JSON.stringify({type: 'binlog-feed-dropped', time: new Date().toISOString(), count})}\n`));
	const detach = bus.onAny((event) => {
		if (event.type === 'binlog-event') {
			feed.offer(`${JSON.stringify(event)}\n`);
			return;
		}
		feed.flush();
		stdout.write(`${JSON.stringify(event)}\n`);
	});
	return () => {
		detach();
		feed.flush();
	};
}
