import {dbTypeLabel} from '../../core/detect/describe.ts';
import {Box, Text, useInput} from 'ink';
import {useRef, useState, type SetStateAction} from 'react';
import type {EngineAvailabilityRow, EngineSelection} from '../../engines/selection-types.ts';
import {ErrorMessage} from '../components/error-message.tsx';
import {ServerPager} from '../components/server-pager.tsx';
import {StageLine} from '../components/stage-line.tsx';
import {pickableEngines, pickedEngine, stepEngine} from '../engine-pick.ts';
import {useScreenKeys} from '../frame-keys.ts';
import {useTask} from '../hooks.ts';
import {useBodySize} from '../layout.ts';
import type {ScreenProps} from '../screen.ts';

const CURSOR_WIDTH = 2;
const NAME_WIDTH = 18;
const KIND_WIDTH = 10;
const AVAILABLE_WIDTH = 4;

export function selectionKind(selection: EngineSelection): string {
	return dbTypeLabel(selection.dbType);
}

const pickHints = [
	{key: '←/→', action: 'server'},
	{key: '↑/↓', action: 'engine'},
	{key: 'Enter', action: 'back up with it'},
	{key: 'r', action: 'run again'},
];

function CandidateRow({row, picked}: {row: EngineAvailabilityRow; picked: boolean}) {
	const {availability} = row;
	return (
		<Box>
			<Box width={CURSOR_WIDTH} flexShrink={0}>
				<Text color="cyan">{picked ? '❯' : ' '}</Text>
			</Box>
			<Box width={NAME_WIDTH} flexShrink={0}>
				<Text bold={picked} color={picked ? 'cyan' : undefined}>
					{row.name}
				</Text>
			</Box>
			<Box width={KIND_WIDTH} flexShrink={0}>
				<Text dimColor>{row.kind}</Text>
			</Box>
			<Box width={AVAILABLE_WIDTH} flexShrink={0}>
				{availability.available ? <Text color="green">✓</Text> : <Text color="red">✗</Text>}
			</Box>
			<Box flexDirection="column" flexShrink={1}>
				{availability.available ? null : (
					<Text color="red">{availability.reason ?? availability.reasons.join('; ')}</Text>
				)}
				{availability.warnings.map((warning) => (
					<Text key={warning} color="yellow">
						⚠ {warning}
					</Text>
				))}
			</Box>
		</Box>
	);
}

function SelectionReport({selection, picked}: {selection: EngineSelection; picked: string | undefined}) {
	return (
		<Box flexDirection="column">
			<Box>
				<Box width={CURSOR_WIDTH} />
				<Box width={NAME_WIDTH}>
					<Text bold>Engine</Text>
				</Box>
				<Box width={KIND_WIDTH}>
					<Text bold>Kind</Text>
				</Box>
				<Text bold>Available</Text>
			</Box>
			{selection.candidates.map((row) => (
				<CandidateRow key={row.name} row={row} picked={row.name === picked} />
			))}
			<Box flexDirection="column" marginTop={1}>
				<Text bold>Recommendation</Text>
				{selection.engine === null ? (
					<Text>
						Engine: <Text color="red">none available</Text> (preferred: {selection.preferred})
					</Text>
				) : (
					<Text>
						Engine: <Text color="green">{selection.engine}</Text>
						{selection.engine === selection.preferred ? null : (
							<Text dimColor> (preferred {selection.preferred} is not available)</Text>
						)}
					</Text>
				)}
				<Text>Reason:</Text>
				{selection.reasons.map((reason, index) => (
					<Box key={index} marginLeft={2}>
						<Box width={4} flexShrink={0}>
							<Text>{index + 1}.</Text>
						</Box>
						<Box flexShrink={1}>
							<Text>{reason}</Text>
						</Box>
					</Box>
				))}
			</Box>
		</Box>
	);
}

/**
 * Each server's engines, why each can or cannot run, and the recommendation. ↑/↓ pick one of those that
 * can run (the recommended one at first); the pick stays for Back up, which Enter opens.
 */
export function EngineScreen({bus, controller, refresh, navigate, enginePicks, pickEngine}: ScreenProps) {
	const {state, restart} = useTask(() => controller.selectEngine(), refresh);
	// here, not in the pager: r unmounts the pager while the selection runs again
	const [server, setServer] = useState(0);
	// refs, as in the menus: keys of one packet (→ then ↓) build on each other before a re-render
	const serverAt = useRef(0);
	const picks = useRef(enginePicks.engines);
	const changeServer = (update: SetStateAction<number>) => {
		serverAt.current = typeof update === 'function' ? update(serverAt.current) : update;
		setServer(serverAt.current);
	};
	const {rows} = useBodySize();
	const selections = state.status === 'done' ? state.value : [];
	const shown = () => selections[Math.max(0, Math.min(serverAt.current, selections.length - 1))];
	const current = shown();
	const canPick = current !== undefined && pickableEngines(current).length > 0;
	useScreenKeys({hints: canPick ? pickHints : undefined});
	const move = (step: number) => {
		const selection = shown();
		const next = selection && stepEngine(selection, picks.current[selection.dbType], step);
		if (!selection || next === undefined) return;
		picks.current = {...picks.current, [selection.dbType]: next};
		pickEngine(selection.dbType, next);
	};
	useInput((input, key) => {
		if (input === 'r' && state.status !== 'running') restart();
		else if (key.upArrow) move(-1);
		else if (key.downArrow) move(1);
		else if (key.return) {
			const selection = shown();
			const engine = selection && pickedEngine(selection, picks.current[selection.dbType]);
			if (!selection || engine === undefined) return;
			pickEngine(selection.dbType, engine);
			navigate('backup');
		}
	});

	if (state.status === 'running') return <StageLine bus={bus} activity="Choosing engine…" />;
	if (state.status === 'failed') return <ErrorMessage error={state.error} />;
	if (state.value.length === 0) return <Text color="yellow">No server to choose an engine for.</Text>;
	return (
		<ServerPager
			items={state.value}
			index={server}
			onIndexChange={changeServer}
			rows={rows}
			scrollArrows={false}
			title={(selection) => `Engines for ${selectionKind(selection)}`}
			render={(selection) => <SelectionReport selection={selection} picked={pickedEngine(selection, picks.current[selection.dbType])} />}
		/>
	);
}
