import {Box, Text} from 'ink';
import type {ReactNode} from 'react';
import {FIELD_LABEL_WIDTH} from './field-row.tsx';

interface OptionRowProps {
	label: string;
	/** the row the cursor is on */
	selected: boolean;
	/** ←/→ change the value: shown as ‹ value › on the selected row */
	adjustable?: boolean;
	/** how a value too long for the row is cut: a path keeps its end (and a text field its cursor) */
	wrap?: 'truncate-end' | 'truncate-start';
	children: ReactNode;
}

/** One row of a small form: cursor mark, label, value, in one row. */
export function OptionRow({label, selected, adjustable = false, wrap = 'truncate-end', children}: OptionRowProps) {
	return (
		<Box>
			<Box width={2} flexShrink={0}>
				<Text color="cyan">{selected ? '❯' : ' '}</Text>
			</Box>
			<Box width={FIELD_LABEL_WIDTH} flexShrink={0}>
				<Text bold={selected}>{label}</Text>
			</Box>
			<Box flexShrink={1}>
				{adjustable && selected ? (
					<Text wrap={wrap}>
						<Text color="cyan">‹ </Text>
						{children}
						<Text color="cyan"> ›</Text>
					</Text>
				) : (
					<Text wrap={wrap}>{children}</Text>
				)}
			</Box>
		</Box>
	);
}
