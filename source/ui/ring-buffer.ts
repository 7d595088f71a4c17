/** The latest `capacity` items: a push past capacity overwrites the oldest, so a flood allocates nothing. */
export class RingBuffer<T> {
	private readonly slots: Array<T | undefined>;
	private next = 0;
	private count = 0;

	constructor(readonly capacity: number) {
		if (!Number.isSafeInteger(capacity) || capacity < 1) throw new RangeError(`ring capacity ${capacity} is not a positive whole number`);
		this.slots = new Array<T | undefined>(capacity);
	}

	get size(): number {
		return this.count;
	}

	push(item: T): void {
		this.slots[this.next] = item;
		this.next = (this.next + 1) % this.capacity;
		if (this.count < this.capacity) this.count++;
	}

	/** the items held, oldest first */
	toArray(): T[] {
		const start = (this.next - this.count + this.capacity) % this.capacity;
		const items: T[] = [];
		for (let i = 0; i < this.count; i++) items.push(this.slots[(start + i) % this.capacity] as T);
		return items;
	}
}
