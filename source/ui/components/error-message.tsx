import {Box, Text} from 'ink';

export interface ShownError {
	code: string;
	message: string;
	hint?: string;
}

/** A failure as the user should read it: what went wrong in red, what to do about it below. */
export function ErrorMessage({error}: {error: ShownError}) {
	return (
		<Box flexDirection="column">
			<Text color="red">
				✗ {error.message} <Text dimColor>[{error.code}]</Text>
			</Text>
			{error.hint ? <Text color="yellow">→ {error.hint}</Text> : null}
		</Box>
	);
}
