import type {Writable} from 'node:stream';

/** Above this many bytes waiting in stdout, binlog feed lines are dropped (and counted). */
const FEED_BACKLOG_LIMIT = 1024 * 1024;
/** Feed lines are written together once this many bytes are queued, or at the end of the tick. */
const FEED_BATCH_BYTES = 64 * 1024;

/**
 * The binlog feed on stdout: thousands of lines a second under load.
 * - Lines are written in batches (one write a tick, or per 64 KiB): a write per line cost the streamer
 *   more CPU than decoding and copying the events.
 * - The feed can outrun a slow reader of stdout (a pipe, an SSH link). Node would queue every line in
 *   memory and the streamer would slow down with it, so lines are dropped while stdout is backed up; the
 *   raw binlog files are unaffected. Once it drains, `reportDropped` gets the count.
 * Anything else the sink writes to stdout must `flush()` first, so the order of lines is kept.
 */
export class FeedValve {
	private dropped = 0;
	private pending = '';
	private scheduled = false;

	constructor(
		private readonly stdout: Writable,
		private readonly reportDropped: (count: number) => void,
	) {}

	/** queue one feed line (with its newline); it is dropped while stdout is backed up */
	offer(line: string): void {
		if ((this.stdout.writableLength ?? 0) > FEED_BACKLOG_LIMIT) {
			this.dropped += 1;
			return;
		}
		if (this.dropped > 0) {
			this.flush();
			const count = this.dropped;
			this.dropped = 0;
			this.reportDropped(count);
		}
		this.pending += line;
		if (this.pending.length >= FEED_BATCH_BYTES) {
			this.flush();
		} else if (!this.scheduled) {
			this.scheduled = true;
			setImmediate(() => {
				this.scheduled = false;
				this.flush();
			});
		}
	}

	/** write the queued feed lines now */
	flush(): void {
		if (this.pending === '') return;
		const text = this.pending;
		this.pending = '';
		this.stdout.write(text);
	}
}
