import {Box, Text} from 'ink';
import {useEffect, useState, type ReactNode} from 'react';
import type {EventBus, ProgressItem} from '../../core/events.ts';
import {formatBytes, formatPercent} from '../../core/format.ts';
import type {EngineNote} from '../engine-pick.ts';
import {useBodySize} from '../layout.ts';
import {FIELD_LABEL_WIDTH} from './field-row.tsx';
import {barText} from './progress-bar.tsx';

export type {EngineNote} from '../engine-pick.ts';

/** Rows the panel takes at most: the engine, two of reasons, the quiesce time, the current file. */
export const PHYSICAL_PANEL_ROWS = 5;
/** rows of the selector's reasons at most */
const REASON_ROWS = 2;
/** a file at least this big shows its own bar; a smaller one goes by too fast for one */
export const BIG_FILE_BYTES = 32 * 1024 * 1024;
const FILE_BAR_CELLS = 16;

/**
 * `text` in rows of at most `width` cells, broken between words, at most `rows` of them; text that does
 * not fit ends the last row with "…".
 */
export function wrapWords(text: string, width: number, rows: number): string[] {
	const room = Math.max(1, width);
	const lines: string[] = [];
	let line = '';
	const words = text.split(/\s+/).filter((word) => word !== '');
	for (let index = 0; index < words.length; index++) {
		let word = words[index]!;
		if (line !== '' && line.length + 1 + word.length <= room) {
			line += ` ${word}`;
			continue;
		}
		if (line !== '') lines.push(line);
		// a word longer than a row is cut into rows of its own
		while (word.length > room) {
			lines.push(word.slice(0, room));
			word = word.slice(room);
		}
		line = word;
		if (lines.length >= rows) {
			const kept = lines.slice(0, rows);
			kept[rows - 1] = `${kept[rows - 1]!.slice(0, room - 1)}…`;
			return kept;
		}
	}
	if (line !== '') lines.push(line);
	return lines;
}

/** "12.3 ms", "1.25 s": a lock or snapshot time. */
export function formatMs(ms: number): string {
	return ms < 1000 ? `${ms.toFixed(1)} ms` : `${(ms / 1000).toFixed(2)} s`;
}

/** How long the engine held the server's writes and took for the snapshot, from the log line that says so. */
export interface QuiesceTimes {
	quiesceMs: number;
	snapshotMs?: number;
}

/** The quiesce time an engine logs (`fields: {quiesceMs, snapshotMs}`), once it has. */
export function useQuiesceTimes(bus: EventBus): QuiesceTimes | undefined {
	const [times, setTimes] = useState<QuiesceTimes>();
	useEffect(
		() =>
			bus.on('log', (event) => {
				const quiesceMs = event.fields?.quiesceMs;
				const snapshotMs = event.fields?.snapshotMs;
				if (typeof quiesceMs !== 'number' || !Number.isFinite(quiesceMs)) return;
				setTimes({quiesceMs, ...(typeof snapshotMs === 'number' && Number.isFinite(snapshotMs) ? {snapshotMs} : {})});
			}),
		[bus],
	);
	return times;
}

/** The item (file) a progress task says it is on; gone when that task's next figure names none. */
export function useCurrentItem(bus: EventBus): ProgressItem | undefined {
	const [current, setCurrent] = useState<{task: string; item: ProgressItem}>();
	useEffect(
		() =>
			bus.on('progress', (event) => {
				if (event.item) setCurrent({task: event.task, item: event.item});
				else setCurrent((shown) => (shown?.task === event.task ? undefined : shown));
			}),
		[bus],
	);
	return current?.item;
}

function Row({label, children}: {label: string; children: ReactNode}) {
	return (
		<Box>
			<Box width={FIELD_LABEL_WIDTH} flexShrink={0}>
				<Text bold>{label}</Text>
			</Box>
			{children}
		</Box>
	);
}

/** "base/16384/16397  ██████░░░░  62%  640 MiB / 1.0 GiB" for a big file; its name and size for a small one. */
function FileLine({item, room}: {item: ProgressItem; room: number}) {
	const big = item.total >= BIG_FILE_BYTES;
	const fraction = item.total > 0 ? Math.min(1, item.done / item.total) : 1;
	const percent = formatPercent(item.done, item.total).padStart(4);
	const amount = big ? `${formatBytes(item.done)} / ${formatBytes(item.total)}` : formatBytes(item.total);
	// the figures after the name: two spaces, then the bar and percent (a big file), then the bytes
	const figures = 2 + (big ? FILE_BAR_CELLS + 1 + percent.length + 2 : 0) + amount.length;
	// the name gets what the figures leave (cut in the middle beyond)
	const nameCells = Math.min(item.name.length, Math.max(8, room - figures));
	return (
		<Box flexShrink={1}>
			<Box width={nameCells} flexShrink={0}>
				<Text wrap="truncate-middle">{item.name}</Text>
			</Box>
			<Text wrap="truncate-end">
				{'  '}
				{big ? (
					<Text>
						<Text color="cyan">{barText(fraction, FILE_BAR_CELLS)}</Text> {percent}
						{'  '}
						{amount}
					</Text>
				) : (
					<Text dimColor>{amount}</Text>
				)}
			</Text>
		</Box>
	);
}

/**
 * What a physical backup adds to the run's progress: the engine and the selector's reasons for it, how
 * long writes were held (once the engine says), and the file being read with its own bar when it is big.
 * The stage, the stage trail and the throughput bars are RunProgress's, as for any backup.
 */
export function PhysicalPanel({bus, note}: {bus: EventBus; note?: EngineNote}) {
	const {columns} = useBodySize();
	const quiesce = useQuiesceTimes(bus);
	const item = useCurrentItem(bus);
	const room = columns - FIELD_LABEL_WIDTH;
	const reasons = note ? wrapWords(note.reasons.join(' '), room, REASON_ROWS) : [];
	return (
		<Box flexDirection="column">
			{note ? (
				<Row label="Engine">
					<Text wrap="truncate-end">
						{note.engine}
						{note.recommended === undefined ? null : note.recommended === note.engine ? (
							<Text dimColor> (recommended)</Text>
						) : (
							<Text dimColor>
								{' '}
								(picked; {note.recommended === null ? 'the selector found none that can run' : `the selector recommends ${note.recommended}`})
							</Text>
						)}
					</Text>
				</Row>
			) : null}
			{reasons.map((line, index) => (
				<Box key={index} marginLeft={FIELD_LABEL_WIDTH}>
					<Text dimColor>{line}</Text>
				</Box>
			))}
			{quiesce ? (
				<Row label="Quiesce">
					<Text wrap="truncate-end">
						{/* 0: the engine held nothing (PostgreSQL's snapshot after a CHECKPOINT) */}
						{quiesce.quiesceMs === 0 ? 'no writes held' : `writes held ${formatMs(quiesce.quiesceMs)}`}
						{quiesce.snapshotMs === undefined ? null : `, snapshot ${formatMs(quiesce.snapshotMs)}`}
					</Text>
				</Row>
			) : null}
			{item ? (
				<Row label="File">
					<FileLine item={item} room={room} />
				</Row>
			) : null}
		</Box>
	);
}
