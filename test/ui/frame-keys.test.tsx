import {test, describe, afterEach} from 'node:test';
import assert from 'node:assert/strict';
import {Text, useInput} from 'ink';
import {useEffect, useState} from 'react';
import {cleanup, render} from 'ink-testing-library';
import {EventBus} from '../../source/core/events.ts';
import {App} from '../../source/ui/app.tsx';
import {TextInput} from '../../source/ui/components/text-input.tsx';
import {useScreenKeys} from '../../source/ui/frame-keys.ts';
import type {ScreenDefinition} from '../../source/ui/screen.ts';
import {screens} from '../../source/ui/screens.ts';
import {CTRL_C, deferred, ENTER, ESC, FakeController, pause, plain, waitForFrame, waitForText} from './fake-controller.ts';

afterEach(() => cleanup());

/** A field that holds the keys until Enter, then shows what was typed without a field. */
function FieldScreen() {
	const [value, setValue] = useState('');
	const [done, setDone] = useState<string>();
	if (done !== undefined) return <Text>submitted [{done}]</Text>;
	return (
		<Text>
			Name: <TextInput value={value} onChange={setValue} onSubmit={setDone} />
		</Text>
	);
}

/** Three steps, n goes on: Esc on the second steps back to the first; on the third Esc is off. */
function StepsScreen() {
	const [step, setStep] = useState(1);
	useScreenKeys(
		step === 1
			? {hints: [{key: 'n', action: 'next'}]}
			: step === 2
				? {hints: [{key: 'n', action: 'next'}], escape: {action: 'back to step 1', run: () => setStep(1)}}
				: {hints: [], escape: null},
	);
	useInput((input) => {
		if (input === 'n') setStep((n) => n + 1);
	});
	return <Text>step {step}</Text>;
}

const testScreens: ScreenDefinition[] = [
	...screens,
	{id: 'field', title: 'Field', component: FieldScreen, hints: []},
	{id: 'steps', title: 'Steps', component: StepsScreen, hints: [{key: 'x', action: 'from the definition'}]},
];

function renderAt(initialScreen: string) {
	const exited = deferred<void>();
	function Probe() {
		useEffect(() => () => exited.resolve(), []);
		return <App bus={new EventBus()} controller={new FakeController()} screens={testScreens} initialScreen={initialScreen} />;
	}
	let unmounted = false;
	void exited.promise.then(() => (unmounted = true));
	const instance = render(<Probe />);
	return {...instance, exited: exited.promise, isUnmounted: () => unmounted};
}

describe('a text field holds the keys', () => {
	test('q types into the field instead of quitting, and the hint says how to quit', async () => {
		const {lastFrame, stdin, isUnmounted} = renderAt('field');
		// the field claims the keys in an effect: the hint follows right after the first frame
		let frame = await waitForText(lastFrame, 'Name:', 'Ctrl+C quit');
		assert.doesNotMatch(frame, /(^|\s)q quit/);
		stdin.write('q');
		stdin.write('u');
		stdin.write('i');
		await waitForText(lastFrame, 'Name: qui');
		await pause(30);
		assert.equal(isUnmounted(), false);
		stdin.write(ENTER);
		// the field is gone: q quits again
		frame = await waitForText(lastFrame, 'submitted [qui]', 'Esc home  q quit');
		assert.doesNotMatch(frame, /Ctrl\+C/);
	});

	test('q quits once the field is gone', async () => {
		const {lastFrame, stdin, exited} = renderAt('field');
		await waitForText(lastFrame, 'Name:');
		stdin.write('x');
		stdin.write(ENTER);
		await waitForText(lastFrame, 'submitted [x]');
		stdin.write('q');
		await exited;
	});

	test('Ctrl+C quits while a field holds the keys', async () => {
		const {lastFrame, stdin, exited} = renderAt('field');
		await waitForText(lastFrame, 'Name:');
		stdin.write(CTRL_C);
		await exited;
	});

	test('Esc still goes home from a field and types nothing', async () => {
		const {lastFrame, stdin} = renderAt('field');
		await waitForText(lastFrame, 'Name:');
		stdin.write('ab');
		await waitForText(lastFrame, 'Name: ab');
		stdin.write(ESC);
		const frame = await waitForText(lastFrame, 'Detect environment', 'Enter select  q quit');
		assert.doesNotMatch(frame, /Name:/);
	});

	test('Backspace removes the last character, Ctrl+U clears; pasted text arrives whole', async () => {
		const {lastFrame, stdin} = renderAt('field');
		await waitForText(lastFrame, 'Name:');
		stdin.write('shop_copy');
		await waitForText(lastFrame, 'Name: shop_copy');
		stdin.write('\u007F');
		stdin.write('\u007F');
		await waitForFrame(lastFrame, (frame) => /^Name: shop_co\s*$/m.test(frame));
		stdin.write('\u0015');
		await waitForFrame(lastFrame, (frame) => /^Name:\s*$/m.test(frame));
		stdin.write('shop');
		await waitForText(lastFrame, 'Name: shop');
		stdin.write(ENTER);
		await waitForText(lastFrame, 'submitted [shop]');
	});
});

describe('a screen steps back with Esc', () => {
	test('the screen hints replace the definition hints and Esc runs the step back instead of going home', async () => {
		const {lastFrame, stdin} = renderAt('steps');
		let frame = await waitForText(lastFrame, 'step 1', 'n next  Esc home  q quit');
		assert.doesNotMatch(frame, /from the definition/);

		stdin.write('n');
		frame = await waitForText(lastFrame, 'step 2', 'Esc back to step 1');
		stdin.write(ESC);
		frame = await waitForText(lastFrame, 'step 1', 'Esc home');
		assert.match(frame, /dbbackup › Steps/);

		stdin.write(ESC);
		await waitForText(lastFrame, 'Detect environment');
	});

	test('Esc does nothing on a step that turns it off, and its hint is gone', async () => {
		const {lastFrame, stdin, isUnmounted} = renderAt('steps');
		await waitForText(lastFrame, 'step 1', 'n next');
		stdin.write('n');
		await waitForText(lastFrame, 'step 2');
		stdin.write('n');
		// the step's key hints follow its first render by one effect: wait for the frame that has both
		let frame = await waitForFrame(lastFrame, (candidate) => candidate.includes('step 3') && !candidate.includes('Esc'));
		assert.doesNotMatch(frame, /Esc/);
		stdin.write(ESC);
		await pause(50);
		frame = plain(lastFrame());
		assert.match(frame, /step 3/);
		assert.equal(isUnmounted(), false);
	});

	test('leaving the screen restores the frame defaults for the next one', async () => {
		const {lastFrame, stdin} = renderAt('steps');
		await waitForText(lastFrame, 'step 1', 'n next');
		stdin.write(ESC);
		const frame = await waitForText(lastFrame, 'Detect environment', '↑/↓ move  Enter select  q quit');
		assert.doesNotMatch(frame, /n next/);
	});
});
