import {Box, Text} from 'ink';
import type {ReactNode} from 'react';
import type {Fact} from '../../core/detect/types.ts';

export const FACT_LABEL_WIDTH = 16;

interface FactRowProps<T> {
	label: string;
	fact: Fact<T>;
	/** the value in one line */
	describe: (value: T) => string;
	/** colour of the value line, e.g. green for an active clone plugin */
	color?: (value: T) => string | undefined;
	/** block content shown under the value (a table, a list) */
	details?: (value: T) => ReactNode;
}

/** One detected item: its value and how it was found (dim), or why it is unknown (yellow). */
export function FactRow<T>({label, fact, describe, color, details}: FactRowProps<T>) {
	return (
		<Box>
			<Box width={FACT_LABEL_WIDTH} flexShrink={0}>
				<Text bold>{label}</Text>
			</Box>
			{fact.known ? (
				<Box flexDirection="column" flexShrink={1}>
					<Text>
						<Text color={color?.(fact.value)}>{describe(fact.value)}</Text>
						<Text dimColor>  via {fact.source}</Text>
					</Text>
					{details?.(fact.value)}
				</Box>
			) : (
				<Box flexShrink={1}>
					<Text color="yellow">unknown: {fact.reason}</Text>
				</Box>
			)}
		</Box>
	);
}
