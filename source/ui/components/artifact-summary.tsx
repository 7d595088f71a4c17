import {Box, Text} from 'ink';
import {formatBytes, formatDuration} from '../../core/format.ts';
import type {ArtifactSummary} from '../controller.ts';
import {formatUtc, plural, secondsBetween} from '../wording.ts';
import {FieldRow} from './field-row.tsx';
import {MoreLine, shownItems} from './more-line.tsx';

function whenTaken(artifact: ArtifactSummary): string {
	if (!artifact.startedAt) return `file modified ${formatUtc(artifact.modifiedAt)}`;
	if (!artifact.finishedAt) return formatUtc(artifact.startedAt);
	const seconds = secondsBetween(artifact.startedAt, artifact.finishedAt);
	return seconds === undefined ? formatUtc(artifact.startedAt) : `${formatUtc(artifact.startedAt)}, took ${formatDuration(seconds)}`;
}

/**
 * What a backup holds, from its manifest: where it came from, when, what is in it, where it stops; in
 * `rows` (when given) by listing fewer of its databases.
 */
export function ArtifactSummaryView({artifact, rows}: {artifact: ArtifactSummary; rows?: number}) {
	const server = [artifact.dbType, artifact.serverVersion].filter(Boolean).join(' ');
	const fields = 2 + [artifact.engine, server, artifact.coordinates, artifact.lockMs].filter((field) => field !== undefined && field !== '').length;
	const listed = artifact.physical ? 0 : rows === undefined ? artifact.databases.length : shownItems(artifact.databases.length, rows - fields);
	return (
		<Box flexDirection="column">
			<FieldRow label="Artifact">
				<Text wrap="truncate-middle">
					{artifact.path}
					<Text dimColor>
						{'  '}
						{artifact.kind === 'sql' ? 'SQL script' : 'archive'}, {formatBytes(artifact.bytes)}
						{artifact.compression ? `, ${artifact.compression}` : ''}
					</Text>
				</Text>
			</FieldRow>
			{artifact.engine ? <FieldRow label="Engine">{artifact.engine}</FieldRow> : null}
			{server ? <FieldRow label="Server">{server}</FieldRow> : null}
			<FieldRow label="Taken">{whenTaken(artifact)}</FieldRow>
			<FieldRow label="Databases">
				{artifact.physical ? (
					// a copy of the server's files: its databases are named, but it holds no tables and rows of its own
					<Text wrap="truncate-end">
						{artifact.databases.map((database) => database.name).join(', ')}
						<Text dimColor>{artifact.databases.length > 0 ? '  ' : ''}the whole server, as files</Text>
					</Text>
				) : artifact.databases.length === 0 ? (
					<Text dimColor>not named in the file</Text>
				) : (
					<Box flexDirection="column">
						{artifact.databases.slice(0, listed).map((database) => (
							<Text key={database.name} wrap="truncate-end">
								{database.name}
								<Text dimColor>
									{'  '}
									{plural(database.tables, 'table')}, {plural(database.rows, 'row')}
								</Text>
							</Text>
						))}
						<MoreLine hidden={artifact.databases.length - listed} noun="database" />
					</Box>
				)}
			</FieldRow>
			{artifact.coordinates ? <FieldRow label="Coordinates">{artifact.coordinates}</FieldRow> : null}
			{artifact.lockMs === undefined ? null : <FieldRow label="Lock time">{`${Math.round(artifact.lockMs)} ms`}</FieldRow>}
		</Box>
	);
}
