import {Box, Text, useInput} from 'ink';
import {useState, type ReactNode} from 'react';
import {formatBytes, formatCount, formatDuration} from '../../core/format.ts';
import {ArtifactSummaryView} from '../components/artifact-summary.tsx';
import {FieldRow} from '../components/field-row.tsx';
import {WorkRun} from '../components/work-run.tsx';
import {TextInput} from '../components/text-input.tsx';
import type {ArtifactSummary, RestoreChoices, RestoreOutcome} from '../controller.ts';
import {useScreenKeys} from '../frame-keys.ts';
import {rowsLeft, useBodySize} from '../layout.ts';
import {plural, secondsBetween} from '../wording.ts';
import type {ScreenProps} from '../screen.ts';
import {ArtifactPicker, Describe} from './restore-artifact.tsx';
import {DataDirConfirm, DataDirStep, DataDirSummary, type DataDirChoices} from './restore-datadir.tsx';
import {PlanStep} from './restore-plan.tsx';

type Step =
	| {step: 'pick'}
	/** a backup handed over by another screen (Backups): its manifest is read, then the target step follows */
	| {step: 'open'; file: string}
	| {step: 'target'; artifact: ArtifactSummary}
	| {step: 'plan'; artifact: ArtifactSummary; choices: RestoreChoices}
	/** a physical backup: the data directory and its two switches instead of a target server */
	| {step: 'datadir'; artifact: ArtifactSummary; choices?: DataDirChoices}
	| {step: 'datadir-confirm'; artifact: ArtifactSummary; choices: DataDirChoices}
	| {step: 'run'; choices: RestoreChoices; back?: Step};

interface TargetStepProps {
	artifact: ArtifactSummary;
	onNext: (targetDb: string | undefined) => void;
	onBack: () => void;
}

/** The manifest summary, and the database to restore into (for a backup of one database). */
function TargetStep({artifact, onNext, onBack}: TargetStepProps) {
	const single = artifact.databases.length <= 1;
	const [name, setName] = useState(artifact.databases[0]?.name ?? '');
	const {rows} = useBodySize();
	useScreenKeys({hints: [{key: 'Enter', action: 'next'}], escape: {action: 'back to the list', run: onBack}});
	return (
		<Box flexDirection="column">
			<ArtifactSummaryView artifact={artifact} rows={rowsLeft(rows, 2)} />
			<Box marginTop={1}>
				{single ? (
					<Box>
						<Box flexShrink={0}>
							<Text bold>Restore into </Text>
						</Box>
						<TextInput
							wrap="truncate-start"
							value={name}
							placeholder="database name"
							onChange={setName}
							onSubmit={(value) => onNext(value.trim() || undefined)}
						/>
					</Box>
				) : (
					<MultiDatabaseNote count={artifact.databases.length} onNext={() => onNext(undefined)} />
				)}
			</Box>
		</Box>
	);
}

/** The backup another screen handed over, being read; Esc (after a failure, say) leads to the list of the default directory. */
function OpenStep({onBack, children}: {onBack: () => void; children: ReactNode}) {
	useScreenKeys({hints: [], escape: {action: 'back to the list', run: onBack}});
	return <>{children}</>;
}

function MultiDatabaseNote({count, onNext}: {count: number; onNext: () => void}) {
	useInput((_input, key) => {
		if (key.return) onNext();
	});
	return <Text wrap="truncate-end">The {count} databases are restored under their own names. Enter goes on.</Text>;
}

