import {useEffect, useRef, useState} from 'react';
import {toDbBackupError, type DbBackupError} from '../core/errors.ts';
import type {EventBus, EventOf, EventType} from '../core/events.ts';
import {RingBuffer} from './ring-buffer.ts';

/** The latest event of one type seen since the component mounted. */
export function useLatestEvent<K extends EventType>(bus: EventBus, type: K): EventOf<K> | undefined {
	const [event, setEvent] = useState<EventOf<K>>();
	useEffect(() => bus.on(type, (next) => setEvent(next)), [bus, type]);
	return event;
}

/** The last `limit` events of one type seen since the component mounted, oldest first. */
export function useRecentEvents<K extends EventType>(bus: EventBus, type: K, limit: number): Array<EventOf<K>> {
	const [events, setEvents] = useState<Array<EventOf<K>>>([]);
	useEffect(() => bus.on(type, (next) => setEvents((list) => [...list, next].slice(-limit))), [bus, type, limit]);
	return events;
}

export type TaskState<T> =
	| {status: 'running'}
	| {status: 'done'; value: T}
	| {status: 'failed'; error: DbBackupError};

/**
 * Runs an async controller call when the component mounts (and again on `restart`). A result that
 * arrives after unmount or after a restart is dropped. `onChange` fires when the call starts and when
 * it settles (also after unmount), so the frame can re-read state the call changes (the connection header).
 */
export function useTask<T>(run: () => Promise<T>, onChange?: () => void): {state: TaskState<T>; restart: () => void} {
	const [attempt, setAttempt] = useState(0);
	const [state, setState] = useState<TaskState<T>>({status: 'running'});
	const latest = useRef({run, onChange});
	latest.current = {run, onChange};

	useEffect(() => {
		let current = true;
		setState({status: 'running'});
		const settle = (next: TaskState<T>) => {
			if (current) setState(next);
			// even when the screen is gone: the call may have changed what the frame shows (the connection)
			latest.current.onChange?.();
		};
		let promise: Promise<T>;
		try {
			promise = latest.current.run();
		} catch (error) {
			promise = Promise.reject(error);
		}
		latest.current.onChange?.();
		promise.then(
			(value) => settle({status: 'done', value}),
			(error: unknown) => settle({status: 'failed', error: toDbBackupError(error)}),
		);
		return () => {
			current = false;
		};
	}, [attempt]);

	return {state, restart: () => setAttempt((n) => n + 1)};
}

export interface EventWindow<K extends EventType> {
	/** the latest events, oldest first, at most the ring's capacity */
	events: Array<EventOf<K>>;
	/** every event of the type seen since mount */
	total: number;
}

/**
 * The latest `capacity` events of one type, for a feed that can bring thousands a second: events go
 * into a fixed ring as they come, and the component re-renders at most once per `intervalMs`.
 */
export function useThrottledEvents<K extends EventType>(bus: EventBus, type: K, capacity: number, intervalMs = 100): EventWindow<K> {
	const [shown, setShown] = useState<EventWindow<K>>({events: [], total: 0});
	useEffect(() => {
		const ring = new RingBuffer<EventOf<K>>(capacity);
		let total = 0;
		let timer: NodeJS.Timeout | undefined;
		let lastFlush = Number.NEGATIVE_INFINITY;
		const flush = () => {
			timer = undefined;
			lastFlush = Date.now();
			setShown({events: ring.toArray(), total});
		};
		const unsubscribe = bus.on(type, (event) => {
			ring.push(event);
			total++;
			timer ??= setTimeout(flush, Math.max(0, lastFlush + intervalMs - Date.now()));
		});
		return () => {
			unsubscribe();
			if (timer) clearTimeout(timer);
		};
	}, [bus, type, capacity, intervalMs]);
	return shown;
}
