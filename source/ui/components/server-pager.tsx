import {Box, Text, useInput} from 'ink';
import type {Dispatch, ReactNode, SetStateAction} from 'react';
import {rowsLeft} from '../layout.ts';
import {ScrollView} from './scroll-view.tsx';

interface ServerPagerProps<T> {
	items: T[];
	/** the server shown; held by the screen so that running it again keeps it (clamped to the servers there are) */
	index: number;
	onIndexChange: Dispatch<SetStateAction<number>>;
	title: (item: T) => string;
	render: (item: T) => ReactNode;
	/** rows for the pager; its report scrolls when it is taller */
	rows?: number;
	/** false: ↑/↓ belong to the report (a pick), it scrolls with PgUp/PgDn only */
	scrollArrows?: boolean;
}

/**
 * One server's report at a time (the demo has two; several full reports do not fit an SSH terminal),
 * ←/→ to switch; a report taller than the room scrolls.
 */
export function ServerPager<T>({items, index, onIndexChange, title, render, rows, scrollArrows = true}: ServerPagerProps<T>) {
	const clamp = (at: number) => Math.max(0, Math.min(at, items.length - 1));
	const shown = clamp(index);
	useInput((_input, key) => {
		if (items.length < 2) return;
		// from the index as updated by the keys before it in the same packet
		if (key.rightArrow || key.tab) onIndexChange((at) => (clamp(at) + 1) % items.length);
		if (key.leftArrow) onIndexChange((at) => (clamp(at) - 1 + items.length) % items.length);
	});
	const current = items[shown];
	if (current === undefined) return null;
	return (
		<Box flexDirection="column">
			<Text wrap="truncate-end">
				<Text bold color="cyan">
					{title(current)}
				</Text>
				{items.length > 1 ? (
					<Text dimColor>
						{'  '}server {shown + 1} of {items.length} (←/→)
					</Text>
				) : null}
			</Text>
			<Box flexDirection="column" marginTop={1}>
				<ScrollView key={shown} rows={rowsLeft(rows, 2)} arrows={scrollArrows}>
					{render(current)}
				</ScrollView>
			</Box>
		</Box>
	);
}
