import {Box, Text, useInput} from 'ink';
import {useMemo, useRef, useState} from 'react';
import {COMPRESSIONS, type Compression} from '../../core/compression-names.ts';
import type {DbType} from '../../core/detect/types.ts';
import {formatBytes} from '../../core/format.ts';
import {isObjectStoreUrl} from '../../core/object-store-url.ts';
import type {EngineSelection} from '../../engines/selection-types.ts';
import {ErrorMessage} from '../components/error-message.tsx';
import {FIELD_LABEL_WIDTH} from '../components/field-row.tsx';
import {windowStart} from '../components/menu.tsx';
import {OptionRow} from '../components/option-row.tsx';
import {StageLine} from '../components/stage-line.tsx';
import {TextInput} from '../components/text-input.tsx';
import type {BackupChoices, DatabaseSummary} from '../controller.ts';
import type {EngineNote} from '../components/physical-panel.tsx';
import {engineNote, pickableEngines, pickedEngine, stepEngine} from '../engine-pick.ts';
import {useScreenKeys} from '../frame-keys.ts';
import {useTask, type TaskState} from '../hooks.ts';
import {fitCount, useBodySize} from '../layout.ts';
import type {EnginePicks, ScreenProps} from '../screen.ts';
import {plural} from '../wording.ts';

export const MAX_WORKERS = 64;
/** database rows at most, however tall the terminal */
const DATABASES_SHOWN = 10;

type Row = {kind: 'server'} | {kind: 'all'} | {kind: 'database'; database: DatabaseSummary} | {kind: 'output' | 'compress' | 'workers' | 'engine'};

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

/** A path that ends in a separator is a folder the backup gets a name in, as on the command line. */
function namesFolder(output: string): boolean {
	return /[/\\]$/.test(output);
}

/** The dim line under Output: what the backup will be called. */
function NamePreview({output, name}: {output: string; name: string}) {
	const text = namesFolder(output) ? `→ ${name}` : isObjectStoreUrl(output) ? '→ as typed' : `→ as typed, or ${name} inside if it is a folder`;
	return (
		<Box marginLeft={2 + FIELD_LABEL_WIDTH}>
			<Text dimColor wrap="truncate-end">
				{text}
			</Text>
		</Box>
	);
}

/** The Engine row's value: the engine the backup will run with, and whether it is the recommended one. */
function EngineValue({state, selection, engine}: {state: TaskState<EngineSelection[]>; selection?: EngineSelection; engine?: string}) {
	if (state.status === 'running') {
		return engine === undefined ? <Text dimColor>checking the server…</Text> : <>{engine}<Text dimColor> (checking the server…)</Text></>;
	}
	if (state.status === 'failed' || !selection) {
		return (
			<>
				{engine ?? 'the recommended one'}
				<Text dimColor> (the engines could not be checked; r tries again)</Text>
			</>
		);
	}
	if (engine === undefined) {
		return (
			<>
				<Text color="red">none available</Text> (preferred: {selection.preferred})
			</>
		);
	}
	return <>{engine === selection.engine ? `${engine} (recommended)` : engine}</>;
}

interface BackupFormProps extends Pick<ScreenProps, 'bus' | 'controller' | 'refresh'> {
	/** the choices of the run just made, to go again with */
	initial?: BackupChoices;
	/** what the engine screen picked: the form starts on that server, with that engine */
	enginePicks?: EnginePicks;
	/**
	 * `physical`: the engine it runs with copies the server's files (its stages are shown as they pass);
	 * `note`: that engine and what the selector said about it, when the form knows which it is
	 */
	onStart: (choices: BackupChoices, physical: boolean, note?: EngineNote) => void;
}

