import {Box, Text} from 'ink';
import type {ReactNode} from 'react';
import {FIELD_LABEL_WIDTH} from './field-row.tsx';

interface OptionRowProps {
	label: string;
	/** the row the cursor is on */
	selected: boolean;
	/** ←/→ change the value: shown as ‹ value › on the selected row */
	adjustable?: boolean;
	children: ReactNode;
}

/** One row of a small form: cursor mark, label, value. */
export function OptionRow({label, selected, adjustable = false, children}: OptionRowProps) {
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
					<Text>
						<Text color="cyan">‹ </Text>
						{children}
						<Text color="cyan"> ›</Text>
					</Text>
				) : (
					<Text>{children}</Text>
				)}
			</Box>
		</Box>
	);
}
