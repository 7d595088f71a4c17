import {Box, Text} from 'ink';
import {useState} from 'react';
import {formatBytes, formatDuration} from '../../core/format.ts';
import {ErrorMessage} from '../components/error-message.tsx';
import {FieldRow} from '../components/field-row.tsx';
import {RunProgress} from '../components/run-progress.tsx';
import type {BackupChoices, BackupOutcome} from '../controller.ts';
import {useScreenKeys} from '../frame-keys.ts';
import {useTask} from '../hooks.ts';
import type {ScreenProps} from '../screen.ts';
import {plural, secondsBetween} from '../wording.ts';
import {BackupForm} from './backup-form.tsx';

function BackupSummary({outcome}: {outcome: BackupOutcome}) {
	const {result} = outcome;
	const seconds = secondsBetween(result.startedAt, result.finishedAt);
	return (
		<Box flexDirection="column">
			<Text color="green">✓ Backup complete</Text>
			<FieldRow label="Artifact">{result.artifact}</FieldRow>
			<FieldRow label="Size">{formatBytes(result.bytes)}</FieldRow>
			<FieldRow label="Contents">
				{`${result.databases.join(', ')}: ${plural(result.tables, 'table')}, ${plural(result.rows, 'row')}`}
			</FieldRow>
			<FieldRow label="Engine">{outcome.engine}</FieldRow>
			<FieldRow label="Lock time">{result.lockMs === undefined ? 'no lock taken' : `${Math.round(result.lockMs)} ms`}</FieldRow>
			{result.coordinates ? <FieldRow label="Coordinates">{result.coordinates}</FieldRow> : null}
			<FieldRow label="Duration">{seconds === undefined ? '—' : formatDuration(seconds)}</FieldRow>
		</Box>
	);
}

interface BackupRunProps extends Pick<ScreenProps, 'bus' | 'controller' | 'refresh'> {
	choices: BackupChoices;
	onBack: () => void;
}

/** Runs the backup once, shows its progress, then the result or the failure. */
function BackupRun({bus, controller, refresh, choices, onBack}: BackupRunProps) {
	// mounted with the progress display, whose subscriptions (child effects) are in place before this call starts
	const {state} = useTask(() => controller.backup(choices), refresh);
	useScreenKeys(
		state.status === 'running'
			? {hints: [], escape: null}
			: state.status === 'failed'
				? {hints: [], escape: {action: 'back to the form', run: onBack}}
				: {hints: []},
	);
	if (state.status === 'running') {
		return (
			<Box flexDirection="column">
				<RunProgress bus={bus} activity="Backing up…" overallTask="dump" />
				<Box marginTop={1}>
					<Text dimColor>Esc is off while the backup runs; Ctrl+C quits dbbackup and abandons it.</Text>
				</Box>
			</Box>
		);
	}
	if (state.status === 'failed') return <ErrorMessage error={state.error} />;
	return <BackupSummary outcome={state.value} />;
}

export function BackupScreen({bus, controller, refresh}: ScreenProps) {
	const [run, setRun] = useState<{choices: BackupChoices; started: boolean}>();
	if (!run?.started) {
		return (
			<BackupForm
				bus={bus}
				controller={controller}
				refresh={refresh}
				initial={run?.choices}
				onStart={(choices) => setRun({choices, started: true})}
			/>
		);
	}
	// back from a failure: the form again, with the same choices (and a fresh file name)
	const back = () => setRun({choices: run.choices, started: false});
	return <BackupRun bus={bus} controller={controller} refresh={refresh} choices={run.choices} onBack={back} />;
}
