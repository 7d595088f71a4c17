import {closestName} from '../../core/config/suggest.ts';
import {dbTypeLabel} from '../../core/detect/describe.ts';
import {EngineUnavailableError, unexpectedArgument, UsageError} from '../../core/errors.ts';
import {availabilityRows, findEngine} from '../../engines/registry.ts';
import {selectEngine} from '../../engines/selector.ts';
import type {SelectionContext} from '../../engines/types.ts';
import {detectServer} from '../../services/environment.ts';
import {emitResult} from '../../services/results.ts';
import type {CommandContext} from '../context.ts';

export function selectionContext(ctx: CommandContext): SelectionContext {
	return {destination: ctx.flags.target ?? ctx.loaded.config.output.path};
}

const SUBCOMMANDS = ['list', 'info', 'select'] as const;
type Subcommand = (typeof SUBCOMMANDS)[number];
const USAGE = 'Usage: dbbackup engine list | info [NAME] | select';

/** The words after `engine`, checked before anything connects: a subcommand, and a known engine NAME for info. */
export function engineWords(words: string[]): {sub: Subcommand; name?: string} {
	const [, sub, name, ...rest] = words;
	if (!SUBCOMMANDS.includes(sub as Subcommand)) {
		const suggestion = sub === undefined ? undefined : closestName(sub, SUBCOMMANDS);
		throw new UsageError({
			code: 'UNKNOWN_COMMAND',
			message: sub === undefined ? 'engine needs a subcommand' : `unknown engine subcommand "${sub}"${suggestion === undefined ? '' : ` (did you mean ${suggestion}?)`}`,
			hint: `${USAGE} (subcommands: ${SUBCOMMANDS.join(', ')}).`,
		});
	}
	if (rest.length > 0 || (sub !== 'info' && name !== undefined)) {
		throw unexpectedArgument(rest[0] ?? name, USAGE, ` to engine ${sub}`);
	}
	if (name !== undefined) findEngine(name);
	return {sub: sub as Subcommand, name};
}

export async function engineCommand(ctx: CommandContext): Promise<void> {
	const {sub, name} = engineWords(ctx.words);
	let noneAvailable = false;
	for (const target of ctx.targets) {
		const environment = await detectServer(target, ctx.bus);
		const where = environment.connection.target;
		const context = selectionContext(ctx);
		switch (sub) {
			case 'list':
				emitResult(ctx.bus, {kind: 'engine-list', target: where, rows: availabilityRows(environment, context)});
				break;
			case 'info': {
				const rows = availabilityRows(environment, context);
				if (name === undefined) {
					emitResult(ctx.bus, {kind: 'engine-info-all', target: where, environment, rows});
					break;
				}
				const engine = findEngine(name, target.dbType);
				const row = rows.find((candidate) => candidate.name === engine.name);
				if (!row) {
					throw new UsageError({
						code: 'ENGINE_NOT_FOR_DB_TYPE',
						message: `engine ${engine.name} does not back up ${dbTypeLabel(target.dbType)} servers`,
						hint: `It serves: ${engine.dbTypes.join(', ')}.`,
					});
				}
				emitResult(ctx.bus, {kind: 'engine-info', target: where, engine: engine.name, row});
				break;
			}
			case 'select': {
				const selection = selectEngine(environment, context);
				emitResult(ctx.bus, {kind: 'engine-selection', target: where, selection});
				if (!selection.engine) noneAvailable = true;
				break;
			}
		}
	}
	if (noneAvailable) {
		throw new EngineUnavailableError({
			code: 'NO_ENGINE_AVAILABLE',
			message: 'no backup engine can run against this server yet (see the reasons above)',
			hint: 'Fix what the reasons name (privileges, plugin, filesystem), or choose an engine with --engine after `dbbackup engine list`.',
		});
	}
}
