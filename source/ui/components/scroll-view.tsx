import {Box, measureElement, Text, useInput, type DOMElement} from 'ink';
import {useEffect, useRef, useState, type ReactNode} from 'react';

/** "↓ 9 more lines (↑/↓ PgUp/PgDn scroll)", "↑ 3 lines above, ↓ 6 below (…)"; without `arrows`, only PgUp/PgDn are named. */
export function scrollText(above: number, below: number, arrows = true): string {
	const where =
		above === 0 ? `↓ ${below} more line${below === 1 ? '' : 's'}` : below === 0 ? `↑ ${above} line${above === 1 ? '' : 's'} above` : `↑ ${above} lines above, ↓ ${below} below`;
	return `${where} (${arrows ? '↑/↓ ' : ''}PgUp/PgDn scroll)`;
}

/**
 * Content taller than `rows` shows `rows - 1` of its lines and, on the last row, what is hidden:
 * ↑/↓ scroll a line (unless `arrows` is false: the screen moves something else with them), PgUp/PgDn a
 * page. Without `rows` (a height nobody knows) it shows everything.
 */
export function ScrollView({rows, arrows = true, children}: {rows?: number; arrows?: boolean; children: ReactNode}) {
	const content = useRef<DOMElement>(null);
	const [height, setHeight] = useState(0);
	// a ref, as in the menus: keys of one packet build on each other before a re-render
	const offset = useRef(0);
	const [, setShown] = useState(0);
	useEffect(() => {
		if (!content.current) return;
		const measured = measureElement(content.current).height;
		if (measured !== height) setHeight(measured);
	});

	const overflowing = rows !== undefined && height > rows;
	const viewport = overflowing ? Math.max(1, rows - 1) : rows;
	const maxOffset = overflowing ? height - viewport! : 0;
	const top = Math.min(offset.current, maxOffset);
	useInput((_input, key) => {
		if (!overflowing) return;
		const current = Math.min(offset.current, maxOffset);
		const line = arrows ? 1 : 0;
		const step = key.downArrow ? line : key.upArrow ? -line : key.pageDown ? viewport! : key.pageUp ? -viewport! : 0;
		if (step === 0) return;
		offset.current = Math.max(0, Math.min(maxOffset, current + step));
		setShown(offset.current);
	});

	return (
		<Box flexDirection="column">
			<Box flexDirection="column" flexShrink={0} height={viewport} overflow="hidden">
				<Box ref={content} flexDirection="column" flexShrink={0} marginTop={-top}>
					{children}
				</Box>
			</Box>
			{overflowing ? (
				<Text dimColor wrap="truncate-end">
					{scrollText(top, maxOffset - top, arrows)}
				</Text>
			) : null}
		</Box>
	);
}
