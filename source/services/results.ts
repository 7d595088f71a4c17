import type {DetectedEnvironment} from '../core/detect/types.ts';
import type {EventBus} from '../core/events.ts';
import type {EngineAvailabilityRow, EngineSelection} from '../engines/selection-types.ts';
import type {BackupResult, EngineName, RestoreResult} from '../engines/types.ts';
import type {DemoRoundTrip} from './demo-round-trip.ts';
import type {ArtifactContents} from './restore.ts';
import type {VerifyReport} from './verify.ts';
import type {BinlogStreamSummary} from '../binlog/stream/streamer.ts';
import type {ReplayResult} from '../binlog/replay/types.ts';
import type {WalStreamSummary} from '../wal/stream/streamer.ts';
import type {FetchedWal} from '../wal/store/fetch.ts';
import type {Catalog} from './catalog.ts';
import type {PinResult} from './retention/pin.ts';
import type {PruneReport} from './retention/prune.ts';

/** The results commands put on the bus; `kind` is the discriminator every sink switches on. */
export type CommandResult =
	| {kind: 'detect'; environment: DetectedEnvironment}
	| {kind: 'engine-list'; target: string; rows: EngineAvailabilityRow[]}
	| {kind: 'engine-info'; target: string; engine: EngineName; row: EngineAvailabilityRow}
	| {kind: 'engine-info-all'; target: string; environment: DetectedEnvironment; rows: EngineAvailabilityRow[]}
	| {kind: 'engine-selection'; target: string; selection: EngineSelection}
	| {kind: 'backup'; engine: EngineName; result: BackupResult}
	| {kind: 'restore'; engine: EngineName; result: RestoreResult}
	/** verify: what was checked, all good (a failure is the error) */
	| {kind: 'verify'; report: VerifyReport}
	/** restore ARTIFACT --list */
	| {kind: 'artifact-contents'; contents: ArtifactContents}
	| {kind: 'demo-round-trip'; roundTrip: DemoRoundTrip}
	| {kind: 'binlog-stream'; summary: BinlogStreamSummary}
	| {kind: 'wal-stream'; summary: WalStreamSummary}
	/** wal-fetch (with --json only: a restore_command's success is silent) */
	| {kind: 'wal-fetch'; fetched: FetchedWal}
	/** restore --binlogs: the restore (absent with --dry-run) and the binlog replay after it */
	| {kind: 'point-in-time'; engine?: EngineName; restore?: RestoreResult; replay: ReplayResult}
	/** status: the backups, binlog streams, recovery windows and work in progress at a location */
	| {kind: 'status'; catalog: Catalog}
	/** prune: every backup's verdict and reasons, the binlog files that go; confirmed: what was deleted */
	| {kind: 'prune'; report: PruneReport}
	/** pin / unpin */
	| {kind: 'pin'; pin: PinResult}
	| {kind: 'demo'; servers: Array<{dbType: string; target: string; socket: string; database: string; stopsAtExit: boolean}>};

export function emitResult(bus: EventBus, result: CommandResult): void {
	const {kind, ...data} = result;
	bus.result(kind, data);
}

export function asCommandResult(kind: string, data: unknown): CommandResult {
	return {kind, ...(data as object)} as CommandResult;
}
