import {Box, Text} from 'ink';
import type {ReactNode} from 'react';
import type {Fact} from '../../core/detect/types.ts';
import {useBodySize} from '../layout.ts';

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

/**
 * One detected item: its value and how it was found (dim), or why it is unknown (yellow). The value and a
 * reason wrap (they are the point); how it was found is cut to one row: beside a value that fits its row,
 * under one that does not.
 */
export function FactRow<T>({label, fact, describe, color, details}: FactRowProps<T>) {
	const {columns} = useBodySize();
	return (
		<Box>
			<Box width={FACT_LABEL_WIDTH} flexShrink={0}>
				<Text bold>{label}</Text>
			</Box>
			{fact.known ? (
				<Box flexDirection="column" flexShrink={1}>
					<KnownValue text={describe(fact.value)} color={color?.(fact.value)} source={fact.source} room={columns - FACT_LABEL_WIDTH} />
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

function KnownValue({text, color, source, room}: {text: string; color?: string; source: string; room: number}) {
	if (text.length + 2 < room) {
		return (
			<Text wrap="truncate-end">
				<Text color={color}>{text}</Text>
				<Text dimColor>  via {source}</Text>
			</Text>
		);
	}
	return (
		<>
			<Text color={color}>{text}</Text>
			<Text dimColor wrap="truncate-end">
				via {source}
			</Text>
		</>
	);
}
