import {Box, Text} from 'ink';
import {useEffect, useRef, useState} from 'react';
import type {EventBus} from '../../core/events.ts';
import {formatClock} from '../../core/format.ts';

export interface LogEntry {
	id: number;
	time: string;
	level: 'debug' | 'info' | 'warn' | 'error';
	message: string;
	hint?: string;
}

const levelColor: Record<LogEntry['level'], string | undefined> = {
	debug: 'gray',
	info: undefined,
	warn: 'yellow',
	error: 'red',
};

const levelTag: Record<LogEntry['level'], string> = {debug: 'debug', info: 'info ', warn: 'warn ', error: 'error'};

interface LogPaneProps {
	bus: EventBus;
	/** how many entries stay visible; older ones drop off */
	limit?: number;
	/** debug lines are noise in the TUI unless asked for */
	showDebug?: boolean;
}

/** The last few log, warning and error events from the bus, coloured by level. Renders nothing until one arrives. */
export function LogPane({bus, limit = 6, showDebug = false}: LogPaneProps) {
	const [entries, setEntries] = useState<LogEntry[]>([]);
	const nextId = useRef(0);

	useEffect(() => {
		const add = (entry: Omit<LogEntry, 'id'>) => {
			const id = nextId.current++;
			setEntries((list) => [...list, {...entry, id}].slice(-limit));
		};
		const unsubscribers = [
			bus.on('log', (event) => {
				if (event.level === 'debug' && !showDebug) return;
				add({time: event.time, level: event.level, message: event.message});
			}),
			bus.on('warning', (event) => add({time: event.time, level: 'warn', message: event.message, hint: event.hint})),
			bus.on('error', (event) =>
				add({time: event.time, level: 'error', message: `${event.message} [${event.code}]`, hint: event.hint}),
			),
		];
		return () => {
			for (const unsubscribe of unsubscribers) unsubscribe();
		};
	}, [bus, limit, showDebug]);

	if (entries.length === 0) return null;
	return (
		<Box flexDirection="column" borderStyle="single" borderDimColor borderBottom={false} borderLeft={false} borderRight={false}>
			{entries.map((entry) => (
				<Text key={entry.id} color={levelColor[entry.level]}>
					<Text dimColor>{formatClock(entry.time)} </Text>
					{levelTag[entry.level]} {entry.message}
					{entry.hint ? <Text dimColor> → {entry.hint}</Text> : null}
				</Text>
			))}
		</Box>
	);
}
