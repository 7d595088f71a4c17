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
	/** how many times in a row this same line came (a backup logs its engine selection every run) */
	count: number;
}

const levelColor: Record<LogEntry['level'], string | undefined> = {
	debug: 'gray',
	info: undefined,
	warn: 'yellow',
	error: 'red',
};

const levelTag: Record<LogEntry['level'], string> = {debug: 'debug', info: 'info ', warn: 'warn ', error: 'error'};

/** Entries the frame keeps: the most a log pane shows on a tall terminal. */
export const LOG_ENTRIES_KEPT = 6;

/** Log rows for a terminal this tall: about an eighth of it, 1 to 6; 6 when the height is unknown. */
export function logPaneRows(terminalRows: number | undefined): number {
	if (terminalRows === undefined) return LOG_ENTRIES_KEPT;
	return Math.max(1, Math.min(LOG_ENTRIES_KEPT, Math.floor(terminalRows / 8)));
}

function sameLine(a: Omit<LogEntry, 'id' | 'count'>, b: Omit<LogEntry, 'id' | 'count'>): boolean {
	return a.level === b.level && a.message === b.message && a.hint === b.hint;
}

interface LogOptions {
	/** how many entries are kept; older ones drop off */
	limit?: number;
	/** debug lines are noise in the TUI unless asked for */
	showDebug?: boolean;
}

/** The last `limit` log, warning and error events from the bus; a line that repeats the one before counts up instead. */
export function useLogEntries(bus: EventBus, {limit = LOG_ENTRIES_KEPT, showDebug = false}: LogOptions = {}): LogEntry[] {
	const [entries, setEntries] = useState<LogEntry[]>([]);
	const nextId = useRef(0);

	useEffect(() => {
		const add = (entry: Omit<LogEntry, 'id' | 'count'>) => {
			setEntries((list) => {
				const last = list.at(-1);
				if (last && sameLine(last, entry)) return [...list.slice(0, -1), {...last, time: entry.time, count: last.count + 1}];
				return [...list, {...entry, id: nextId.current++, count: 1}].slice(-limit);
			});
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
	return entries;
}

/** The entries, one row each (cut at the terminal's edge), coloured by level, under a rule. Nothing without entries. */
export function LogLines({entries}: {entries: LogEntry[]}) {
	if (entries.length === 0) return null;
	return (
		<Box flexDirection="column" flexShrink={0} borderStyle="single" borderDimColor borderBottom={false} borderLeft={false} borderRight={false}>
			{entries.map((entry) => (
				<Text key={entry.id} color={levelColor[entry.level]} wrap="truncate-end">
					<Text dimColor>{formatClock(entry.time)} </Text>
					{levelTag[entry.level]} {entry.count > 1 ? <Text bold>×{entry.count} </Text> : null}
					{entry.message}
					{entry.hint ? <Text dimColor> → {entry.hint}</Text> : null}
				</Text>
			))}
		</Box>
	);
}

/** The last few log, warning and error events from the bus, for a component shown on its own. */
export function LogPane({bus, limit = LOG_ENTRIES_KEPT, showDebug = false}: {bus: EventBus} & LogOptions) {
	return <LogLines entries={useLogEntries(bus, {limit, showDebug})} />;
}
