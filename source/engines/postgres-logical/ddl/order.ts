import {WorkError} from '../../../core/errors.ts';
import type {DdlEntry, DdlKind, DdlSection} from './types.ts';

/** Within a section, among the entries whose dependencies are met, the order pg_dump writes kinds in. */
const KIND_PRIORITY: Record<DdlKind, number> = {
	schema: 1,
	extension: 2,
	collation: 3,
	type: 4,
	domain: 5,
	function: 6,
	procedure: 6,
	aggregate: 7,
	operator: 7,
	sequence: 8,
	table: 9,
	view: 10,
	'materialized-view': 11,
	'table-attach': 12,
	'sequence-owned-by': 13,
	default: 14,
	'sequence-set': 15,
	'large-object': 16,
	index: 20,
	constraint: 21,
	'index-attach': 22,
	'foreign-key': 23,
	trigger: 24,
	rule: 25,
	'row-security': 26,
	policy: 27,
	statistics: 28,
	publication: 29,
	'publication-table': 30,
	owner: 31,
	comment: 32,
	acl: 33,
	'materialized-view-refresh': 34,
	'event-trigger': 35,
};

const SECTIONS: DdlSection[] = ['pre-data', 'data', 'post-data'];

/**
 * What must wait for what beyond the catalogs' dependencies, as pg_restore's last passes do:
 * a materialized view is refreshed after the grants and row security its query runs under, and after
 * the views it reads are refreshed; event triggers are created after everything else (they would
 * fire on the restore's own DDL).
 */
function addRestorePassDependencies(entries: Map<string, DdlEntry>): void {
	const all = [...entries.values()];
	const refreshOf = new Map(all.filter((entry) => entry.kind === 'materialized-view-refresh').map((entry) => [entry.dependsOn[0], entry.id]));
	const lateBound = all.filter((entry) => entry.kind === 'acl' || entry.kind === 'policy' || entry.kind === 'row-security').map((entry) => entry.id);
	for (const [view, refresh] of refreshOf) {
		const upstream = new Set<string>();
		const visit = (id: string, seen: Set<string>) => {
			for (const dependency of entries.get(id)?.dependsOn ?? []) {
				if (seen.has(dependency)) continue;
				seen.add(dependency);
				const upstreamRefresh = refreshOf.get(dependency);
				if (upstreamRefresh) upstream.add(upstreamRefresh);
				visit(dependency, seen);
			}
		};
		visit(view, new Set());
		const entry = entries.get(refresh)!;
		entry.dependsOn = [...new Set([...entry.dependsOn, ...upstream, ...lateBound])];
	}
	const eventTriggers = new Set(all.filter((entry) => entry.kind === 'event-trigger').map((entry) => entry.id));
	if (eventTriggers.size === 0) return;
	const afterEventTriggers = new Set(eventTriggers);
	for (const entry of all) {
		if (entry.dependsOn.some((dependency) => eventTriggers.has(dependency))) afterEventTriggers.add(entry.id);
	}
	const before = all.filter((entry) => !afterEventTriggers.has(entry.id)).map((entry) => entry.id);
	for (const id of eventTriggers) {
		const entry = entries.get(id)!;
		entry.dependsOn = [...new Set([...entry.dependsOn, ...before])];
	}
}

/** A pre-data entry that needs a post-data one (a view grouping by a primary key) takes it, and what it needs, into pre-data. */
function promoteDependencies(entries: Map<string, DdlEntry>): void {
	const rank = (section: DdlSection) => SECTIONS.indexOf(section);
	let changed = true;
	while (changed) {
		changed = false;
		for (const entry of entries.values()) {
			for (const id of entry.dependsOn) {
				const dependency = entries.get(id);
				if (dependency && rank(dependency.section) > rank(entry.section)) {
					dependency.section = entry.section;
					changed = true;
				}
			}
		}
	}
}

/**
 * The entries in an order that applies one after the other: sections in order, and within a section a
 * topological order over dependsOn that prefers pg_dump's kind order, then the order read.
 * dependsOn keeps only ids of the toc.
 */
export function orderEntries(unordered: Map<string, DdlEntry>): DdlEntry[] {
	for (const entry of unordered.values()) {
		entry.dependsOn = [...new Set(entry.dependsOn.filter((id) => id !== entry.id && unordered.has(id)))];
	}
	addRestorePassDependencies(unordered);
	promoteDependencies(unordered);
	const position = new Map([...unordered.keys()].map((id, index) => [id, index]));
	const ordered: DdlEntry[] = [];
	const done = new Set<string>();
	for (const section of SECTIONS) {
		const pending = [...unordered.values()].filter((entry) => entry.section === section);
		const waiting = new Map(pending.map((entry) => [entry.id, entry.dependsOn.filter((id) => !done.has(id)).length]));
		const dependents = new Map<string, string[]>();
		for (const entry of pending) {
			for (const id of entry.dependsOn) {
				if (!done.has(id)) dependents.set(id, [...(dependents.get(id) ?? []), entry.id]);
			}
		}
		const key = (entry: DdlEntry) => KIND_PRIORITY[entry.kind] * 1e9 + position.get(entry.id)!;
		const ready = new MinHeap<DdlEntry>(key);
		for (const entry of pending) if (waiting.get(entry.id) === 0) ready.push(entry);
		for (let entry = ready.pop(); entry !== undefined; entry = ready.pop()) {
			ordered.push(entry);
			done.add(entry.id);
			for (const dependent of dependents.get(entry.id) ?? []) {
				const left = waiting.get(dependent)! - 1;
				waiting.set(dependent, left);
				if (left === 0) ready.push(unordered.get(dependent)!);
			}
		}
		const stuck = pending.filter((entry) => !done.has(entry.id));
		if (stuck.length > 0) {
			throw new WorkError({
				code: 'PG_DDL_DEPENDENCY_CYCLE',
				message: `the definitions of ${stuck.length} objects depend on each other in a cycle: ${stuck
					.slice(0, 10)
					.map((entry) => entry.id)
					.join(', ')}`,
				hint: 'break the cycle in the source database (e.g. a CHECK constraint calling a function that takes the table\'s row type)',
			});
		}
	}
	return ordered;
}

class MinHeap<T> {
	private readonly items: T[] = [];

	constructor(private readonly key: (item: T) => number) {}

	push(item: T): void {
		const items = this.items;
		items.push(item);
		let index = items.length - 1;
		while (index > 0) {
			const parent = (index - 1) >> 1;
			if (this.key(items[parent]) <= this.key(items[index])) break;
			[items[parent], items[index]] = [items[index], items[parent]];
			index = parent;
		}
	}

	pop(): T | undefined {
		const items = this.items;
		if (items.length === 0) return undefined;
		const top = items[0];
		const last = items.pop()!;
		if (items.length > 0) {
			items[0] = last;
			let index = 0;
			for (;;) {
				const left = 2 * index + 1;
				const right = left + 1;
				let smallest = index;
				if (left < items.length && this.key(items[left]) < this.key(items[smallest])) smallest = left;
				if (right < items.length && this.key(items[right]) < this.key(items[smallest])) smallest = right;
				if (smallest === index) break;
				[items[smallest], items[index]] = [items[index], items[smallest]];
				index = smallest;
			}
		}
		return top;
	}
}
