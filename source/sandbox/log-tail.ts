import {readFile} from 'node:fs/promises';
import {lastLines} from './run-command.ts';

/** The last lines of a server's log file, or a note that it could not be read, for error messages. */
export async function logTail(path: string, count = 25): Promise<string> {
	try {
		const text = await readFile(path, 'utf8');
		const tail = lastLines(text, count);
		return tail === '' ? `(${path} is empty)` : tail;
	} catch (error) {
		return `(could not read ${path}: ${(error as Error).message})`;
	}
}
