import {chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface TempTree {
	root: string;
	/** absolute path of a file or directory inside the tree */
	at(relative: string): string;
	/** writes a file (creating its directories); mode defaults to 0600 */
	write(relative: string, text: string, mode?: number): string;
	remove(): void;
}

/** A throwaway directory for a test's home, project and config files, so nothing real is read. */
export function tempTree(files: Record<string, string> = {}): TempTree {
	const root = mkdtempSync(path.join(os.tmpdir(), 'dbbackup-test-'));
	const tree: TempTree = {
		root,
		at: (relative) => path.join(root, relative),
		write(relative, text, mode = 0o600) {
			const file = path.join(root, relative);
			mkdirSync(path.dirname(file), {recursive: true});
			writeFileSync(file, text);
			chmodSync(file, mode);
			return file;
		},
		remove: () => rmSync(root, {recursive: true, force: true}),
	};
	for (const [relative, text] of Object.entries(files)) tree.write(relative, text);
	return tree;
}
