import {detectServer, logFindings} from '../../services/environment.ts';
import {emitResult} from '../../services/results.ts';
import type {CommandContext} from '../context.ts';

export async function detectCommand(ctx: CommandContext): Promise<void> {
	for (const target of ctx.targets) {
		const environment = await detectServer(target, ctx.bus);
		logFindings(environment, ctx.bus);
		emitResult(ctx.bus, {kind: 'detect', environment});
	}
}
