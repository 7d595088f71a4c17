import {Box, Text, useInput} from 'ink';
import {useState, type ReactNode} from 'react';

interface ServerPagerProps<T> {
	items: T[];
	title: (item: T) => string;
	render: (item: T) => ReactNode;
}

/**
 * One server's report at a time (the demo has two; several full reports do not fit an SSH terminal),
 * ←/→ to switch.
 */
export function ServerPager<T>({items, title, render}: ServerPagerProps<T>) {
	const [index, setIndex] = useState(0);
	useInput((_input, key) => {
		if (items.length < 2) return;
		if (key.rightArrow || key.tab) setIndex((i) => (i + 1) % items.length);
		if (key.leftArrow) setIndex((i) => (i - 1 + items.length) % items.length);
	});
	const current = items[Math.min(index, items.length - 1)];
	if (current === undefined) return null;
	return (
		<Box flexDirection="column">
			<Text>
				<Text bold color="cyan">
					{title(current)}
				</Text>
				{items.length > 1 ? (
					<Text dimColor>
						{'  '}server {index + 1} of {items.length} (←/→)
					</Text>
				) : null}
			</Text>
			<Box flexDirection="column" marginTop={1}>
				{render(current)}
			</Box>
		</Box>
	);
}
