import {selectEngine} from '../../engines/selector.ts';
import {DEMO_DATABASE, startDemo} from '../../services/demo.ts';
import {assertRoundTripMatches, demoRoundTrip} from '../../services/demo-round-trip.ts';
import {detectServer, logFindings} from '../../services/environment.ts';
import {emitResult} from '../../services/results.ts';
import type {CommandContext} from '../context.ts';

/**
 * `dbbackup demo`: throwaway MariaDB + PostgreSQL with a sample database, then detection and engine
 * selection on both, then a backup and restore of each sample compared with the original. The servers stop at exit, or with --keep when the user presses Ctrl+C.
 */
export async function demoCommand(ctx: CommandContext): Promise<void> {
	const demo = await startDemo(ctx.bus);
	ctx.onCleanup(() => demo.stop());
	emitResult(ctx.bus, {kind: 'demo', servers: demo.servers});
	for (const target of demo.targets) {
		const environment = await detectServer(target, ctx.bus);
		logFindings(environment, ctx.bus);
		emitResult(ctx.bus, {kind: 'detect', environment});
		emitResult(ctx.bus, {kind: 'engine-selection', target: environment.connection.target, selection: selectEngine(environment)});
	}
	// every server's sample goes through a backup and a restore, and the copy is compared; then the verdict
	const roundTrips = [];
	for (const target of demo.targets) {
		const roundTrip = await demoRoundTrip(target, DEMO_DATABASE, ctx.bus);
		emitResult(ctx.bus, {kind: 'demo-round-trip', roundTrip});
		roundTrips.push(roundTrip);
	}
	for (const roundTrip of roundTrips) assertRoundTripMatches(roundTrip);
	if (ctx.flags.keep) {
		ctx.bus.log('info', 'demo servers keep running; press Ctrl+C to stop them');
		await ctx.interrupted;
	}
}
