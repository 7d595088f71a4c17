import {Box, Text} from 'ink';
import {useState} from 'react';
import {formatBytes, formatDuration} from '../../core/format.ts';
import {FieldRow} from '../components/field-row.tsx';
import {PHYSICAL_PANEL_ROWS, PhysicalPanel, type EngineNote} from '../components/physical-panel.tsx';
import {WorkRun} from '../components/work-run.tsx';
import type {BackupChoices, BackupOutcome} from '../controller.ts';
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
				{result.files === undefined
					? `${result.databases.join(', ')}: ${plural(result.tables, 'table')}, ${plural(result.rows, 'row')}`
					: // a physical copy: the server's files, not tables and rows
						`${plural(result.files, 'file')} of the whole server`}
			</FieldRow>
			<FieldRow label="Engine">{outcome.engine}</FieldRow>
			<FieldRow label="Lock time">{result.lockMs === undefined ? 'no lock taken' : `${Math.round(result.lockMs)} ms`}</FieldRow>
			{result.coordinates ? <FieldRow label="Coordinates">{result.coordinates}</FieldRow> : null}
			<FieldRow label="Duration">{seconds === undefined ? '—' : formatDuration(seconds)}</FieldRow>
		</Box>
	);
}

export function BackupScreen({bus, controller, refresh, enginePicks}: ScreenProps) {
	const [run, setRun] = useState<{choices: BackupChoices; started: boolean; physical?: boolean; note?: EngineNote}>();
	if (!run?.started) {
		return (
			<BackupForm
				bus={bus}
				controller={controller}
				refresh={refresh}
				initial={run?.choices}
				enginePicks={enginePicks}
				onStart={(choices, physical, note) => setRun({choices, started: true, physical, note})}
			/>
		);
	}
	// back after the run, done or failed: the form again with the same choices (a folder gets a fresh name)
	const back = () => setRun({choices: run.choices, started: false});
	const {choices} = run;
	return (
		<WorkRun
			bus={bus}
			refresh={refresh}
			run={() => controller.backup(choices)}
			noun="backup"
			activity="Backing up…"
			overallTask="dump"
			onBack={{action: 'back to the form', run: back}}
			stageTrail={run.physical}
			// a physical copy: the engine and why, the writes held, the file being read
			panel={run.physical ? {node: <PhysicalPanel bus={bus} note={run.note} />, rows: PHYSICAL_PANEL_ROWS} : undefined}
			summary={(outcome) => <BackupSummary outcome={outcome} />}
		/>
	);
}
