import {Box, Text, useInput} from 'ink';
import {useState} from 'react';
import {ErrorMessage} from '../components/error-message.tsx';
import {TextInput} from '../components/text-input.tsx';
import type {RestoreChoices, RestorePlan} from '../controller.ts';
import {useScreenKeys} from '../frame-keys.ts';
import {useTask} from '../hooks.ts';
import {rowsLeft, useBodySize} from '../layout.ts';
import {MoreLine, shownItems} from '../components/more-line.tsx';
import {plural} from '../wording.ts';
import type {ScreenProps} from '../screen.ts';

/**
 * What the user must type before a destructive restore: the target databases that hold tables, joined by
 * spaces (those that merely exist when the plan counts no tables, so the word is never empty).
 */
export function confirmationText(plan: RestorePlan): string {
	const full = plan.databases.filter((database) => database.exists && database.tables > 0);
	const existing = plan.databases.filter((database) => database.exists);
	const named = full.length > 0 ? full : existing.length > 0 ? existing : plan.databases;
	return named.map((database) => database.target).join(' ');
}

function PlanLines({plan, rows}: {plan: RestorePlan; rows?: number}) {
	const listed = rows === undefined ? plan.databases.length : shownItems(plan.databases.length, rows - 1);
	return (
		<Box flexDirection="column">
			<Text bold>Restore plan</Text>
			{plan.databases.length === 0 ? <Text>  The script creates and fills the databases it names; they are not checked first.</Text> : null}
			{plan.databases.slice(0, listed).map((database) => (
				<Text key={`${database.source}→${database.target}`} wrap="truncate-end">
					{'  '}
					{database.source} → <Text bold>{database.target}</Text>
					{'  '}
					{!database.exists ? (
						<Text color="green">new database</Text>
					) : database.tables === 0 ? (
						<Text>exists, empty</Text>
					) : (
						<Text color="red">
							exists with {plural(database.tables, 'table')}: they will be dropped
						</Text>
					)}
				</Text>
			))}
			<Box marginLeft={2}>
				<MoreLine hidden={plan.databases.length - listed} noun="database" />
			</Box>
		</Box>
	);
}

interface PlanStepProps extends Pick<ScreenProps, 'controller' | 'refresh'> {
	choices: RestoreChoices;
	onConfirm: (dropExisting: boolean) => void;
	onBack: () => void;
}

/** Asks the controller what the restore would do; a destructive one runs only once the names are typed. */
export function PlanStep({controller, refresh, choices, onConfirm, onBack}: PlanStepProps) {
	const {state} = useTask(() => controller.planRestore(choices), refresh);
	const {rows, columns} = useBodySize();
	const destructive = state.status === 'done' && state.value.destructive;
	useScreenKeys({
		hints: state.status === 'done' ? [{key: 'Enter', action: destructive ? 'confirm' : 'restore'}] : [],
		escape: {action: 'back', run: onBack},
	});
	useInput(
		(_input, key) => {
			if (key.return) onConfirm(false);
		},
		{isActive: state.status === 'done' && !destructive},
	);

	if (state.status === 'running') return <Text color="cyan">Checking the target server…</Text>;
	if (state.status === 'failed') return <ErrorMessage error={state.error} />;
	return (
		<Box flexDirection="column">
			{/* the blank row and the confirmation below: a warning, the field with the names, a mismatch */}
			<PlanLines plan={state.value} rows={rowsLeft(rows, 1 + (destructive ? 2 + fieldRows(confirmationText(state.value), columns) : 1))} />
			<Box marginTop={1}>
				{destructive ? (
					<DestructiveConfirmation expected={confirmationText(state.value)} onConfirm={() => onConfirm(true)} />
				) : (
					<Text>Enter restores.</Text>
				)}
			</Box>
		</Box>
	);
}

/**
 * Rows of "Type NAMES to confirm: TYPED" once the names are typed in full. It wraps, unlike the rest of the
 * screen: the names must be read whole to be typed.
 */
export function fieldRows(expected: string, columns: number): number {
	const length = 'Type '.length + expected.length + ' to confirm: '.length + expected.length + 1;
	return Math.max(1, Math.ceil(length / Math.max(1, columns)));
}

/** The warning and the field where `expected` must be typed before `onConfirm` runs. */
export function DestructiveConfirmation({expected, onConfirm}: {expected: string; onConfirm: () => void}) {
	const [typed, setTyped] = useState('');
	const [mismatch, setMismatch] = useState(false);
	return (
		<Box flexDirection="column">
			<Text color="yellow">⚠ This replaces data that exists now. It cannot be undone.</Text>
			<Text>
				Type <Text bold>{expected}</Text> to confirm:{' '}
				<TextInput
					value={typed}
					onChange={(next) => {
						setTyped(next);
						setMismatch(false);
					}}
					onSubmit={(value) => (value.trim() === expected ? onConfirm() : setMismatch(true))}
				/>
			</Text>
			{mismatch ? <Text color="red">That is not {expected}; nothing was changed.</Text> : null}
		</Box>
	);
}
