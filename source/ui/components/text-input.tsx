import {Text, useInput} from 'ink';
import {useRef} from 'react';
import {useTextCapture} from '../frame-keys.ts';

interface TextInputProps {
	value: string;
	onChange: (value: string) => void;
	onSubmit?: (value: string) => void;
	/** only a focused field takes keys (and holds q away from the frame) */
	focus?: boolean;
	/** shown dim while the value is empty */
	placeholder?: string;
	/** a value too long for its row: wrapped, or cut at the start so that the cursor stays in sight */
	wrap?: 'wrap' | 'truncate-start';
}

/** A one-line field edited at its end: typing (and pasting) appends, Backspace removes, Enter submits. */
export function TextInput({value, onChange, onSubmit, focus = true, placeholder, wrap = 'wrap'}: TextInputProps) {
	useTextCapture(focus);
	// keys typed faster than a re-render must build on each other, not on the value of the last render
	const latest = useRef(value);
	latest.current = value;
	const change = (next: string) => {
		latest.current = next;
		onChange(next);
	};
	useInput(
		(input, key) => {
			if (key.return) onSubmit?.(latest.current);
			// terminals send DEL (0x7f) for Backspace, which Ink names delete
			else if (key.backspace || key.delete) change(latest.current.slice(0, -1));
			else if (key.ctrl && input === 'u') change('');
			// arrows, Tab, Esc and the like arrive with an empty input; pasted text may carry line breaks
			else if (input && !key.ctrl && !key.meta) change(latest.current + input.replace(/[\u0000-\u001F\u007F]+/g, ''));
		},
		{isActive: focus},
	);
	if (!focus) return <Text wrap={wrap}>{value || (placeholder ? <Text dimColor>{placeholder}</Text> : null)}</Text>;
	return (
		<Text wrap={wrap}>
			{value === '' && placeholder ? <Text dimColor>{placeholder}</Text> : value}
			<Text inverse> </Text>
		</Text>
	);
}
