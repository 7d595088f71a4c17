import type {Writable} from 'node:stream';

/** Above this many bytes waiting in stdout, binlog feed lines are dropped (and counted). */
const FEED_BACKLOG_LIMIT = 1024 * 1024;

/**
 * The binlog feed can outrun a slow reader of stdout (a pipe, an SSH link). Node would queue every line
 * in memory and the streamer would slow down with it, so feed lines are dropped while stdout is backed
 * up; the raw binlog files are unaffected. `resumed` reports how many were dropped once it drains.
 */
export class FeedValve {
	private dropped = 0;

	constructor(private readonly stdout: Writable) {}

	/** true: write this feed line; false: it was dropped */
	admit(): boolean {
		if ((this.stdout.writableLength ?? 0) > FEED_BACKLOG_LIMIT) {
			this.dropped += 1;
			return false;
		}
		return true;
	}

	/** the number of lines dropped since the last call, once stdout has room again */
	takeDropped(): number {
		if (this.dropped === 0 || (this.stdout.writableLength ?? 0) > FEED_BACKLOG_LIMIT) return 0;
		const count = this.dropped;
		this.dropped = 0;
		return count;
	}
}
