import {Box, Text, useInput} from 'ink';
import {useRef, useState} from 'react';

export interface MenuItem {
	label: string;
	value: string;
	/** React key when values repeat */
	key?: string;
}

interface MenuProps {
	items: MenuItem[];
	onSelect: (item: MenuItem) => void;
	/** rows the menu may take, its "more" lines included; all items when absent */
	rows?: number;
}

/** The first of `count` items to show so that `cursor` stays inside a window of `size`. */
export function windowStart(count: number, cursor: number, size: number): number {
	if (count <= size) return 0;
	return Math.min(Math.max(0, cursor - Math.floor(size / 2)), count - size);
}

/**
 * A list to pick one item from: ↑/↓ (or k/j) move, wrapping at the ends; Enter picks. The cursor lives in a
 * ref: keys that arrive in one packet (Down and Enter over a slow link) are handled one after the other
 * before a re-render, and Enter must pick the item Down has just moved to.
 */
export function Menu({items, onSelect, rows}: MenuProps) {
	const cursor = useRef(0);
	const [, setShown] = useState(0);
	const at = () => Math.max(0, Math.min(cursor.current, items.length - 1));
	const moveTo = (index: number) => {
		cursor.current = index;
		setShown(index);
	};
	useInput((input, key) => {
		if (items.length === 0) return;
		const index = at();
		if (key.upArrow || input === 'k') moveTo((index - 1 + items.length) % items.length);
		else if (key.downArrow || input === 'j') moveTo((index + 1) % items.length);
		else if (key.return) onSelect(items[index]!);
	});

	const selected = at();
	// a window leaves a row above and below for what it hides
	const size = rows === undefined || items.length <= rows ? items.length : Math.max(1, rows - 2);
	const start = windowStart(items.length, selected, size);
	const below = items.length - start - size;
	return (
		<Box flexDirection="column">
			{start > 0 ? <Text dimColor>  ↑ {start} more</Text> : null}
			{items.slice(start, start + size).map((item, offset) => {
				const isSelected = start + offset === selected;
				return (
					<Box key={item.key ?? item.value}>
						<Box width={2} flexShrink={0}>
							<Text color="cyan">{isSelected ? '❯' : ' '}</Text>
						</Box>
						<Text color={isSelected ? 'cyan' : undefined} wrap="truncate-end">
							{item.label}
						</Text>
					</Box>
				);
			})}
			{below > 0 ? <Text dimColor>  ↓ {below} more</Text> : null}
		</Box>
	);
}
