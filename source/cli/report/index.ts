import type {CommandResult} from '../../services/results.ts';
import {renderEngineDetail, renderEngineRows, renderSelection} from './engines.ts';
import {renderEnvironment} from './environment.ts';
import {renderBackup, renderDemoRoundTrip, renderRestore} from './work.ts';
import {renderBinlogStream} from './binlog.ts';
import {renderWalFetch, renderWalStream} from './wal.ts';
import {renderPointInTime} from './replay.ts';
import {renderArtifactContents} from './contents.ts';
import {renderVerify} from './verify.ts';
import {renderStatus} from './status.ts';
import {renderPin, renderPrune} from './prune.ts';

/** Plain text of a result, for stdout in --yes / non-TTY mode. */
export function renderResult(result: CommandResult): string {
	switch (result.kind) {
		case 'detect':
			return renderEnvironment(result.environment);
		case 'engine-list':
			return renderEngineRows(result.target, result.rows);
		case 'engine-info':
			return renderEngineDetail(result.row);
		case 'engine-info-all':
			return [
				renderEnvironment(result.environment),
				'',
				...result.rows.map((row) => renderEngineDetail(row)),
			].join('\n');
		case 'engine-selection':
			return renderSelection(result.target, result.selection);
		case 'backup':
			return renderBackup(result.engine, result.result);
		case 'restore':
			return renderRestore(result.engine, result.result);
		case 'verify':
			return renderVerify(result.report);
		case 'artifact-contents':
			return renderArtifactContents(result.contents);
		case 'demo-round-trip':
			return renderDemoRoundTrip(result.roundTrip);
		case 'binlog-stream':
			return renderBinlogStream(result.summary);
		case 'wal-stream':
			return renderWalStream(result.summary);
		case 'wal-fetch':
			return renderWalFetch(result.fetched);
		case 'point-in-time':
			return renderPointInTime(result.engine, result.restore, result.replay);
		case 'status':
			return renderStatus(result.catalog);
		case 'prune':
			return renderPrune(result.report);
		case 'pin':
			return renderPin(result.pin);
		case 'demo':
			return result.servers
				.map((server) => `Demo ${server.dbType} at ${server.target} (socket ${server.socket}), sample database ${server.database}`)
				.join('\n');
	}
}
