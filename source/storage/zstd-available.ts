/**
 * Whether zstd's native library loads here, asked on the main thread before zstd work goes to a pool
 * thread: a thread that cannot load it dies with a bare "thread failed", which names neither the
 * library nor the fix, and a reader must never call an archive damaged for the machine's fault.
 */
import {createRequire} from 'node:module';
import {WorkError} from '../core/errors.ts';

let checked: WorkError | false | undefined;

export function ensureZstdLoadable(): void {
	if (checked === undefined) {
		try {
			createRequire(import.meta.url)('zstd-napi/binding.js');
			checked = false;
		} catch (error) {
			checked = new WorkError({
				code: 'CODEC_UNAVAILABLE',
				message: `the zstd library (zstd-napi) cannot be loaded on this machine: ${error instanceof Error ? error.message : String(error)}`,
				hint: "Reinstall dbbackup's dependencies (npm ci); with the single-file build, copy the whole folder, .node files included.",
				cause: error,
			});
		}
	}
	if (checked) throw checked;
}
