import {isMap, isScalar, isSeq, LineCounter, parseDocument, type Node} from 'yaml';

export type KeyPath = ReadonlyArray<string | number>;

/** Finds the line of a key or value in a config file's text; undefined when it is not in the text. */
export interface Locator {
	line(path: KeyPath, part: 'key' | 'value'): number | undefined;
}

export const NO_LOCATION: Locator = {line: () => undefined};

/**
 * A locator over YAML or JSON text (JSON is YAML). `prefix` is where the config sits in the document,
 * e.g. ['dbbackup'] in a package.json.
 */
export function textLocator(text: string, prefix: KeyPath = []): Locator {
	const lineCounter = new LineCounter();
	const document = parseDocument(text, {lineCounter, uniqueKeys: false});
	const lineAt = (offset: number | undefined) => (offset === undefined ? undefined : lineCounter.linePos(offset).line);

	return {
		line(path, part) {
			let node: unknown = document.contents;
			let found: number | undefined;
			const full = [...prefix, ...path];
			if (path.length === 0) return lineAt((document.getIn(prefix, true) as Node | undefined)?.range?.[0] ?? (document.contents as Node | null)?.range?.[0]);
			for (const [index, step] of full.entries()) {
				const last = index === full.length - 1;
				if (isMap(node)) {
					const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === String(step));
					if (!pair) return found;
					const keyNode = pair.key as Node;
					const valueNode = pair.value as Node | null;
					found = lineAt(last && part === 'key' ? keyNode.range?.[0] : (valueNode?.range?.[0] ?? keyNode.range?.[0]));
					node = valueNode;
				} else if (isSeq(node) && typeof step === 'number') {
					const item = node.items[step] as Node | undefined;
					if (!item) return found;
					found = lineAt(item.range?.[0]);
					node = item;
				} else {
					return found;
				}
			}
			return found;
		},
	};
}
