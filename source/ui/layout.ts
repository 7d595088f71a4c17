import {useStdout} from 'ink';
import {createContext, useContext, useEffect, useState} from 'react';

export interface Size {
	columns: number;
	/** undefined when the output does not say how tall it is: nothing is cut to fit then */
	rows?: number;
}

/** Ink's own fallback width when the output gives none. */
const DEFAULT_COLUMNS = 80;

function sizeOf(stdout: NodeJS.WriteStream): Size {
	return {columns: stdout.columns || DEFAULT_COLUMNS, rows: stdout.rows || undefined};
}

/** The terminal's columns and rows, following its 'resize' events. */
export function useTerminalSize(): Size {
	const {stdout} = useStdout();
	const [size, setSize] = useState(() => sizeOf(stdout));
	useEffect(() => {
		const update = () =>
			setSize((current) => {
				const next = sizeOf(stdout);
				return next.columns === current.columns && next.rows === current.rows ? current : next;
			});
		update();
		stdout.on('resize', update);
		return () => {
			stdout.off('resize', update);
		};
	}, [stdout]);
	return size;
}

export const BodySizeContext = createContext<Size | undefined>(undefined);

/** The room the frame leaves the screen between the header and the log pane; outside the frame, the terminal's width. */
export function useBodySize(): Size {
	const body = useContext(BodySizeContext);
	const {stdout} = useStdout();
	return body ?? {columns: stdout.columns || DEFAULT_COLUMNS};
}

/** Rows left of `rows` once `used` are taken, at least `least`; undefined (no limit) when the height is unknown. */
export function rowsLeft(rows: number | undefined, used: number, least = 1): number | undefined {
	return rows === undefined ? undefined : Math.max(least, rows - used);
}

/** At most `limit` items, fewer when `rows` (if known) is smaller. */
export function fitCount(limit: number, rows: number | undefined): number {
	return rows === undefined ? limit : Math.max(1, Math.min(limit, rows));
}

/** Rows a paragraph wraps to at this width. */
export function textRows(text: string, columns: number): number {
	return Math.max(1, Math.ceil(text.length / Math.max(1, columns)));
}
