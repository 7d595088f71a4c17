import {Box, Text, useInput} from 'ink';
import {formatBytes, formatCount, formatDuration} from '../../core/format.ts';
import {ErrorMessage} from '../components/error-message.tsx';
import {FieldRow} from '../components/field-row.tsx';
import {ScrollView} from '../components/scroll-view.tsx';
import type {ArtifactContents} from '../controller.ts';
import {useScreenKeys} from '../frame-keys.ts';
import {useTask, type TaskState} from '../hooks.ts';
import {useBodySize} from '../layout.ts';
import type {ScreenProps} from '../screen.ts';
import {formatUtc, plural, secondsBetween} from '../wording.ts';
import {engineText, type ShownBackup} from './backups-list.tsx';

/** "complete", "INCOMPLETE (no sidecar)", "unreadable"; then encrypted and pinned when they are so. */
export function stateText(backup: ShownBackup): string {
	const marks = [backup.problem !== undefined ? 'unreadable' : backup.complete ? 'complete' : backup.format === 'archive' ? 'incomplete (no sidecar)' : 'incomplete'];
	if (backup.encrypted) marks.push(backup.readable ? 'encrypted' : 'encrypted, no key given');
	if (backup.pinned) marks.push('pinned');
	return marks.join(', ');
}

function takenText(backup: ShownBackup): string {
	if (!backup.startedAt) return `${formatUtc(backup.at)} (the file's time)`;
	const seconds = backup.finishedAt ? secondsBetween(backup.startedAt, backup.finishedAt) : undefined;
	return seconds === undefined ? formatUtc(backup.startedAt) : `${formatUtc(backup.startedAt)}, took ${formatDuration(seconds)}`;
}

function serverText(backup: ShownBackup): string | undefined {
	if (!backup.server) return backup.dbType;
	return `${backup.server.flavor} ${backup.server.version} on ${backup.server.host}`;
}

/** What the catalog knows of the backup: shown at once, before the manifest is read. */
function CatalogFacts({backup}: {backup: ShownBackup}) {
	const server = serverText(backup);
	const stored = [formatBytes(backup.bytes), backup.format === 'archive' ? 'archive' : 'SQL script', backup.compression].filter(Boolean).join(', ');
	const problem = !backup.complete || backup.problem !== undefined;
	return (
		<Box flexDirection="column">
			<FieldRow label="Name">{backup.name}</FieldRow>
			<FieldRow label="Location">{backup.url}</FieldRow>
			<FieldRow label="Stored">{stored}</FieldRow>
			<FieldRow label="State">
				<Text color={problem ? 'yellow' : 'green'} wrap="truncate-end">
					{stateText(backup)}
				</Text>
			</FieldRow>
			{backup.readable ? <FieldRow label="Engine">{engineText(backup)}</FieldRow> : null}
			{server ? <FieldRow label="Server">{server}</FieldRow> : null}
			<FieldRow label="Taken">{takenText(backup)}</FieldRow>
			{/* an archive's databases come with their tables from the manifest below */}
			{backup.format === 'sql' && backup.databases?.length ? <FieldRow label="Databases">{backup.databases.join(', ')}</FieldRow> : null}
			{backup.coordinates ? <FieldRow label="Coordinates">{backup.coordinates}</FieldRow> : null}
			{backup.lockMs === undefined ? null : <FieldRow label="Lock time">{`${Math.round(backup.lockMs)} ms`}</FieldRow>}
			{backup.problem ? <Text color="red">✗ {backup.problem}</Text> : null}
			{backup.readable ? null : (
				<Text color="yellow">
					Encrypted, and no key was given: only its name, size and time are known. Give the key (--encryption-key-file,
					DBBACKUP_ENCRYPTION_KEY or DBBACKUP_PASSPHRASE) to read it.
				</Text>
			)}
		</Box>
	);
}

/** The databases with their tables and rows, then every member (stored and before compression), as `restore --list` has them. */
function Contents({contents}: {contents: ArtifactContents}) {
	const {summary, tables, members} = contents;
	if (summary.kind === 'sql') {
		return <Text dimColor>A SQL script lists no databases or members; restoring it shows what it creates.</Text>;
	}
	return (
		<Box flexDirection="column">
			<FieldRow label="Databases">
				<Box flexDirection="column">
					{summary.databases.length === 0 ? <Text dimColor>none named</Text> : null}
					{summary.databases.map((database) => (
						<Box key={database.name} flexDirection="column">
							<Text wrap="truncate-end">
								<Text bold>{database.name}</Text>
								<Text dimColor>
									{'  '}
									{plural(database.tables, 'table')}, {plural(database.rows, 'row')}
								</Text>
							</Text>
							{tables
								.filter((table) => table.database === database.name)
								.map((table) => (
									<Text key={table.table} wrap="truncate-end">
										{'  '}
										{table.table}
										<Text dimColor>  {plural(table.rows, 'row')}</Text>
									</Text>
								))}
						</Box>
					))}
				</Box>
			</FieldRow>
			<Box marginTop={1} flexDirection="column">
				<Text bold>
					Members ({formatCount(members.length)}) <Text dimColor>stored / before compression</Text>
				</Text>
				{members.map((member) => (
					<Box key={member.path}>
						<Box width={22} flexShrink={0}>
							<Text>
								{formatBytes(member.bytes).padStart(10)} {formatBytes(member.rawBytes).padStart(10)}
							</Text>
						</Box>
						<Box flexShrink={1}>
							<Text wrap="truncate-middle">{member.path}</Text>
						</Box>
					</Box>
				))}
			</Box>
		</Box>
	);
}

function ContentsState({state}: {state: TaskState<ArtifactContents | undefined>}) {
	if (state.status === 'running') return <Text color="cyan">Reading the manifest…</Text>;
	if (state.status === 'failed') return <ErrorMessage error={state.error} />;
	return state.value ? <Contents contents={state.value} /> : null;
}

interface BackupDetailProps extends Pick<ScreenProps, 'controller' | 'refresh'> {
	backup: ShownBackup;
	onVerify: () => void;
	onRestore: () => void;
	onDelete: () => void;
	onBack: () => void;
}

/**
 * One backup: what the catalog knows (name, where, size, state, engine, server, when, coordinates), then
 * its manifest read as `restore --list` reads it (databases, tables with rows, members with sizes). It
 * scrolls when taller than the room; v, r and d act on it.
 */
export function BackupDetail({controller, refresh, backup, onVerify, onRestore, onDelete, onBack}: BackupDetailProps) {
	const {rows} = useBodySize();
	// an encrypted backup without the key, or one that could not be read, has no manifest to show
	const readable = backup.readable && backup.problem === undefined;
	const {state} = useTask<ArtifactContents | undefined>(() => (readable ? controller.backupContents(backup.url) : Promise.resolve(undefined)), refresh);
	useScreenKeys({
		hints: [
			{key: 'v', action: 'verify'},
			{key: 'r', action: 'restore'},
			{key: 'd', action: 'delete'},
		],
		escape: {action: 'back to the list', run: onBack},
	});
	useInput((input) => {
		if (input === 'v') onVerify();
		else if (input === 'r') onRestore();
		else if (input === 'd') onDelete();
	});
	return (
		<ScrollView rows={rows}>
			<CatalogFacts backup={backup} />
			{readable ? (
				<Box marginTop={1} flexDirection="column">
					<ContentsState state={state} />
				</Box>
			) : null}
		</ScrollView>
	);
}