/** What to back up and how: databases (or all), output folder or file, compression, workers, engine; Enter starts. */
export function BackupForm({bus, controller, refresh, initial, enginePicks, onStart}: BackupFormProps) {
	const servers = controller.servers();
	const [serverIndex, setServerIndex] = useState(() =>
		Math.max(0, servers.findIndex((server) => server.dbType === (initial?.dbType ?? enginePicks?.dbType ?? 'mysql'))),
	);
	const dbType = servers[serverIndex]?.dbType;
	const databases = useTask(() => controller.listDatabases({dbType}), refresh);
	const selections = useTask(() => controller.selectEngine(), refresh);
	const {rows: bodyRows} = useBodySize();
	const [chosen, setChosen] = useState<string[]>(initial?.databases ?? []);
	// key handlers read the cursor from the ref: keys can arrive before Ink re-binds the handler of the last render
	const cursor = useRef(0);
	const [, setCursorShown] = useState(0);
	const moveTo = (index: number) => {
		cursor.current = index;
		setCursorShown(index);
	};
	const [compress, setCompress] = useState<Compression>(() => initial?.compress ?? controller.defaultCompression());
	const [workers, setWorkers] = useState(() => initial?.workers ?? Math.min(MAX_WORKERS, Math.max(1, controller.defaultWorkers())));
	// a folder by default: the controller names the backup there, by the command line's rule
	const [output, setOutput] = useState(() => initial?.output ?? controller.defaultOutputDir().replace(/[/\\]?$/, '/'));
	const [editing, setEditing] = useState<string>();
	// the engine wanted per kind of server; what can run there decides once the selection is in
	const [wantedEngines, setWantedEngines] = useState<Partial<Record<DbType, string>>>(() => ({
		...enginePicks?.engines,
		...(initial?.dbType && initial.engine ? {[initial.dbType]: initial.engine} : {}),
	}));
	// the controller draws a new time and tag each call: one name per choice of databases, not per key
	const previewName = useMemo(() => controller.previewBackupName(chosen), [controller, chosen]);

	const available = databases.state.status === 'done' ? databases.state.value : [];
	const rows: Row[] = [
		...(servers.length > 1 ? [{kind: 'server'} as const] : []),
		{kind: 'all'},
		...available.map((database) => ({kind: 'database', database}) as const),
		{kind: 'output'},
		{kind: 'compress'},
		{kind: 'workers'},
		{kind: 'engine'},
	];
	const at = () => Math.min(cursor.current, rows.length - 1);
	const current = rows[at()]!;
	const selection = selections.state.status === 'done' ? selections.state.value.find((entry) => entry.dbType === dbType) : undefined;
	const wanted = dbType && wantedEngines[dbType];
	const engine = selection ? pickedEngine(selection, wanted) : wanted;

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
		if (row.kind === 'engine' && selection && dbType) {
			setWantedEngines((engines) => ({...engines, [dbType]: stepEngine(selection, engines[dbType], step)}));
		}
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
			else if (input === 'r') {
				if (databases.state.status === 'failed') databases.restart();
				if (selections.state.status === 'failed') selections.restart();
			} else if (key.return && databases.state.status === 'done')
				// only a pick is sent: left alone, the selector decides, destination included (an s3:// output needs an engine that streams)
				onStart(
					{dbType, databases: chosen, output, format: 'archive', compress, workers, ...(wanted && engine !== undefined ? {engine} : {})},
					selection?.candidates.find((row) => row.name === engine)?.capabilities.kind === 'physical',
					engine === undefined ? undefined : engineNote(selection, engine),
				);
		},
		{isActive: editing === undefined},
	);

	const databaseRows = rows.filter((row): row is Extract<Row, {kind: 'database'}> => row.kind === 'database');
	const firstDatabaseRow = rows.findIndex((row) => row.kind === 'database');
	// the rows around the list: server, all, a loading or failure note (up to three), "more above/below", output, its preview, compression, workers, engine
	const around = (servers.length > 1 ? 1 : 0) + 1 + (databases.state.status === 'failed' ? 3 : databases.state.status === 'running' ? 1 : 0) + 2 + 5;
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
							if (value.trim() !== '') setOutput(value.trim());
							setEditing(undefined);
						}}
					/>
				)}
			</OptionRow>
			<NamePreview output={editing ?? output} name={previewName} />
			<OptionRow label="Compression" selected={current.kind === 'compress'} adjustable>
				{compress}
			</OptionRow>
			<OptionRow label="Workers" selected={current.kind === 'workers'} adjustable>
				{String(workers)}
			</OptionRow>
			<OptionRow label="Engine" selected={current.kind === 'engine'} adjustable={selection !== undefined && pickableEngines(selection).length > 1}>
				<EngineValue state={selections.state} selection={selection} engine={engine} />
			</OptionRow>
		</Box>
	);
}
