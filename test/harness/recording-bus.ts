import {EventBus, type BusEvent} from '../../source/core/events.ts';

/** A bus that keeps every event it carries, for assertions. */
export function recordingBus(): {bus: EventBus; events: BusEvent[]} {
	const bus = new EventBus();
	const events: BusEvent[] = [];
	bus.onAny((event) => events.push(event));
	return {bus, events};
}
