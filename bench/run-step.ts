import {join} from 'node:path';
import type {Connection, RowDataPacket} from 'mysql2/promise';
import {redact} from '../source/core/redact.ts';
import {runCommand} from '../source/sandbox/run-command.ts';
import {measure, pathBytes} from './measure.ts';
import {binlogBytes} from './server.ts';
import {verifyRowCounts, type RowCounts} from './sysbench.ts';
import {displayCommand, type Step} from './steps.ts';

export interface StepResult {
	id: string;
	label: string;
	kind: Step['kind'];
	ours: boolean;
	comparedWith?: string;
	command: string;
	status: 'ok' | 'failed' | 'skipped';
	seconds?: number;
	peakRssMb?: number;
	outputBytes?: number;
	/** bytes the server's binary logs grew by during the step */
	binlogBytes?: number;
	/** seconds spent before the step waiting for InnoDB to flush what earlier steps left dirty */
	settleSeconds?: number;
	/** one line: why the step did not complete */
	error?: string;
	/** the failing command's last output lines */
	errorOutput?: string;
	/** last lines our CLI printed on stdout (its result), for the JSON */
	stdoutTail?: string;
}

export interface StepEnvironment {
	admin: Connection;
	workDir: string;
	sourceRowCounts: RowCounts;
	log: (line: string) => void;
}

/**
 * Runs one step: waits for the server to settle, prepares the restore target, times the command under
 * GNU time, then sizes its output or verifies the restored row counts. A failure is returned, not
 * thrown, so the comparison carries on with the other tools.
 */
export async function runStep(step: Step, env: StepEnvironment, finished: Map<string, StepResult>): Promise<StepResult> {
	const base = {
		id: step.id,
		label: step.label,
		kind: step.kind,
		ours: step.ours,
		comparedWith: step.comparedWith,
		command: displayCommand(step),
	};
	if (step.restores !== undefined && finished.get(step.restores)?.status !== 'ok') {
		const reason = `skipped: the dump it restores (${step.restores}) did not succeed`;
		env.log(`  ${step.label}: ${reason}`);
		return {...base, status: 'skipped', error: reason};
	}
	env.log(`→ ${step.label}: ${base.command}`);
	try {
		if (step.targetDatabase !== undefined) {
			await env.admin.query(`DROP DATABASE IF EXISTS \`${step.targetDatabase}\``);
			if (step.createTarget) await env.admin.query(`CREATE DATABASE \`${step.targetDatabase}\``);
		}
		const settleSeconds = await settle(env.admin, env.log);
		const binlogBefore = await binlogBytes(env.admin);
		const measured = await measure(step.spec, join(env.workDir, `${step.id}.time`));
		const binlogAfter = await binlogBytes(env.admin);
		const result: StepResult = {
			...base,
			status: 'ok',
			seconds: measured.seconds,
			peakRssMb: measured.peakRssMb,
			binlogBytes: binlogAfter - binlogBefore,
			settleSeconds,
			stdoutTail: step.ours ? lastLines(measured.stdout, 5) : undefined,
		};
		if (step.output !== undefined) result.outputBytes = await pathBytes(step.output);
		if (step.targetDatabase !== undefined) {
			await verifyRowCounts(env.admin, step.targetDatabase, env.sourceRowCounts);
		}
		env.log(`  ${result.seconds!.toFixed(1)} s, peak RSS ${result.peakRssMb!.toFixed(0)} MiB`);
		return result;
	} catch (error) {
		const message = redact(error instanceof Error ? error.message : String(error));
		env.log(`  FAILED ${step.label}: ${message}`);
		return {...base, status: 'failed', error: summarize(message), errorOutput: message};
	} finally {
		// the next restore should not share the buffer pool (or the disk) with this one's tables
		if (step.targetDatabase !== undefined) {
			await env.admin.query(`DROP DATABASE IF EXISTS \`${step.targetDatabase}\``).catch(() => {});
		}
	}
}

const SETTLE_LIMIT_MS = 180_000;
/** 16 MiB of 16 KiB pages: what InnoDB's background flushing leaves around on an idle server */
const SETTLED_DIRTY_PAGES = 1024;
/**
 * While settling, InnoDB may write as fast as the disk allows (the default io_capacity of 200 pages/s
 * would take minutes for the GB sysbench leaves dirty); the measured steps run with the defaults.
 */
const SETTLE_SETTINGS = {innodb_max_dirty_pages_pct: 0, innodb_io_capacity_max: 100_000, innodb_io_capacity: 50_000};

/**
 * Flushes the dirty pages earlier steps left (sysbench and a restore leave up to a GB in InnoDB, a dump
 * as much in the page cache), so no step pays for the previous one's writes. Returns the seconds it took.
 */
async function settle(admin: Connection, log: (line: string) => void): Promise<number> {
	const began = Date.now();
	await runCommand('sync', []);
	const names = Object.keys(SETTLE_SETTINGS);
	const [rows] = await admin.query<RowDataPacket[]>(`SELECT ${names.map((name) => `@@${name} AS ${name}`).join(', ')}`);
	const saved = rows[0]!;
	// io_capacity_max first on the way up, last on the way down: it may never be below io_capacity
	const apply = async (values: Record<string, unknown>, order: string[]) => {
		for (const name of order) await admin.query(`SET GLOBAL ${name} = ${Number(values[name])}`);
	};
	await apply(SETTLE_SETTINGS, names);
	let dirty = Number.NaN;
	try {
		while (Date.now() - began < SETTLE_LIMIT_MS) {
			const [status] = await admin.query<RowDataPacket[]>("SHOW GLOBAL STATUS LIKE 'Innodb_buffer_pool_pages_dirty'");
			dirty = Number(status[0]?.Value);
			if (dirty <= SETTLED_DIRTY_PAGES) break;
			await new Promise((resolve) => setTimeout(resolve, 250));
		}
	} finally {
		await apply(saved, [...names].reverse());
	}
	if (!(dirty <= SETTLED_DIRTY_PAGES)) log(`  (InnoDB still had ${dirty} dirty pages after ${SETTLE_LIMIT_MS / 1000} s; measuring anyway)`);
	await runCommand('sync', []);
	return (Date.now() - began) / 1000;
}

/** The first line, and the CLI's own `error:` line when the output has one. */
function summarize(message: string): string {
	const lines = message.split('\n').map((line) => line.trim());
	const reported = lines.find((line) => line.startsWith('error:'));
	return reported && reported !== lines[0] ? `${lines[0]} ${reported}` : (lines[0] ?? '');
}

function lastLines(text: string, count: number): string {
	return redact(text.trim().split('\n').slice(-count).join('\n'));
}
