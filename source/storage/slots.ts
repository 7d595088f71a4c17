/** A counting semaphore: at most `size` holders at once, waiters served in order. */
export class Slots {
	private free: number;
	private readonly waiting: Array<{grant: () => void; refuse: (error: Error) => void}> = [];

	constructor(size: number) {
		if (!Number.isInteger(size) || size < 1) throw new RangeError(`slot count must be a whole number of 1 or more, not ${size}`);
		this.free = size;
	}

	/** Resolves with a release function once a slot is free. */
	acquire(): Promise<() => void> {
		return new Promise((resolve, reject) => {
			const grant = () => {
				let released = false;
				resolve(() => {
					if (released) return;
					released = true;
					this.release();
				});
			};
			if (this.free > 0) {
				this.free--;
				grant();
			} else {
				this.waiting.push({grant, refuse: reject});
			}
		});
	}

	/** Rejects everyone still waiting (holders keep their slots until they release them). */
	refuseWaiting(error: Error): void {
		for (const waiter of this.waiting.splice(0)) waiter.refuse(error);
	}

	private release(): void {
		const next = this.waiting.shift();
		if (next) next.grant();
		else this.free++;
	}
}
