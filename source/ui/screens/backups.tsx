import {Box, Text, useInput} from 'ink';
import {useState, type ReactNode} from 'react';
import {ErrorMessage} from '../components/error-message.tsx';
import {TextInput} from '../components/text-input.tsx';
import {useScreenKeys} from '../frame-keys.ts';
import {useTask} from '../hooks.ts';
import type {ScreenProps} from '../screen.ts';
import {plural} from '../wording.ts';
import {DeleteStep, VerifyStep} from './backup-actions.tsx';
import {BackupDetail} from './backup-detail.tsx';
import {BackupList, type ShownBackup} from './backups-list.tsx';
import {CatalogDetails} from './backups-summary.tsx';

/** Where the list is: the location to read, asked first (the output directory given). */
function LocationStep({initial, onSubmit}: {initial: string; onSubmit: (location: string) => void}) {
	const [value, setValue] = useState(initial);
	useScreenKeys({hints: [{key: 'Enter', action: 'list'}]});
	return (
		<Box flexDirection="column">
			<Box>
				<Box flexShrink={0}>
					<Text bold>Location </Text>
				</Box>
				<TextInput
					wrap="truncate-start"
					value={value}
					placeholder="/backups or s3://bucket/prefix/"
					onChange={setValue}
					onSubmit={(next) => {
						if (next.trim() !== '') onSubmit(next.trim());
					}}
				/>
			</Box>
			<Text dimColor wrap="truncate-end">
				A directory or an s3:// prefix of backups, as `dbbackup status` reads it.
			</Text>
		</Box>
	);
}

/** The catalog could not be read: why, and Enter (or Esc) to edit the location. */
function CatalogFailed({children, onBack}: {children: ReactNode; onBack: () => void}) {
	useScreenKeys({hints: [{key: 'Enter', action: 'edit the location'}], escape: {action: 'back', run: onBack}});
	useInput((_input, key) => {
		if (key.return) onBack();
	});
	return <>{children}</>;
}

type View =
	| {view: 'list'}
	| {view: 'summary'}
	| {view: 'detail'; name: string}
	| {view: 'verify'; name: string; from: 'list' | 'detail'}
	| {view: 'delete'; name: string; from: 'list' | 'detail'};

interface CatalogViewProps extends Omit<ScreenProps, 'screens' | 'goHome' | 'exit' | 'enginePicks' | 'pickEngine' | 'handoff'> {
	location: string;
	onBack: () => void;
}

/** The catalog of one location, read once and again after a delete, and the steps on its backups. */
function CatalogView({bus, controller, refresh, navigate, location, onBack}: CatalogViewProps) {
	const {state, restart} = useTask(() => controller.catalog(location), refresh);
	const [view, setView] = useState<View>({view: 'list'});
	// the cursor's backup, by name: it stays on it when the list comes back (after a delete, on the one beside it)
	const [selected, setSelected] = useState<{name?: string; index: number}>({index: 0});
	const [message, setMessage] = useState<{text: string; color: string}>();

	if (state.status === 'running') {
		return (
			<Text color="cyan" wrap="truncate-middle">
				Reading the backups at {location}…
			</Text>
		);
	}
	if (state.status === 'failed') {
		return (
			<CatalogFailed onBack={onBack}>
				<ErrorMessage error={state.error} />
			</CatalogFailed>
		);
	}
	const catalog = state.value;
	// newest first, as the restore screen lists them; the catalog keeps status's order (oldest first)
	const backups: ShownBackup[] = [...catalog.backups].reverse();
	const byName = (name: string) => backups.find((backup) => backup.name === name);
	const named = selected.name === undefined ? -1 : backups.findIndex((backup) => backup.name === selected.name);
	const cursor = named >= 0 ? named : Math.max(0, Math.min(selected.index, backups.length - 1));
	const toList = () => setView({view: 'list'});
	const restore = (backup: ShownBackup) => navigate('restore', {artifact: backup.url});

	const current = view.view === 'list' || view.view === 'summary' ? undefined : byName(view.name);
	if (view.view === 'summary') return <CatalogDetails catalog={catalog} onBack={toList} />;
	if (view.view === 'list' || !current) {
		const at = (index: number) => backups[index]!;
		return (
			<BackupList
				catalog={catalog}
				backups={backups}
				initial={cursor}
				message={message}
				onMove={(index) => setSelected({name: at(index).name, index})}
				onOpen={(index) => {
					setMessage(undefined);
					setSelected({name: at(index).name, index});
					setView({view: 'detail', name: at(index).name});
				}}
				onVerify={(index) => {
					setMessage(undefined);
					setSelected({name: at(index).name, index});
					setView({view: 'verify', name: at(index).name, from: 'list'});
				}}
				onRestore={(index) => restore(at(index))}
				onDelete={(index) => {
					setMessage(undefined);
					setSelected({name: at(index).name, index});
					setView({view: 'delete', name: at(index).name, from: 'list'});
				}}
				onSummary={() => setView({view: 'summary'})}
				onBack={onBack}
			/>
		);
	}
	const back = (from: 'list' | 'detail') => (from === 'detail' ? setView({view: 'detail', name: current.name}) : toList());
	switch (view.view) {
		case 'detail':
			return (
				<BackupDetail
					controller={controller}
					refresh={refresh}
					backup={current}
					onVerify={() => setView({view: 'verify', name: current.name, from: 'detail'})}
					onRestore={() => restore(current)}
					onDelete={() => setView({view: 'delete', name: current.name, from: 'detail'})}
					onBack={toList}
				/>
			);
		case 'verify':
			return <VerifyStep bus={bus} controller={controller} refresh={refresh} backup={current} onBack={() => back(view.from)} />;
		case 'delete':
			return (
				<DeleteStep
					controller={controller}
					refresh={refresh}
					backup={current}
					location={catalog.location}
					onBack={() => back(view.from)}
					onDeleted={(removed) => {
						setMessage({text: `✓ Deleted ${current.name} (${plural(removed.length, 'file')} removed)`, color: 'green'});
						setSelected({index: cursor});
						setView({view: 'list'});
						restart();
					}}
				/>
			);
	}
}

/**
 * Backups: the catalog `dbbackup status` prints, as a list to act on. The location comes first (the output
 * directory given); then the backups, newest first, with the streams and recovery windows below; Enter opens
 * one (its manifest, members, coordinates); v verifies, r hands it to Restore, d deletes it once its name is
 * typed.
 */
export function BackupsScreen({bus, controller, refresh, navigate}: ScreenProps) {
	const [location, setLocation] = useState(() => controller.defaultOutputDir());
	const [listing, setListing] = useState(false);
	if (!listing) {
		return (
			<LocationStep
				initial={location}
				onSubmit={(next) => {
					setLocation(next);
					setListing(true);
				}}
			/>
		);
	}
	return (
		<CatalogView
			bus={bus}
			controller={controller}
			refresh={refresh}
			navigate={navigate}
			location={location}
			onBack={() => setListing(false)}
		/>
	);
}
