import {Box, Text, useInput} from 'ink';
import {useRef, useState} from 'react';
import {formatDuration} from '../../core/format.ts';
import {ArtifactSummaryView} from '../components/artifact-summary.tsx';
import {FieldRow} from '../components/field-row.tsx';
import {OptionRow} from '../components/option-row.tsx';
import {ScrollView} from '../components/scroll-view.tsx';
import {TextInput} from '../components/text-input.tsx';
import type {ArtifactSummary, RestoreOutcome} from '../controller.ts';
import {useScreenKeys} from '../frame-keys.ts';
import {rowsLeft, useBodySize} from '../layout.ts';
import {plural, secondsBetween} from '../wording.ts';
import {DestructiveConfirmation, fieldRows} from './restore-plan.tsx';

/** What `restore ARTIFACT --datadir DIR [--drop-existing] [--verify-start]` is given. */
export interface DataDirChoices {
	dataDirectory: string;
	dropExisting: boolean;
	verifyStart: boolean;
}

type Row = 'datadir' | 'drop' | 'verify';
const ROWS: Row[] = ['datadir', 'drop', 'verify'];

const formHints = [
	{key: '↑/↓', action: 'move'},
	{key: 'Space', action: 'toggle'},
	{key: 'Enter', action: 'restore'},
];

function Toggle({on, children}: {on: boolean; children: string}) {
	return (
		<>
			{on ? <Text color="green">[x]</Text> : '[ ]'} <Text dimColor>{children}</Text>
		</>
	);
}

interface DataDirStepProps {
	artifact: ArtifactSummary;
	/** the choices made before (back from the confirmation or after a failure) */
	initial?: DataDirChoices;
	onNext: (choices: DataDirChoices) => void;
	onBack: () => void;
}

/**
 * A physical backup (its manifest has a `physical` section) restores into a data directory, not into a
 * server: the manifest summary, then the directory, --drop-existing and --verify-start; Enter goes on.
 */
export function DataDirStep({artifact, initial, onNext, onBack}: DataDirStepProps) {
	const [dataDirectory, setDataDirectory] = useState(initial?.dataDirectory ?? '');
	const [dropExisting, setDropExisting] = useState(initial?.dropExisting ?? false);
	const [verifyStart, setVerifyStart] = useState(initial?.verifyStart ?? false);
	const [missing, setMissing] = useState(false);
	// key handlers read the cursor from the ref: keys can arrive before Ink re-binds the handler of the last render
	const cursor = useRef<Row>('datadir');
	const [, setShown] = useState<Row>('datadir');
	const moveTo = (row: Row) => {
		cursor.current = row;
		setShown(row);
	};
	const latest = useRef({dataDirectory, dropExisting, verifyStart});
	latest.current = {dataDirectory, dropExisting, verifyStart};
	const {rows} = useBodySize();
	useScreenKeys({hints: formHints, escape: {action: 'back to the list', run: onBack}});

	const submit = () => {
		const chosen = latest.current;
		if (chosen.dataDirectory.trim() === '') setMissing(true);
		else onNext({...chosen, dataDirectory: chosen.dataDirectory.trim()});
	};
	useInput((input, key) => {
		const at = ROWS.indexOf(cursor.current);
		if (key.upArrow) moveTo(ROWS[(at - 1 + ROWS.length) % ROWS.length]!);
		else if (key.downArrow) moveTo(ROWS[(at + 1) % ROWS.length]!);
		else if (key.return) submit();
		else if (input === ' ' && cursor.current === 'drop') setDropExisting((latest.current.dropExisting = !latest.current.dropExisting));
		else if (input === ' ' && cursor.current === 'verify') setVerifyStart((latest.current.verifyStart = !latest.current.verifyStart));
	});
	const editing = cursor.current === 'datadir';

	return (
		<Box flexDirection="column">
			{/* the blank row, the three rows of the form, the note under them */}
			<ArtifactSummaryView artifact={artifact} rows={rowsLeft(rows, 5)} />
			<Box marginTop={1} flexDirection="column">
				<OptionRow label="Directory" selected={editing} wrap="truncate-start">
					{/* Enter belongs to the form: the field only takes the text */}
					<TextInput
						focus={editing}
						value={dataDirectory}
						placeholder="new or empty, e.g. /var/lib/postgresql/15/restored"
						onChange={(next) => {
							// Enter may arrive in the same packet as the last key typed: it reads the ref
							latest.current = {...latest.current, dataDirectory: next};
							setDataDirectory(next);
							setMissing(false);
						}}
					/>
				</OptionRow>
				<OptionRow label="Drop existing" selected={cursor.current === 'drop'}>
					<Toggle on={dropExisting}>empty a directory that holds files first</Toggle>
				</OptionRow>
				<OptionRow label="Verify start" selected={cursor.current === 'verify'}>
					<Toggle on={verifyStart}>start a throwaway server on it, check, stop</Toggle>
				</OptionRow>
				{missing ? (
					<Text color="red">Type the data directory to restore into.</Text>
				) : (
					<Text dimColor wrap="truncate-end">
						A physical backup restores into a data directory, not into a running server.
					</Text>
				)}
			</Box>
		</Box>
	);
}

