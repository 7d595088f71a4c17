import path from 'node:path';
import {ExitCode} from '../core/errors.ts';
import {configuredDbTypes} from '../services/targets.ts';
import {renderApp} from '../ui/render.tsx';
import {CliAppController, DEFAULT_BACKUP_FOLDER, outputDirectory} from './app-controller.ts';
import type {CommandContext} from './context.ts';
import {binlogStreamRequest} from './commands/binlog-stream.ts';
import {walStreamRequest} from './commands/wal-stream.ts';
import {selectionContext} from './commands/engine.ts';
import type {RunIo} from './run.ts';

export async function runInteractive(ctx: CommandContext, initialScreen: string | undefined, io: RunIo): Promise<number> {
	// A connection key from a flag, DBBACKUP_* or the config file counts, as do MYSQL_*/PG* signs.
	const configured =
		Object.keys(ctx.loaded.sources).some((key) => key.startsWith('connection.')) ||
		configuredDbTypes({loaded: ctx.loaded, env: ctx.env, home: ctx.home}).length > 0;
	const controller = new CliAppController(
		ctx.bus,
		ctx.targets,
		configured,
		selectionContext(ctx),
		outputDirectory(ctx.loaded.config.output.path, io.cwd, path.join(io.home, DEFAULT_BACKUP_FOLDER)),
		{request: binlogStreamRequest(ctx.flags), walRequest: walStreamRequest(ctx.flags), config: ctx.loaded.config},
	);
	// also after Ctrl+C or SIGTERM: a binlog or WAL stream still running stops here and writes its checkpoint
	ctx.onCleanup(() => controller.stop());
	await renderApp({
		bus: ctx.bus,
		controller,
		initialScreen,
		stdin: io.stdin,
		stdout: io.stdout,
		exitOn: ctx.interrupted,
	});
	// Quitting after a failed action reports that failure's exit code, as the plain mode would.
	return controller.lastFailure?.exitCode ?? ExitCode.ok;
}
