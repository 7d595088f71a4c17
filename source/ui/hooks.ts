import {useEffect, useRef, useState} from 'react';
import {toDbBackupError, type DbBackupError} from '../core/errors.ts';
import type {EventBus, EventOf, EventType} from '../core/events.ts';

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