/** With --drop-existing, whatever is in the directory goes: its path must be typed first. */
export function DataDirConfirm({choices, onConfirm, onBack}: {choices: DataDirChoices; onConfirm: () => void; onBack: () => void}) {
	const {columns} = useBodySize();
	useScreenKeys({hints: [{key: 'Enter', action: 'confirm'}], escape: {action: 'back', run: onBack}});
	return (
		<Box flexDirection="column">
			<Text wrap="truncate-middle">
				Restore into <Text bold>{choices.dataDirectory}</Text>
			</Text>
			<Text wrap="truncate-end">
				Drop existing: files already in it are deleted first{choices.verifyStart ? '; then a throwaway server is started on it' : ''}.
			</Text>
			<Box marginTop={1} height={2 + fieldRows(choices.dataDirectory, columns)}>
				<DestructiveConfirmation expected={choices.dataDirectory} onConfirm={onConfirm} />
			</Box>
		</Box>
	);
}

/** The restored directory: how many files, as whom, how to start a server on it, what to know, what a verify start found. */
export function DataDirSummary({outcome}: {outcome: RestoreOutcome}) {
	const {rows} = useBodySize();
	const directory = outcome.dataDirectory;
	const seconds = secondsBetween(outcome.startedAt, outcome.finishedAt);
	if (!directory) {
		// the engine restored, but did not say into what: say what is known
		return (
			<Box flexDirection="column">
				<Text color="green">✓ Restore complete</Text>
				<FieldRow label="Artifact">{outcome.artifact}</FieldRow>
				<FieldRow label="Engine">{outcome.engine}</FieldRow>
			</Box>
		);
	}
	const verified = directory.verified;
	return (
		<ScrollView rows={rows}>
			<Text color="green">✓ Restored into the data directory{verified ? ', and a server started on it' : ''}</Text>
			<FieldRow label="Directory">{directory.path}</FieldRow>
			<FieldRow label="Files">{`${plural(directory.files, 'file')}, owner ${directory.owner}, for server version ${directory.serverMajor}`}</FieldRow>
			{directory.tablespaces.map((tablespace) => (
				<FieldRow key={tablespace.oid} label="Tablespace">{`${tablespace.oid} → ${tablespace.location}`}</FieldRow>
			))}
			<FieldRow label="Engine">{`${outcome.engine}, from ${outcome.artifact}`}</FieldRow>
			<FieldRow label="Duration">{seconds === undefined ? '—' : formatDuration(seconds)}</FieldRow>
			<FieldRow label="Verify start">
				{verified ? (
					<Box flexDirection="column">
						<Text color="green" wrap="wrap">
							✓ {verified.server} ready in {formatDuration(verified.startSeconds)}
							{verified.port === undefined ? ' on a private socket' : ` on port ${verified.port}`}, at {verified.position}
						</Text>
						{verified.checkedTables === undefined ? null : <Text wrap="truncate-end">{plural(verified.checkedTables, 'table')} checked (CHECK TABLE), all OK</Text>}
						{verified.databases.map((database) => (
							<Text key={database.name} wrap="truncate-end">
								{database.name}
								<Text dimColor>
									{'  '}
									{plural(database.tables, 'table')}, {plural(database.rows, 'row')} counted
								</Text>
							</Text>
						))}
					</Box>
				) : (
					<Text dimColor>not asked for</Text>
				)}
			</FieldRow>
			<Box marginTop={1} flexDirection="column">
				<Text bold>Start a server on it</Text>
				{/* a command is copied whole: it wraps */}
				<Text wrap="wrap">{directory.startCommand}</Text>
			</Box>
			{directory.notes.length > 0 ? (
				<Box marginTop={1} flexDirection="column">
					<Text bold>Notes</Text>
					{directory.notes.map((note, index) => (
						<Text key={index} wrap="wrap">
							• {note}
						</Text>
					))}
				</Box>
			) : null}
		</ScrollView>
	);
}
