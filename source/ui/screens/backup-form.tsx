import {Box, Text, useInput} from 'ink';
import {useRef, useState} from 'react';
import {formatBytes} from '../../core/format.ts';
import {defaultBackupPath, runTag} from '../../core/backup-name.ts';
import {ErrorMessage} from '../components/error-message.tsx';
import {FIELD_LABEL_WIDTH} from '../components/field-row.tsx';
import {windowStart} from '../components/menu.tsx';
import {OptionRow} from '../components/option-row.tsx';
import {StageLine} from '../components/stage-line.tsx';
import {TextInput} from '../components/text-input.tsx';
import type {BackupChoices, DatabaseSummary} from '../controller.ts';
import {useScreenKeys} from '../frame-keys.ts';
import {useTask} from '../hooks.ts';
import {fitCount, useBodySize} from '../layout.ts';
import type {ScreenProps} from '../screen.ts';
import {plural} from '../wording.ts';

export const COMPRESSIONS = ['zstd', 'gzip', 'none'] as const;
export const MAX_WORKERS = 64;
/** database rows at most, however tall the terminal */
const DATABASES_SHOWN = 10;

type Compression = (typeof COMPRESSIONS)[number];
type Row = {kind: 'server'} | {kind: 'all'} | {kind: 'database'; database: DatabaseSummary} | {kind: 'output' | 'compress' | 'workers'};

const formHints = [
	{key: '↑/↓', action: 'move'},
	{key: 'Space', action: 'select'},
	{key: '←/→', action: 'change'},
	{key: 'e', action: 'edit path'},
	{key: 'Enter', action: 'start'},
];
const editHints = [
	{key: 'Enter', action: 'keep path'},
	{key: 'Ctrl+U', action: 'clear'},
];

function cycle<T>(values: readonly T[], current: T, step: number): T {
	const index = values.indexOf(current);
	return values[(index + step + values.length) % values.length]!;
}

interface BackupFormProps extends Pick<ScreenProps, 'bus' | 'controller' | 'refresh'> {
	/** the choices of a run that failed, to try again with */
	initial?: BackupChoices;
	onStart: (choices: BackupChoices) => void;
}