function RestoreSummary({outcome}: {outcome: RestoreOutcome}) {
	const seconds = secondsBetween(outcome.startedAt, outcome.finishedAt);
	return (
		<Box flexDirection="column">
			{outcome.failedStatements > 0 ? (
				<Text color="yellow">⚠ Restore finished with {plural(outcome.failedStatements, 'failed statement')}</Text>
			) : (
				<Text color="green">✓ Restore complete</Text>
			)}
			<FieldRow label="Artifact">{outcome.artifact}</FieldRow>
			<FieldRow label="Databases">{outcome.databases.join(', ')}</FieldRow>
			<FieldRow label="Tables">{formatCount(outcome.tables)}</FieldRow>
			<FieldRow label="Rows">{formatCount(outcome.rows)}</FieldRow>
			<FieldRow label="Data">{formatBytes(outcome.bytes)}</FieldRow>
			<FieldRow label="Engine">{outcome.engine}</FieldRow>
			<FieldRow label="Duration">{seconds === undefined ? '—' : formatDuration(seconds)}</FieldRow>
		</Box>
	);
}

/** Pick a backup, see what it holds, name the target, confirm what gets overwritten, restore. */
export function RestoreScreen({bus, controller, refresh, handoff}: ScreenProps) {
	const [step, setStep] = useState<Step>(handoff?.artifact ? {step: 'open', file: handoff.artifact} : {step: 'pick'});
	const workers = controller.defaultWorkers();
	// a physical archive restores into a data directory, a logical one into a database
	const opened = (artifact: ArtifactSummary): Step => (artifact.physical ? {step: 'datadir', artifact} : {step: 'target', artifact});
	const dataDirRun = (artifact: ArtifactSummary, choices: DataDirChoices): Step => ({
		step: 'run',
		choices: {dbType: artifact.dbType, artifact: artifact.path, workers, ...choices},
		back: {step: 'datadir', artifact, choices},
	});

	switch (step.step) {
		case 'pick':
			return <ArtifactPicker controller={controller} refresh={refresh} onPick={(artifact) => setStep(opened(artifact))} />;
		case 'open':
			return (
				<OpenStep onBack={() => setStep({step: 'pick'})}>
					<Describe controller={controller} refresh={refresh} file={step.file} onPick={(artifact) => setStep(opened(artifact))} />
				</OpenStep>
			);
		case 'target': {
			const {artifact} = step;
			return (
				<TargetStep
					artifact={artifact}
					onBack={() => setStep({step: 'pick'})}
					onNext={(targetDb) =>
						setStep({step: 'plan', artifact, choices: {dbType: artifact.dbType, artifact: artifact.path, targetDb, workers}})
					}
				/>
			);
		}
		case 'plan':
			return (
				<PlanStep
					controller={controller}
					refresh={refresh}
					choices={step.choices}
					onBack={() => setStep({step: 'target', artifact: step.artifact})}
					onConfirm={(dropExisting) => setStep({step: 'run', choices: {...step.choices, dropExisting}})}
				/>
			);
		case 'datadir': {
			const {artifact} = step;
			return (
				<DataDirStep
					artifact={artifact}
					initial={step.choices}
					onBack={() => setStep({step: 'pick'})}
					onNext={(choices) => setStep(choices.dropExisting ? {step: 'datadir-confirm', artifact, choices} : dataDirRun(artifact, choices))}
				/>
			);
		}
		case 'datadir-confirm': {
			const {artifact, choices} = step;
			return (
				<DataDirConfirm
					choices={choices}
					onBack={() => setStep({step: 'datadir', artifact, choices})}
					onConfirm={() => setStep(dataDirRun(artifact, choices))}
				/>
			);
		}
		case 'run': {
			const {back} = step;
			return (
				<WorkRun
					bus={bus}
					refresh={refresh}
					run={() => controller.restore(step.choices)}
					noun="restore"
					activity="Restoring…"
					overallTask="restore"
					// a data directory restore goes back to its form with the choices kept (a failure is fixed there)
					onBack={back ? {action: 'back to the form', run: () => setStep(back)} : undefined}
					stageTrail={back !== undefined}
					summary={(outcome) => (step.choices.dataDirectory === undefined ? <RestoreSummary outcome={outcome} /> : <DataDirSummary outcome={outcome} />)}
				/>
			);
		}
	}
}
