import {Box, Text} from 'ink';
import type {
	DataSize,
	DetectedEnvironment,
	MysqlEnvironment,
	PostgresEnvironment,
	PrivilegeInfo,
	SnapshotCapability,
} from '../../core/detect/types.ts';
import {formatBytes, formatCount} from '../../core/format.ts';
import {FactRow} from '../components/fact-row.tsx';
import {
	describeBinlog,
	describeClonePlugin,
	describeDataSize,
	describeFilesystem,
	describeFlavor,
	describeGtid,
	describePrivileges,
	describeSnapshot,
} from '../../core/detect/describe.ts';

const MAX_DATABASES_SHOWN = 8;

/** The largest databases, one line each; the rest summed in one line. */
function DatabaseTable({size}: {size: DataSize}) {
	const sorted = [...size.databases].sort((a, b) => b.bytes - a.bytes);
	const shown = sorted.slice(0, MAX_DATABASES_SHOWN);
	const rest = sorted.slice(MAX_DATABASES_SHOWN);
	const nameWidth = Math.min(28, Math.max(8, ...shown.map((db) => db.name.length)) + 2);
	return (
		<Box flexDirection="column" marginLeft={2}>
			{shown.map((db) => (
				<Box key={db.name}>
					<Box width={nameWidth} flexShrink={0}>
						<Text wrap="truncate-end">{db.name}</Text>
					</Box>
					<Box width={10} flexShrink={0} justifyContent="flex-end">
						<Text>{formatBytes(db.bytes)}</Text>
					</Box>
					{db.tables === undefined ? null : (
						<Text dimColor>
							{'  '}
							{formatCount(db.tables)} table{db.tables === 1 ? '' : 's'}
						</Text>
					)}
				</Box>
			))}
			{rest.length > 0 ? (
				<Text dimColor>
					… {rest.length} more database{rest.length === 1 ? '' : 's'} (
					{formatBytes(rest.reduce((sum, db) => sum + db.bytes, 0))})
				</Text>
			) : null}
		</Box>
	);
}

function PrivilegeList({privileges}: {privileges: PrivilegeInfo}) {
	return (
		<Box flexDirection="column" marginLeft={2}>
			{Object.entries(privileges.perEngine).map(([engine, entry]) => (
				<Text key={engine}>
					{entry.ok ? <Text color="green">✓</Text> : <Text color="red">✗</Text>} {engine}
					{entry.ok ? null : <Text color="red">  missing {entry.missing.join(', ')}</Text>}
				</Text>
			))}
		</Box>
	);
}

const snapshotColor = (snapshot: SnapshotCapability) => (snapshot.capable ? 'green' : undefined);
const privilegesColor = (privileges: PrivilegeInfo) =>
	Object.values(privileges.perEngine).some((entry) => !entry.ok) ? 'yellow' : 'green';

function MysqlReport({env}: {env: MysqlEnvironment}) {
	return (
		<Box flexDirection="column">
			<FactRow label="Version" fact={env.version} describe={(v) => v.text} />
			<FactRow label="Flavor" fact={env.flavor} describe={describeFlavor} />
			<FactRow label="Data size" fact={env.dataSize} describe={describeDataSize} details={(size) => <DatabaseTable size={size} />} />
			<FactRow
				label="Clone plugin"
				fact={env.clonePlugin}
				describe={describeClonePlugin}
				color={(state) => (state === 'ACTIVE' ? 'green' : undefined)}
			/>
			<FactRow label="Binlog" fact={env.binlog} describe={describeBinlog} />
			<FactRow label="GTID" fact={env.gtid} describe={describeGtid} />
			<FactRow label="Datadir" fact={env.datadir} describe={(dir) => dir} />
			<PlacementRows env={env} />
		</Box>
	);
}

/** Rows both server kinds share: where the data lives, whether it can snapshot, who may do what. */
function PlacementRows({env}: {env: DetectedEnvironment}) {
	return (
		<>
			<FactRow label="Filesystem" fact={env.filesystem} describe={describeFilesystem} />
			<FactRow label="Snapshot" fact={env.snapshot} describe={describeSnapshot} color={snapshotColor} />
			<FactRow
				label="Privileges"
				fact={env.privileges}
				describe={describePrivileges}
				color={privilegesColor}
				details={(privileges) => <PrivilegeList privileges={privileges} />}
			/>
		</>
	);
}

function PostgresReport({env}: {env: PostgresEnvironment}) {
	return (
		<Box flexDirection="column">
			<FactRow label="Version" fact={env.version} describe={(v) => v.text} />
			<FactRow label="Data size" fact={env.dataSize} describe={describeDataSize} details={(size) => <DatabaseTable size={size} />} />
			<FactRow label="wal_level" fact={env.walLevel} describe={(level) => level} />
			<FactRow label="Data directory" fact={env.dataDirectory} describe={(dir) => dir} />
			<PlacementRows env={env} />
		</Box>
	);
}

/** Everything detection found about one server, each item with its source or why it is unknown. */
export function EnvironmentReport({env}: {env: DetectedEnvironment}) {
	return env.dbType === 'mysql' ? <MysqlReport env={env} /> : <PostgresReport env={env} />;
}