/** What to back up and how: databases (or all), output path, compression, workers; Enter starts. */
export function BackupForm({bus, controller, refresh, initial, onStart}: BackupFormProps) {
	const servers = controller.servers();
	const [serverIndex, setServerIndex] = useState(() =>
		Math.max(0, servers.findIndex((server) => server.dbType === (initial?.dbType ?? 'mysql'))),
	);
	const dbType = servers[serverIndex]?.dbType;
	const databases = useTask(() => controller.listDatabases({dbType}), refresh);
	const {rows: bodyRows} = useBodySize();
	const [chosen, setChosen] = useState<string[]>(initial?.databases ?? []);
	// key handlers read the cursor from the ref: keys can arrive before Ink re-binds the handler of the last render
	const cursor = useRef(0);
	const [, setCursorShown] = useState(0);
	const moveTo = (index: number) => {
		cursor.current = index;
		setCursorShown(index);
	};
	const [compress, setCompress] = useState<Compression>(initial?.compress ?? 'zstd');
	const [workers, setWorkers] = useState(() => initial?.workers ?? Math.min(MAX_WORKERS, Math.max(1, controller.defaultWorkers())));
	const openedAt = useRef(new Date()).current;
	const tag = useRef(runTag()).current;
	const [editedOutput, setEditedOutput] = useState<string>();
	const [editing, setEditing] = useState<string>();

	const available = databases.state.status === 'done' ? databases.state.value : [];
	const rows: Row[] = [
		...(servers.length > 1 ? [{kind: 'server'} as const] : []),
		{kind: 'all'},
		...available.map((database) => ({kind: 'database', database}) as const),
		{kind: 'output'},
		{kind: 'compress'},
		{kind: 'workers'},
	];
	const at = () => Math.min(cursor.current, rows.length - 1);
	const current = rows[at()]!;
	const output = editedOutput ?? defaultBackupPath(controller.defaultOutputDir(), chosen, openedAt, 'archive', tag);

	useScreenKeys(
		editing === undefined
			? {hints: formHints}
			: {hints: editHints, escape: {action: 'cancel edit', run: () => setEditing(undefined)}},
	);

	const toggle = (row: Row) => {
		if (row.kind === 'all') setChosen([]);
		if (row.kind === 'database') {
			const name = row.database.name;
			// keep the server's order so the file name does not depend on the order of clicks
			setChosen((list) =>
				list.includes(name) ? list.filter((entry) => entry !== name) : available.map((db) => db.name).filter((db) => db === name || list.includes(db)),
			);
		}
	};
	const adjust = (row: Row, step: number) => {
		if (row.kind === 'compress') setCompress((value) => cycle(COMPRESSIONS, value, step));
		if (row.kind === 'workers') setWorkers((value) => Math.min(MAX_WORKERS, Math.max(1, value + step)));
		if (row.kind === 'server' && servers.length > 1) {
			setServerIndex((index) => (index + step + servers.length) % servers.length);
			setChosen([]);
			databases.restart();
		}
	};

	useInput(
		(input, key) => {
			const index = at();
			if (key.upArrow) moveTo((index - 1 + rows.length) % rows.length);
			else if (key.downArrow) moveTo((index + 1) % rows.length);
			else if (input === ' ') toggle(rows[index]!);
			else if (key.leftArrow) adjust(rows[index]!, -1);
			else if (key.rightArrow) adjust(rows[index]!, 1);
			else if (input === 'e') setEditing(output);
			else if (input === 'r' && databases.state.status === 'failed') databases.restart();
			else if (key.return && databases.state.status === 'done')
				onStart({dbType, databases: chosen, output, format: 'archive', compress, workers});
		},
		{isActive: editing === undefined},
	);

	const databaseRows = rows.filter((row): row is Extract<Row, {kind: 'database'}> => row.kind === 'database');
	const firstDatabaseRow = rows.findIndex((row) => row.kind === 'database');
	// the rows around the list: server, all, a loading or failure note (up to three), "more above/below", output, compression, workers
	const around = (servers.length > 1 ? 1 : 0) + 1 + (databases.state.status === 'failed' ? 3 : databases.state.status === 'running' ? 1 : 0) + 2 + 3;
	const windowSize = fitCount(DATABASES_SHOWN, bodyRows === undefined ? undefined : bodyRows - around);
	const start = windowStart(databaseRows.length, at() - firstDatabaseRow, windowSize);
	const shownDatabases = databaseRows.slice(start, start + windowSize);
	const nameWidth = Math.min(28, Math.max(8, ...available.map((db) => db.name.length)) + 2);
	const selected = (row: Row) => row === current;

	return (
		<Box flexDirection="column">
			{servers.length > 1 ? (
				<OptionRow label="Server" selected={selected(rows[0]!)} adjustable>
					{servers[serverIndex]?.label}
				</OptionRow>
			) : null}
			<OptionRow label="Databases" selected={current.kind === 'all'}>
				{chosen.length === 0 ? <Text color="green">[x]</Text> : '[ ]'} all databases
			</OptionRow>
			{databases.state.status === 'running' ? (
				<Box marginLeft={2 + FIELD_LABEL_WIDTH}>
					<StageLine bus={bus} activity="Reading databases…" />
				</Box>
			) : null}
			{databases.state.status === 'failed' ? (
				<Box marginLeft={2} flexDirection="column">
					<ErrorMessage error={databases.state.error} />
					<Text dimColor>r to try again</Text>
				</Box>
			) : null}
			{start > 0 ? <Text dimColor>{' '.repeat(2 + FIELD_LABEL_WIDTH)}… {start} more above</Text> : null}
			{shownDatabases.map((row) => (
				<OptionRow key={row.database.name} label="" selected={selected(row)}>
					{chosen.includes(row.database.name) ? <Text color="green">[x]</Text> : '[ ]'} {row.database.name.padEnd(nameWidth)}
					{formatBytes(row.database.bytes).padStart(10)}
					<Text dimColor>  {plural(row.database.tables, 'table')}</Text>
				</OptionRow>
			))}
			{start + windowSize < databaseRows.length ? (
				<Text dimColor>
					{' '.repeat(2 + FIELD_LABEL_WIDTH)}… {databaseRows.length - start - windowSize} more below
				</Text>
			) : null}
			<OptionRow label="Output" selected={current.kind === 'output'} wrap="truncate-start">
				{editing === undefined ? (
					output
				) : (
					<TextInput
						value={editing}
						onChange={setEditing}
						onSubmit={(value) => {
							if (value.trim() !== '') setEditedOutput(value.trim());
							setEditing(undefined);
						}}
					/>
				)}
			</OptionRow>
			<OptionRow label="Compression" selected={current.kind === 'compress'} adjustable>
				{compress}
			</OptionRow>
			<OptionRow label="Workers" selected={current.kind === 'workers'} adjustable>
				{String(workers)}
			</OptionRow>
		</Box>
	);
}
