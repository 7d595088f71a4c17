import {Box, Text} from 'ink';
import {useState} from 'react';
import {formatBytes, formatCount, formatDuration} from '../../core/format.ts';
import {ErrorMessage} from '../components/error-message.tsx';
import {TextInput} from '../components/text-input.tsx';
import {WorkRun} from '../components/work-run.tsx';
import type {VerifyReport} from '../controller.ts';
import {useScreenKeys} from '../frame-keys.ts';
import {useTask} from '../hooks.ts';
import type {ScreenProps} from '../screen.ts';
import {plural, secondsBetween} from '../wording.ts';
import type {ShownBackup} from './backups-list.tsx';

function VerifySummary({report}: {report: VerifyReport}) {
	const seconds = secondsBetween(report.startedAt, report.finishedAt);
	return (
		<Box flexDirection="column">
			<Text color="green" wrap="truncate-middle">
				✓ {report.location} is good{seconds === undefined ? '' : ` (checked in ${formatDuration(seconds)})`}
			</Text>
			{report.items.map((item) => {
				const figures = [
					`${formatBytes(item.bytes)} read`,
					item.members === undefined ? undefined : plural(item.members, 'member'),
					item.rawBytes === undefined ? undefined : `${formatBytes(item.rawBytes)} decompressed`,
					item.files === undefined ? undefined : plural(item.files, 'file'),
					item.events === undefined ? undefined : `${formatCount(item.events)} events`,
				].filter((figure) => figure !== undefined);
				return (
					<Box key={item.location} flexDirection="column" marginTop={1}>
						<Text wrap="truncate-end">
							{item.kind}: {figures.join(', ')}
						</Text>
						<Text dimColor>checked: {item.checked}</Text>
					</Box>
				);
			})}
		</Box>
	);
}

interface VerifyStepProps extends Pick<ScreenProps, 'bus' | 'controller' | 'refresh'> {
	backup: ShownBackup;
	onBack: () => void;
}

/** `verify` of one backup: its stage while it runs, then what was checked, or the failure's message and hint. */
export function VerifyStep({bus, controller, refresh, backup, onBack}: VerifyStepProps) {
	return (
		<WorkRun
			bus={bus}
			refresh={refresh}
			run={() => controller.verifyBackup(backup.url)}
			noun="verify"
			activity="Verifying…"
			overallTask="verify"
			onBack={{action: 'back', run: onBack}}
			summary={(report) => <VerifySummary report={report} />}
		/>
	);
}

interface DeleteStepProps extends Pick<ScreenProps, 'controller' | 'refresh'> {
	backup: ShownBackup;
	/** the catalog's location, where the backup is */
	location: string;
	onDeleted: (removed: string[]) => void;
	onBack: () => void;
}

/**
 * Deleting a backup: nothing happens until its exact name is typed (anything else keeps it). A pinned
 * backup is refused by the service, whose message is shown; it is never forced from here.
 */
export function DeleteStep({controller, refresh, backup, location, onDeleted, onBack}: DeleteStepProps) {
	const [confirmed, setConfirmed] = useState(false);
	if (confirmed) return <Deleting controller={controller} refresh={refresh} backup={backup} location={location} onDeleted={onDeleted} onBack={onBack} />;
	return <DeleteConfirmation backup={backup} onConfirm={() => setConfirmed(true)} onBack={onBack} />;
}

function DeleteConfirmation({backup, onConfirm, onBack}: {backup: ShownBackup; onConfirm: () => void; onBack: () => void}) {
	const [typed, setTyped] = useState('');
	const [mismatch, setMismatch] = useState(false);
	useScreenKeys({hints: [{key: 'Enter', action: 'delete'}], escape: {action: 'keep it', run: onBack}});
	const files = backup.format === 'archive' ? 'the archive and its sidecar' : 'the script';
	return (
		<Box flexDirection="column">
			<Text wrap="truncate-middle">
				Delete <Text bold>{backup.url}</Text>
			</Text>
			<Text color="yellow">
				⚠ This removes {files} ({formatBytes(backup.bytes)}). It cannot be undone.
			</Text>
			{backup.pinned ? <Text color="yellow">It is pinned: the delete will be refused until it is unpinned.</Text> : null}
			<Box marginTop={1}>
				<Text>
					Type <Text bold>{backup.name}</Text> to confirm:{' '}
					<TextInput
						value={typed}
						onChange={(next) => {
							setTyped(next);
							setMismatch(false);
						}}
						onSubmit={(value) => (value.trim() === backup.name ? onConfirm() : setMismatch(true))}
					/>
				</Text>
			</Box>
			{mismatch ? <Text color="red">That is not its name; nothing was deleted.</Text> : null}
		</Box>
	);
}

function Deleting({controller, refresh, backup, location, onDeleted, onBack}: DeleteStepProps) {
	const {state} = useTask(async () => {
		const removed = await controller.deleteBackup(location, backup.name, backup.format);
		onDeleted(removed);
		return removed;
	}, refresh);
	useScreenKeys(state.status === 'running' ? {hints: [], escape: null} : {hints: [], escape: {action: 'back to the list', run: onBack}});
	if (state.status === 'failed') {
		return (
			<Box flexDirection="column">
				<Text wrap="truncate-middle">
					<Text bold>{backup.name}</Text> was not deleted:
				</Text>
				<ErrorMessage error={state.error} />
			</Box>
		);
	}
	return (
		<Text color="cyan" wrap="truncate-middle">
			Deleting {backup.url}…
		</Text>
	);
}
