import {redact} from '../redact.ts';

export type Outcome<T> = {ok: true; value: T} | {ok: false; reason: string};

/** Runs one detection step; a failure becomes a reason ("<what> failed: <server's error>") instead of an exception. */
export async function attempt<T>(what: string, step: () => Promise<T>): Promise<Outcome<T>> {
	try {
		return {ok: true, value: await step()};
	} catch (error) {
		return {ok: false, reason: redact(`${what} failed: ${errorText(error)}`)};
	}
}

function errorText(error: unknown): string {
	if (error instanceof Error) return error.message || error.name;
	return String(error);
}
