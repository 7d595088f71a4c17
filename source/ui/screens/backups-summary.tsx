import {Box, Text, useInput} from 'ink';
import {formatBytes, formatDuration} from '../../core/format.ts';
import {ScrollView} from '../components/scroll-view.tsx';
import type {Catalog, CatalogStream, RecoveryWindow} from '../controller.ts';
import {useScreenKeys} from '../frame-keys.ts';
import {useBodySize} from '../layout.ts';
import {formatUtc} from '../wording.ts';
import {streamsText, windowText} from './backups-list.tsx';

function StreamLines({stream}: {stream: CatalogStream}) {
	const source = stream.source ? `${stream.source.flavor} server_id ${stream.source.serverId} (host ${stream.source.host})` : 'server unknown';
	const {checkpoint, running} = stream;
	const holder = [running.pid === undefined ? '' : `pid ${running.pid}`, running.host ?? ''].filter(Boolean).join(' on ');
	return (
		<Box flexDirection="column">
			<Text wrap="truncate-middle">
				<Text bold>{stream.url}</Text>
				{stream.encrypted ? ' [encrypted]' : ''}
			</Text>
			<Box flexDirection="column" marginLeft={2}>
				<Text wrap="truncate-end">{stream.readable ? source : 'encrypted, no key: only its file names are known'}</Text>
				<Text wrap="truncate-end">
					files:{' '}
					{stream.firstFile === undefined
						? 'none'
						: `${stream.firstFile} … ${stream.lastFile} (${stream.files} present${stream.readable ? `; ${stream.closedFiles} closed, ${formatBytes(stream.closedBytes)}` : ''})`}
				</Text>
				{checkpoint ? (
					<Text wrap="truncate-end">
						checkpoint: {checkpoint.file}:{checkpoint.position}
						{checkpoint.gtid ? `, GTID ${checkpoint.gtid}` : ''}, written {formatDuration(checkpoint.ageSeconds)} ago
					</Text>
				) : null}
				{stream.gaps.length > 0 ? (
					<Text color="red" wrap="truncate-end">
						gaps: {stream.gaps.map((gap) => (gap.files === 1 ? gap.from : `${gap.from} … ${gap.to}`)).join('; ')}
					</Text>
				) : null}
				<Text wrap="truncate-end">
					streamer: <Text color={running.state === 'running' ? 'green' : undefined}>{running.state}</Text>
					{holder ? ` (${holder})` : ''}
					<Text dimColor>: {running.how}</Text>
				</Text>
				{stream.problem ? <Text color="yellow">! {stream.problem}</Text> : null}
			</Box>
		</Box>
	);
}

function WindowLines({window}: {window: RecoveryWindow}) {
	return (
		<Box flexDirection="column">
			<Text wrap="truncate-end">
				<Text bold>{windowText(window)}</Text>
			</Text>
			<Box flexDirection="column" marginLeft={2}>
				<Text dimColor>earliest: {window.earliest.how}</Text>
				<Text dimColor>latest: {window.latest.how}</Text>
			</Box>
		</Box>
	);
}

/** The catalog's streams, recovery windows, work in progress and notes in full, as `status` prints them; s or Esc goes back. */
export function CatalogDetails({catalog, onBack}: {catalog: Catalog; onBack: () => void}) {
	const {rows} = useBodySize();
	useScreenKeys({hints: [{key: 's', action: 'backups'}], escape: {action: 'back', run: onBack}});
	useInput((input) => {
		if (input === 's') onBack();
	});
	return (
		<ScrollView rows={rows}>
			<Text wrap="truncate-middle">
				<Text bold>{catalog.location}</Text>
				<Text dimColor> read {formatUtc(catalog.generatedAt)}</Text>
			</Text>
			<Box marginTop={1} flexDirection="column">
				<Text bold>Binlog streams: {streamsText(catalog.streams)}</Text>
				{catalog.streams.map((stream) => (
					<StreamLines key={stream.url} stream={stream} />
				))}
			</Box>
			<Box marginTop={1} flexDirection="column">
				<Text bold>{catalog.windows.length === 0 ? 'Recovery window: no complete backup to restore' : 'Recovery windows'}</Text>
				{catalog.windows.map((window) => (
					<WindowLines key={`${window.dbType}:${window.database}`} window={window} />
				))}
			</Box>
			<Box marginTop={1} flexDirection="column">
				<Text bold>Work in progress: {catalog.work.length === 0 ? 'none' : catalog.work.length}</Text>
				{catalog.work.map((work) => (
					<Text key={work.url} wrap="truncate-middle">
						{'  '}
						{work.name} <Text dimColor>{work.what}{work.bytes === undefined ? '' : ` ${formatBytes(work.bytes)}`} {work.running === true ? 'running' : work.running === false ? 'not running (a leftover)' : 'running or not: cannot tell'}</Text>
					</Text>
				))}
			</Box>
			{catalog.notes.length > 0 ? (
				<Box marginTop={1} flexDirection="column">
					{catalog.notes.map((note) => (
						<Text key={note} color="yellow">
							note: {note}
						</Text>
					))}
				</Box>
			) : null}
		</ScrollView>
	);
}
