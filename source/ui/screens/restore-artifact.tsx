import path from 'node:path';
import {Box, Text} from 'ink';
import {useEffect, useState} from 'react';
import {formatBytes} from '../../core/format.ts';
import {ErrorMessage} from '../components/error-message.tsx';
import {Menu} from '../components/menu.tsx';
import {TextInput} from '../components/text-input.tsx';
import type {ArtifactSummary} from '../controller.ts';
import {formatUtc} from '../wording.ts';
import {useScreenKeys} from '../frame-keys.ts';
import {useTask, type TaskState} from '../hooks.ts';
import {rowsLeft, useBodySize} from '../layout.ts';
import type {ScreenProps} from '../screen.ts';

const TYPE_PATH = '\u0000type-a-path';
/** the most artifacts listed at once, however tall the terminal */
const ARTIFACTS_SHOWN = 20;

/** "shop-20261115T140327Z.tar  1.2 GiB  2026-11-15 14:03:27 UTC  shop": one artifact in one line. */
export function artifactLabel(artifact: ArtifactSummary): string {
	const names = artifact.databases.map((database) => database.name).join(', ');
	return [path.basename(artifact.path), formatBytes(artifact.bytes), formatUtc(artifact.startedAt ?? artifact.modifiedAt), names]
		.filter((part) => part !== '')
		.join('  ');
}

interface PickerProps extends Pick<ScreenProps, 'controller' | 'refresh'> {
	onPick: (artifact: ArtifactSummary) => void;
}

/** Reads the manifest of a typed path; on failure says why and lets the user edit the path. */
function TypedPath({controller, refresh, onPick, onBack}: PickerProps & {onBack: () => void}) {
	const [value, setValue] = useState('');
	const [submitted, setSubmitted] = useState<string>();
	useScreenKeys({hints: [{key: 'Enter', action: 'open'}], escape: {action: 'back to the list', run: onBack}});
	return (
		<Box flexDirection="column">
			<Box>
				<Box flexShrink={0}>
					<Text bold>Path </Text>
				</Box>
				<TextInput
					wrap="truncate-start"
					value={value}
					placeholder="/backups/shop-20261115T140327Z.tar"
					onChange={(next) => {
						setValue(next);
						setSubmitted(undefined);
					}}
					onSubmit={(next) => {
						if (next.trim() !== '') setSubmitted(next.trim());
					}}
				/>
			</Box>
			{submitted === undefined ? null : <Describe key={submitted} controller={controller} refresh={refresh} file={submitted} onPick={onPick} />}
		</Box>
	);
}

/** Reads the manifest of `file` and hands it on; says why when it cannot. */
export function Describe({controller, refresh, file, onPick}: PickerProps & {file: string}) {
	const {state} = useTask(() => controller.describeArtifact(file), refresh);
	useEffect(() => {
		if (state.status === 'done') onPick(state.value);
	}, [state]);
	if (state.status === 'running') return <Text color="cyan">Reading {file}…</Text>;
	if (state.status === 'failed') return <ErrorMessage error={state.error} />;
	return null;
}

/** The backups in the default directory, newest first, and a way to type any other path. */
export function ArtifactPicker({controller, refresh, onPick}: PickerProps) {
	const [typing, setTyping] = useState(false);
	const listing = useTask(() => controller.listArtifacts(), refresh);
	if (typing) return <TypedPath controller={controller} refresh={refresh} onPick={onPick} onBack={() => setTyping(false)} />;
	return <ArtifactList listing={listing.state} directory={controller.defaultOutputDir()} onPick={onPick} onType={() => setTyping(true)} />;
}

interface ArtifactListProps {
	listing: TaskState<ArtifactSummary[]>;
	directory: string;
	onPick: (artifact: ArtifactSummary) => void;
	onType: () => void;
}

function ArtifactList({listing, directory, onPick, onType}: ArtifactListProps) {
	const {rows} = useBodySize();
	useScreenKeys({
		hints: [
			{key: '↑/↓', action: 'move'},
			{key: 'Enter', action: 'select'},
		],
	});
	const artifacts = listing.status === 'done' ? listing.value : [];
	const items = [
		...artifacts.map((artifact, index) => ({key: artifact.path, label: artifactLabel(artifact), value: String(index)})),
		{key: TYPE_PATH, label: 'Type a path…', value: TYPE_PATH},
	];
	const status =
		listing.status === 'running' ? (
			<Text color="cyan">Looking for backups…</Text>
		) : listing.status === 'failed' ? (
			<ErrorMessage error={listing.error} />
		) : artifacts.length === 0 ? (
			<Text dimColor>none found</Text>
		) : null;
	// the heading, a status line (an error takes two), the blank row
	const menuRows = rowsLeft(rows, 2 + (listing.status === 'failed' ? 2 : status ? 1 : 0), 3);
	return (
		<Box flexDirection="column">
			<Text wrap="truncate-middle">
				Backups in <Text bold>{directory}</Text>
			</Text>
			{status}
			<Box marginTop={1}>
				<Menu
					items={items}
					rows={Math.min(ARTIFACTS_SHOWN, menuRows ?? ARTIFACTS_SHOWN)}
					onSelect={(item) => (item.value === TYPE_PATH ? onType() : onPick(artifacts[Number(item.value)]!))}
				/>
			</Box>
		</Box>
	);
}
