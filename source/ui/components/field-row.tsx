import {Box, Text} from 'ink';
import type {ReactNode} from 'react';

export const FIELD_LABEL_WIDTH = 14;

/** "Artifact      /backups/shop-….tar": a bold label in a fixed column, the value beside it (a string in one row, cut in the middle). */
export function FieldRow({label, children, width = FIELD_LABEL_WIDTH}: {label: string; children: ReactNode; width?: number}) {
	return (
		<Box>
			<Box width={width} flexShrink={0}>
				<Text bold>{label}</Text>
			</Box>
			<Box flexShrink={1}>{typeof children === 'string' ? <Text wrap="truncate-middle">{children}</Text> : children}</Box>
		</Box>
	);
}
