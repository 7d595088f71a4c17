import {readFile} from 'node:fs/promises';
import {runCommand} from '../source/sandbox/run-command.ts';

/** CPU seconds (user + system) a process has used so far, from /proc/PID/stat. */
export async function cpuSeconds(pid: number): Promise<number> {
	const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
	// the command name (field 2) may hold spaces and parentheses: count fields after its closing ')'
	const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
	// utime and stime are fields 14 and 15 of the whole line, 12th and 13th after the name
	const ticks = Number(fields[11]) + Number(fields[12]);
	return ticks / (await clockTicksPerSecond());
}

let ticksPerSecond: Promise<number> | undefined;

function clockTicksPerSecond(): Promise<number> {
	ticksPerSecond ??= runCommand('getconf', ['CLK_TCK']).then(
		({stdout}) => Number(stdout.trim()) || 100,
		() => 100,
	);
	return ticksPerSecond;
}

/**
 * The main thread's scheduler figures from /proc/PID/schedstat (the thread group leader: node's JS
 * thread): seconds it ran, and seconds it was runnable but waiting for a CPU.
 */
export async function readSchedstat(pid: number): Promise<{runSeconds: number; waitSeconds: number}> {
	const [run = 0, wait = 0] = (await readFile(`/proc/${pid}/schedstat`, 'utf8')).trim().split(/\s+/).map(Number);
	return {runSeconds: run / 1e9, waitSeconds: wait / 1e9};
}

export interface MemoryReading {
	/** VmRSS: resident now, MiB */
	rssMb: number;
	/** VmHWM: the most it was ever resident, MiB */
	peakRssMb: number;
}

/** VmRSS and VmHWM from /proc/PID/status. */
export async function readMemory(pid: number): Promise<MemoryReading> {
	const status = await readFile(`/proc/${pid}/status`, 'utf8');
	const kb = (name: string) => {
		const match = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status);
		if (!match) throw new Error(`/proc/${pid}/status has no ${name}`);
		return Number(match[1]);
	};
	return {rssMb: kb('VmRSS') / 1024, peakRssMb: kb('VmHWM') / 1024};
}

/** What a sampling window saw of one process. */
export interface ProcessUsage {
	seconds: number;
	cpuSeconds: number;
	/** CPU seconds per wall second × 100: 100 is one core busy the whole window */
	cpuPercent: number;
	/** the main thread's share of the window on a CPU, and runnable but waiting for one (×100) */
	mainThreadRunPercent: number;
	mainThreadWaitPercent: number;
	/** the largest VmRSS sampled in the window */
	maxSampledRssMb: number;
	/** VmRSS when the window closed */
	endRssMb: number;
	/** VmHWM when the window closed: the peak over the process's whole life so far */
	peakRssMb: number;
	samples: number;
}

/**
 * Samples a running process's VmRSS every `intervalMs` from now until `finish()`, which also reads its
 * CPU time and VmHWM, so call it while the process is still alive.
 */
export async function startProcessSampling(pid: number, intervalMs = 200): Promise<{finish(): Promise<ProcessUsage>}> {
	const began = performance.now();
	const cpuAtStart = await cpuSeconds(pid);
	const schedAtStart = await readSchedstat(pid);
	let maxRss = (await readMemory(pid)).rssMb;
	let samples = 1;
	let reading: Promise<void> = Promise.resolve();
	const timer = setInterval(() => {
		reading = readMemory(pid).then(
			(memory) => {
				maxRss = Math.max(maxRss, memory.rssMb);
				samples += 1;
			},
			() => {},
		);
	}, intervalMs);
	return {
		async finish() {
			clearInterval(timer);
			await reading;
			const memory = await readMemory(pid);
			const cpu = (await cpuSeconds(pid)) - cpuAtStart;
			const sched = await readSchedstat(pid);
			const seconds = (performance.now() - began) / 1000;
			return {
				seconds,
				cpuSeconds: cpu,
				cpuPercent: (cpu / seconds) * 100,
				mainThreadRunPercent: ((sched.runSeconds - schedAtStart.runSeconds) / seconds) * 100,
				mainThreadWaitPercent: ((sched.waitSeconds - schedAtStart.waitSeconds) / seconds) * 100,
				maxSampledRssMb: Math.max(maxRss, memory.rssMb),
				endRssMb: memory.rssMb,
				peakRssMb: memory.peakRssMb,
				samples: samples + 1,
			};
		},
	};
}
