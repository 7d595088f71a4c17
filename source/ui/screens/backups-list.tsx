import {Box, Text, useInput, type Key} from 'ink';
import {useRef, useState} from 'react';
import {formatBytes} from '../../core/format.ts';
import {windowStart} from '../components/menu.tsx';
import type {Catalog, CatalogBackup, CatalogStream, RecoveryWindow} from '../controller.ts';
import {useScreenKeys} from '../frame-keys.ts';
import {rowsLeft, useBodySize} from '../layout.ts';
import {plural} from '../wording.ts';

/** A backup as the catalog gives it; `pinned` once the catalog says (a `NAME.pin` marker beside it). */
export type ShownBackup = CatalogBackup & {pinned?: boolean};

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const HALF_YEAR_MS = 182 * 24 * 60 * 60 * 1000;

/**
 * A time in local time, short, as `ls -l` gives it: "Nov 15 14:03", or "Nov 15  2025" when it is more than
 * half a year from `now`; the input as it is when it does not parse.
 */
export function shortTime(iso: string, now: number = Date.now()): string {
	const time = Date.parse(iso);
	if (Number.isNaN(time)) return iso;
	const date = new Date(time);
	const pad = (n: number) => String(n).padStart(2, '0');
	const day = `${MONTHS[date.getMonth()]} ${pad(date.getDate())}`;
	return Math.abs(now - time) > HALF_YEAR_MS ? `${day}  ${date.getFullYear()}` : `${day} ${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/** Encrypted, incomplete (or unreadable), pinned: one cell each, a space when not. */
export function backupFlags(backup: ShownBackup): string {
	return [backup.encrypted ? 'E' : ' ', !backup.complete || backup.problem !== undefined ? '!' : ' ', backup.pinned ? 'P' : ' '].join('');
}

export const FLAG_LEGEND = 'E encrypted  ! incomplete or unreadable  P pinned';

/** "mysqldump (logical)" (the kind only `withKind`); "no key" for an encrypted backup that could not be read. */
export function engineText(backup: ShownBackup, withKind = true): string {
	if (!backup.readable) return 'no key';
	if (backup.engine) return withKind && backup.kind ? `${backup.engine} (${backup.kind})` : backup.engine;
	if (backup.writer) return backup.writer.replace(/^an? /, '');
	return backup.format === 'sql' ? 'SQL script' : '?';
}

/** "shop, analytics"; "?" when it could not be read, "—" when it names none. */
export function databasesText(backup: ShownBackup): string {
	if (!backup.readable) return '?';
	const names = backup.databases ?? [];
	return names.length === 0 ? '—' : names.join(', ');
}

export interface TableColumns {
	time: number;
	name: number;
	engine: number;
	databases: number;
	size: number;
	compression: number;
	flags: number;
	/** room for "engine (kind)" */
	withKind: boolean;
}

/** the cursor's column */
const CURSOR = 2;

/** Column widths (each with its gap) for a table `width` wide: the name and the databases share what the others leave. */
export function tableColumns(width: number): TableColumns {
	const withKind = width >= 100;
	// a size is 8 cells at most ("1023 KiB"), a compression 4 ("zstd")
	const fixed = {time: 13, engine: withKind ? 21 : 11, size: 9, compression: 5, flags: 3};
	const rest = Math.max(12, width - CURSOR - fixed.time - fixed.engine - fixed.size - fixed.compression - fixed.flags);
	const databases = Math.max(6, Math.min(30, Math.floor(rest * 0.3)));
	return {...fixed, name: rest - databases, databases, withKind};
}

interface CellProps {
	width: number;
	children: string;
	right?: boolean;
	middle?: boolean;
	dim?: boolean;
	bold?: boolean;
	color?: string;
	/** the last column has no gap after it */
	last?: boolean;
}

function Cell({width, children, right = false, middle = false, dim = false, bold = false, color, last = false}: CellProps) {
	return (
		<Box width={width} flexShrink={0} paddingRight={last ? 0 : 1} justifyContent={right ? 'flex-end' : 'flex-start'}>
			<Text wrap={middle ? 'truncate-middle' : 'truncate-end'} dimColor={dim} bold={bold} color={color}>
				{children}
			</Text>
		</Box>
	);
}

function HeaderRow({columns}: {columns: TableColumns}) {
	return (
		// cut at the edge on a terminal too narrow for the columns' least widths
		<Box overflow="hidden">
			<Box width={CURSOR} flexShrink={0} />
			<Cell width={columns.time} bold>
				Started
			</Cell>
			<Cell width={columns.name} bold>
				Name
			</Cell>
			<Cell width={columns.engine} bold>
				Engine
			</Cell>
			<Cell width={columns.databases} bold>
				Databases
			</Cell>
			<Cell width={columns.size} bold right>
				Size
			</Cell>
			<Cell width={columns.compression} bold>
				Comp
			</Cell>
			<Cell width={columns.flags} bold last>
				Flg
			</Cell>
		</Box>
	);
}

function BackupRow({backup, columns, selected}: {backup: ShownBackup; columns: TableColumns; selected: boolean}) {
	const color = selected ? 'cyan' : undefined;
	const flags = backupFlags(backup);
	return (
		<Box overflow="hidden">
			<Box width={CURSOR} flexShrink={0}>
				<Text color="cyan">{selected ? '❯' : ' '}</Text>
			</Box>
			<Cell width={columns.time} dim={!selected} color={color}>
				{shortTime(backup.at)}
			</Cell>
			<Cell width={columns.name} middle color={color}>
				{backup.name}
			</Cell>
			<Cell width={columns.engine} dim={!backup.readable} color={color}>
				{engineText(backup, columns.withKind)}
			</Cell>
			<Cell width={columns.databases} dim={!backup.readable} color={color}>
				{databasesText(backup)}
			</Cell>
			<Cell width={columns.size} right color={color}>
				{formatBytes(backup.bytes)}
			</Cell>
			<Cell width={columns.compression} dim color={color}>
				{backup.compression ?? (backup.readable ? '—' : '?')}
			</Cell>
			<Cell width={columns.flags} color={flags.includes('!') ? 'yellow' : color} last>
				{flags}
			</Cell>
		</Box>
	);
}

interface BackupTableProps {
	backups: ShownBackup[];
	selected: number;
	/** rows for the header, the backups and their "more" lines; all of them when absent */
	rows?: number;
}

/** The backups as a table under a header row, a window of them around the cursor when they do not all fit. */
export function BackupTable({backups, selected, rows}: BackupTableProps) {
	const columns = tableColumns(useBodySize().columns);
	const room = rows === undefined ? backups.length : Math.max(1, rows - 1);
	// a window leaves a row above and below for what it hides
	const size = backups.length <= room ? backups.length : Math.max(1, room - 2);
	const start = windowStart(backups.length, selected, size);
	const below = backups.length - start - size;
	return (
		<Box flexDirection="column">
			<HeaderRow columns={columns} />
			{start > 0 ? <Text dimColor>  ↑ {start} more</Text> : null}
			{backups.slice(start, start + size).map((backup, offset) => (
				<BackupRow key={backup.url} backup={backup} columns={columns} selected={start + offset === selected} />
			))}
			{below > 0 ? <Text dimColor>  ↓ {below} more</Text> : null}
		</Box>
	);
}

/** "2 streams (1 running, 1 with gaps)", "none". */
export function streamsText(streams: CatalogStream[]): string {
	if (streams.length === 0) return 'none';
	const running = streams.filter((stream) => stream.running.state === 'running').length;
	const gaps = streams.filter((stream) => stream.gaps.length > 0).length;
	const locked = streams.filter((stream) => !stream.readable).length;
	const details = [running > 0 ? `${running} running` : 'none running', gaps > 0 ? `${gaps} with gaps` : '', locked > 0 ? `${locked} encrypted, no key` : ''].filter(Boolean);
	return `${plural(streams.length, 'stream')} (${details.join(', ')})`;
}

/**
 * "mysql shop: any moment Nov 14 02:00 → Nov 15 14:03 (3 backups)" with the binlogs (a point in time);
 * "backup moments Nov 12 02:00 → Nov 14 02:00 (2 backups)" without; "only Nov 12 02:00 (1 backup)".
 */
export function windowText(window: RecoveryWindow, now?: number): string {
	const earliest = shortTime(window.earliest.at, now);
	const latest = shortTime(window.latest.at, now);
	const reach = window.pointInTime
		? `any moment ${earliest} → ${latest}`
		: window.earliest.at === window.latest.at
			? `only ${earliest}`
			: `backup moments ${earliest} → ${latest}`;
	return `${window.dbType} ${window.database}: ${reach} (${plural(window.backups, 'backup')})`;
}

/** The first summary line: streams, work in progress, notes. */
export function summaryText(catalog: Catalog): string {
	const parts = [`Streams: ${streamsText(catalog.streams)}`];
	if (catalog.work.length > 0) parts.push(`${catalog.work.length} in progress`);
	if (catalog.notes.length > 0) parts.push(plural(catalog.notes.length, 'note'));
	return parts.join(' · ');
}

/** backups PgUp/PgDn move the cursor by */
const PAGE = 10;

/** window rows under the streams line at most, in the list */
const WINDOWS_SHOWN = 2;
/** backups shown at least before the window rows give way */
const LEAST_BACKUPS = 3;

/** The rows the summary below the table takes: the streams line, the windows (some when room is short) and their "more" line. */
export function summaryRows(catalog: Catalog, room: number | undefined): {windows: number; rows: number} {
	const count = catalog.windows.length;
	const wanted = Math.min(Math.max(1, count), WINDOWS_SHOWN);
	const rowsFor = (windows: number) => 1 + windows + (count > windows ? 1 : 0);
	if (room === undefined) return {windows: wanted, rows: rowsFor(wanted)};
	for (let windows = wanted; windows > 0; windows--) {
		if (room - rowsFor(windows) >= LEAST_BACKUPS + 1) return {windows, rows: rowsFor(windows)};
	}
	return {windows: 0, rows: 1};
}

function CatalogSummary({catalog, windows}: {catalog: Catalog; windows: number}) {
	const shown = catalog.windows.slice(0, windows);
	const hidden = catalog.windows.length - shown.length;
	return (
		<Box flexDirection="column">
			<Text wrap="truncate-end">{summaryText(catalog)}</Text>
			{catalog.windows.length === 0 && windows > 0 ? <Text wrap="truncate-end">Recovery window: no complete backup to restore</Text> : null}
			{shown.map((window) => (
				<Text key={`${window.dbType}:${window.database}`} wrap="truncate-end">
					Window {windowText(window)}
				</Text>
			))}
			{hidden > 0 ? (
				<Text dimColor wrap="truncate-end">
					… {plural(hidden, 'more window')} (s shows all)
				</Text>
			) : null}
		</Box>
	);
}

export interface BackupListProps {
	catalog: Catalog;
	/** newest first */
	backups: ShownBackup[];
	/** the backup the cursor starts on */
	initial: number;
	/** a line above the list (what the last action did) */
	message?: {text: string; color: string};
	onMove: (index: number) => void;
	onOpen: (index: number) => void;
	onVerify: (index: number) => void;
	onRestore: (index: number) => void;
	onDelete: (index: number) => void;
	onSummary: () => void;
	onBack: () => void;
}

/**
 * The backups of the location, newest first, and below them the streams and the recovery window of each
 * database. ↑/↓ (k/j) move; Enter opens the detail; v verifies, r restores, d deletes the one under the
 * cursor; s shows the streams, windows, work and notes in full. The cursor lives in a ref, as in the menus.
 */
export function BackupList({catalog, backups, initial, message, onMove, onOpen, onVerify, onRestore, onDelete, onSummary, onBack}: BackupListProps) {
	const cursor = useRef(initial);
	const [, setShown] = useState(initial);
	const {rows} = useBodySize();
	const at = () => Math.max(0, Math.min(cursor.current, backups.length - 1));
	const any = backups.length > 0;
	useScreenKeys({
		hints: [
			...(any
				? [
						{key: '↑/↓', action: 'move'},
						{key: 'Enter', action: 'open'},
						{key: 'v', action: 'verify'},
						{key: 'r', action: 'restore'},
						{key: 'd', action: 'delete'},
					]
				: []),
			{key: 's', action: 'summary'},
		],
		escape: {action: 'back', run: onBack},
	});
	const moveTo = (next: number) => {
		cursor.current = next;
		setShown(next);
		onMove(next);
	};
	/** one key; true once it has left the list (what follows it in the packet is not for the list) */
	const press = (input: string, key: Partial<Key>): boolean => {
		if (input === 's') {
			onSummary();
			return true;
		}
		if (!any) return false;
		const index = at();
		if (key.upArrow || input === 'k') moveTo(Math.max(0, index - 1));
		else if (key.downArrow || input === 'j') moveTo(Math.min(backups.length - 1, index + 1));
		else if (key.pageUp) moveTo(Math.max(0, index - PAGE));
		else if (key.pageDown) moveTo(Math.min(backups.length - 1, index + PAGE));
		else if (key.return) onOpen(index);
		else if (input === 'v') onVerify(index);
		else if (input === 'r') onRestore(index);
		else if (input === 'd') onDelete(index);
		else return false;
		return !(key.upArrow || key.downArrow || key.pageUp || key.pageDown || input === 'j' || input === 'k');
	};
	useInput((input, key) => {
		// letters typed faster than the terminal sends them arrive as one text ("jjj"): each one counts
		if (input.length <= 1 || key.ctrl || key.meta) press(input, key);
		else for (const letter of input) if (press(letter, {})) break;
	});

	const flagged = backups.some((backup) => backupFlags(backup).trim() !== '');
	// the title, the message, the blank row before the summary and the legend come off the table's rows
	const used = 1 + (message ? 1 : 0) + 1 + (flagged ? 1 : 0);
	const summary = summaryRows(catalog, rowsLeft(rows, used));
	const tableRows = rowsLeft(rows, used + summary.rows, 2);
	return (
		<Box flexDirection="column">
			<Text wrap="truncate-middle">
				{any ? `${plural(backups.length, 'backup')} at ` : 'No backups at '}
				<Text bold>{catalog.location}</Text>
			</Text>
			{message ? (
				<Text color={message.color} wrap="truncate-end">
					{message.text}
				</Text>
			) : null}
			{any ? <BackupTable backups={backups} selected={at()} rows={tableRows} /> : null}
			<Box marginTop={1} flexDirection="column">
				<CatalogSummary catalog={catalog} windows={summary.windows} />
				{flagged ? (
					<Text dimColor wrap="truncate-end">
						{FLAG_LEGEND}
					</Text>
				) : null}
			</Box>
		</Box>
	);
}
