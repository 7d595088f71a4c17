import {WorkError, type ErrorDetails} from '../../core/errors.ts';

/** A script that cannot be split into statements, or a statement the server refused; names the line. */
export class SqlScriptError extends WorkError {
	readonly line: number;
	readonly member?: string;

	constructor(details: ErrorDetails & {line: number; member?: string}) {
		super(details);
		this.line = details.line;
		this.member = details.member;
	}
}
