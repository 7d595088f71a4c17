import {dbTypeLabel} from '../../core/detect/describe.ts';
import {Box, Text, useInput} from 'ink';
import {useState} from 'react';
import type {EngineAvailabilityRow, EngineSelection} from '../../engines/selection-types.ts';
import {ErrorMessage} from '../components/error-message.tsx';
import {ServerPager} from '../components/server-pager.tsx';
import {StageLine} from '../components/stage-line.tsx';
import {useTask} from '../hooks.ts';
import {useBodySize} from '../layout.ts';
import type {ScreenProps} from '../screen.ts';

const NAME_WIDTH = 18;
const KIND_WIDTH = 10;
const AVAILABLE_WIDTH = 4;

export function selectionKind(selection: EngineSelection): string {
	return dbTypeLabel(selection.dbType);
}

function CandidateRow({row}: {row: EngineAvailabilityRow}) {
	const {availability} = row;
	return (
		<Box>
			<Box width={NAME_WIDTH} flexShrink={0}>
				<Text>{row.name}</Text>
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

function SelectionReport({selection}: {selection: EngineSelection}) {
	return (
		<Box flexDirection="column">
			<Box>
				<Box width={NAME_WIDTH}>
					<Text bold>Engine</Text>
				</Box>
				<Box width={KIND_WIDTH}>
					<Text bold>Kind</Text>
				</Box>
				<Text bold>Available</Text>
			</Box>
			{selection.candidates.map((row) => (
				<CandidateRow key={row.name} row={row} />
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

export function EngineScreen({bus, controller, refresh}: ScreenProps) {
	const {state, restart} = useTask(() => controller.selectEngine(), refresh);
	// here, not in the pager: r unmounts the pager while the selection runs again
	const [server, setServer] = useState(0);
	const {rows} = useBodySize();
	useInput((input) => {
		if (input === 'r' && state.status !== 'running') restart();
	});

	if (state.status === 'running') return <StageLine bus={bus} activity="Choosing engine…" />;
	if (state.status === 'failed') return <ErrorMessage error={state.error} />;
	if (state.value.length === 0) return <Text color="yellow">No server to choose an engine for.</Text>;
	return (
		<ServerPager
			items={state.value}
			index={server}
			onIndexChange={setServer}
			rows={rows}
			title={(selection) => `Engines for ${selectionKind(selection)}`}
			render={(selection) => <SelectionReport selection={selection} />}
		/>
	);
}
