import {shellQuote, type CommandSpec} from './measure.ts';

export type StepKind = 'dump' | 'restore';

/** One timed command of the comparison. */
export interface Step {
	id: string;
	/** what the table shows, e.g. "mydumper -c" */
	label: string;
	kind: StepKind;
	ours: boolean;
	/** id of our step this one is compared with (the "ratio to ours" column) */
	comparedWith?: string;
	spec: CommandSpec;
	/** file or directory whose bytes are the output size */
	output?: string;
	/** for a restore: the dump step whose output it loads (skipped when that dump failed) */
	restores?: string;
	/** for a restore: the database it fills, dropped before and row-counted after */
	targetDatabase?: string;
	/** for a restore: whether the target database must exist beforehand (the tool does not create it) */
	createTarget?: boolean;
}

/** The server and the files one size's steps work with. */
export interface StepContext {
	host: string;
	port: number;
	user: string;
	/** reaches the tools only in their environment (MYSQL_PWD, PGPASSWORD), never on argv */
	password: string;
	sourceDatabase: string;
	workers: number;
	/** a fresh directory for this size's outputs */
	workDir: string;
	chunkRows?: number;
}

/** The command line as the table and the JSON show it (the password is never on it). */
export function displayCommand(step: Step): string {
	const words = [step.spec.command, ...step.spec.args].map(shellQuote).join(' ');
	const stdin = step.spec.stdinFile ? ` < ${step.spec.stdinFile}` : '';
	const stdout = step.spec.stdoutFile ? ` > ${step.spec.stdoutFile}` : '';
	return `${words}${stdin}${stdout}`;
}
