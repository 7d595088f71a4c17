import {Text} from 'ink';
import {plural} from '../wording.ts';

/** Items of a list that fit `rows`, a row kept for "… N more" when not all do; at least one. */
export function shownItems(count: number, rows: number): number {
	return count <= rows ? count : Math.max(1, rows - 1);
}

/** "… 12 more databases", or nothing when nothing is hidden. */
export function MoreLine({hidden, noun}: {hidden: number; noun: string}) {
	if (hidden <= 0) return null;
	return <Text dimColor>… {plural(hidden, `more ${noun}`)}</Text>;
}
