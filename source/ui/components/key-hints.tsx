import {Box, Text} from 'ink';

export interface KeyHint {
	key: string;
	action: string;
}

/** "↑/↓ move  Enter select  q quit": the keys the current screen answers to, in one row (cut at the edge). */
export function KeyHints({hints}: {hints: KeyHint[]}) {
	return (
		<Box flexShrink={0}>
			<Text wrap="truncate-end">
				{hints.map((hint, index) => (
					<Text key={`${index}-${hint.key}`}>
						{index > 0 ? '  ' : ''}
						<Text bold color="cyan">
							{hint.key}
						</Text>
						<Text dimColor> {hint.action}</Text>
					</Text>
				))}
			</Text>
		</Box>
	);
}
