/**
 * Operating backups, side by side in one run: `dbbackup verify` of the 4 × 1M-row sysbench archive
 * against `sha256sum` of the same file (the floor for reading it once: one core, no decompression), for
 * the archive uncompressed and zstd; the dump time with the per-table row checksums it now records
 * (and the same dump with them measured by the microbench line); the `verify --restore-test` drill;
 * and `dbbackup status` of a directory holding 1,000 backups. Prints ratios and peak RSS and writes
 * bench/results/operate-*.json. Not a test: nothing here asserts on time.
 *
 *   node --import tsx bench/operate.ts [--rows N] [--tables N] [--workers N] [--backups N] [--repeat N]
 */
import {copyFile, mkdir, readdir, stat, writeFile} from 'node:fs/promises';
import {cpus} from 'node:os';
import {join} from 'node:path';
import {MARIADB_NEEDS, type PackageNeed} from '../source/sandbox/index.ts';
import {RowChecksum} from '../source/engines/row-checksum.ts';
import {benchLog, parseBenchArgs, runBench} from './driver.ts';
import {measure, terminateRunningCommands, type Measurement} from './measure.ts';
import {buildOurCli, OUR_CLI} from './ours.ts';
import {renderTable, writeResults} from './report.ts';
import {startBenchServer, settingsLine} from './server.ts';
import {prepareSysbenchData, SOURCE_DATABASE} from './sysbench.ts';
import {machineInfo} from './versions.ts';

const USAGE = 'Usage: node --import tsx bench/operate.ts [--rows 1000000] [--tables 4] [--workers N] [--backups 1000] [--repeat 3]';

const NEEDS: PackageNeed[] = [...MARIADB_NEEDS, {binary: 'sysbench', pkg: 'sysbench'}, {binary: 'sha256sum', pkg: 'coreutils'}, {binary: 'time', pkg: 'time'}];

interface Options {
	rows: number;
	tables: number;
	workers: number;
	backups: number;
	repeat: number;
}

function parse(argv: string[]): Options | 'help' {
	const values = parseBenchArgs(
		argv,
		{rows: {type: 'string'}, tables: {type: 'string'}, workers: {type: 'string'}, backups: {type: 'string'}, repeat: {type: 'string'}, help: {type: 'boolean'}},
		USAGE,
	);
	if (values.help) return 'help';
	const number = (value: string | undefined, fallback: number) => (value === undefined ? fallback : Number(value));
	return {
		rows: number(values.rows, 1_000_000),
		tables: number(values.tables, 4),
		workers: number(values.workers, Math.max(2, cpus().length)),
		backups: number(values.backups, 1000),
		repeat: number(values.repeat, 3),
	};
}

const log = benchLog;

/** The best of `repeat` runs (after one untimed run that warms the page cache), and the largest peak RSS. */
async function best(label: string, repeat: number, run: () => Promise<Measurement>): Promise<Measurement> {
	log(`bench: ${label}`);
	await run();
	let result: Measurement | undefined;
	let peak = 0;
	for (let index = 0; index < repeat; index++) {
		const measured = await run();
		peak = Math.max(peak, measured.peakRssMb);
		if (!result || measured.seconds < result.seconds) result = measured;
	}
	return {...result!, peakRssMb: peak};
}

/** CPU time of the row checksum per row and per byte, on sysbench-shaped rows (about 190 bytes). */
function checksumCost(): {nsPerRow: number; nsPerByte: number; rowBytes: number} {
	const rows = 1_000_000;
	const row = Buffer.from(`1\t${'12345678901'.repeat(1)}\t${'68487932199-96439406143-93774651418-41631865787-96406072701-20604855487-25459966574-28203206787-41238978918-19503783441'}\t${'22195207048-70116052123-74140395089-76317954521-98694025897'}`);
	const checksum = new RowChecksum();
	for (let index = 0; index < 100_000; index++) checksum.addRow(row, 0, row.length);
	const began = process.hrtime.bigint();
	for (let index = 0; index < rows; index++) checksum.addRow(row, 0, row.length);
	const nsPerRow = Number(process.hrtime.bigint() - began) / rows;
	return {nsPerRow, nsPerByte: nsPerRow / row.length, rowBytes: row.length};
}

runBench(
	{parse, usage: USAGE, needs: NEEDS, tools: () => ({sha256sum: ['sha256sum', '--version']}), workDirPrefix: 'dbbackup-bench-operate-', stopRunning: terminateRunningCommands, stopping: 'the running command and the bench server'},
	async ({options, startedAt, tools, workRoot, atCleanUp}) => {
		await buildOurCli(log);
		const bench = await startBenchServer(workRoot, log);
		atCleanUp(() => bench.server.stop());
		const admin = await bench.connect();
		atCleanUp(() => admin.end().catch(() => {}));
		log(`bench: generating ${options.tables} × ${options.rows.toLocaleString('en-US')} rows with sysbench…`);
		await prepareSysbenchData(bench.server, admin, {tables: options.tables, rowsPerTable: options.rows, threads: options.workers});
		const env = {MYSQL_PWD: bench.server.password};
		const server = ['--db-type', 'mysql', '--host', bench.server.host, '--port', String(bench.server.port), '--user', bench.server.user];
		const timeFile = join(workRoot, 'time.txt');
		const ours = (args: string[]) => measure({command: OUR_CLI, args, env}, timeFile);

		const rows: string[][] = [];
		const figures: Record<string, unknown> = {};
		for (const compression of ['none', 'zstd'] as const) {
			const archive = join(workRoot, `sbtest-${compression}.tar`);
			const dump = await ours(['backup', 'single', SOURCE_DATABASE, '--output', archive, '--compress', compression, '--workers', String(options.workers), '--yes', ...server]);
			const bytes = (await stat(archive)).size;
			const sha = await best(`sha256sum of the ${compression} archive`, options.repeat, () => measure({command: 'sha256sum', args: [archive]}, timeFile));
			const verify = await best(`dbbackup verify of the ${compression} archive`, options.repeat, () => ours(['verify', archive, '--yes']));
			const ratio = verify.seconds / sha.seconds;
			figures[compression] = {bytes, dumpSeconds: dump.seconds, dumpPeakRssMb: dump.peakRssMb, sha256sum: sha, verify, ratio};
			rows.push(
				[`archive, ${compression}`, `${(bytes / 1024 ** 2).toFixed(0)} MiB`, 'sha256sum', sha.seconds.toFixed(2), sha.peakRssMb.toFixed(0), '1.00×'],
				['', '', 'dbbackup verify', verify.seconds.toFixed(2), verify.peakRssMb.toFixed(0), `${ratio.toFixed(2)}×`],
			);
			if (compression === 'zstd') {
				log('bench: dbbackup verify --restore-test of the zstd archive');
				const drill = await ours(['verify', archive, '--restore-test', '--workers', String(options.workers), '--yes']);
				figures.restoreTest = drill;
				rows.push(['', '', 'verify --restore-test', drill.seconds.toFixed(2), drill.peakRssMb.toFixed(0), '(restore + compare)']);
			}
		}

		// status: one small real backup, copied under 1,000 names with their sidecars
		await admin.query('CREATE DATABASE status_small');
		await admin.query('CREATE TABLE status_small.t (id INT PRIMARY KEY, v VARCHAR(20))');
		await admin.query("INSERT INTO status_small.t VALUES (1, 'a'), (2, 'b')");
		const catalogDir = join(workRoot, 'catalog');
		await mkdir(catalogDir);
		await ours(['backup', 'single', 'status_small', '--output', `${catalogDir}/`, '--yes', ...server]);
		const [archiveName] = (await readdir(catalogDir)).filter((name) => name.endsWith('.tar'));
		const base = new Date('2025-01-01T00:00:00Z').getTime();
		for (let index = 0; index < options.backups; index++) {
			const name = `status_small-${new Date(base + index * 6 * 3600_000).toISOString().replaceAll(':', '')}-${String(index).padStart(4, '0')}.tar`;
			await copyFile(join(catalogDir, archiveName!), join(catalogDir, name));
			await copyFile(join(catalogDir, `${archiveName}.meta.json`), join(catalogDir, `${name}.meta.json`));
		}
		await writeFile(join(workRoot, 'status-count.txt'), String((await readdir(catalogDir)).length));
		const status = await best(`dbbackup status of ${options.backups + 1} backups`, options.repeat, () => ours(['status', catalogDir, '--json']));
		const version = await best('dbbackup --version (the process start alone)', options.repeat, () => ours(['--version']));
		figures.status = {backups: options.backups + 1, status, processStart: version};
		rows.push(
			[`status, ${options.backups + 1} backups`, '', 'dbbackup status --json', status.seconds.toFixed(2), status.peakRssMb.toFixed(0), 'target < 2 s'],
			['', '', 'dbbackup --version', version.seconds.toFixed(2), version.peakRssMb.toFixed(0), '(node start)'],
		);

		const cost = checksumCost();
		figures.checksumCost = cost;
		const lines = [
			`dbbackup operations bench, ${startedAt.toISOString()}: MariaDB ${bench.server.version}, ${machineInfo().cpus} cores, ${options.workers} workers, ${options.tables} × ${options.rows.toLocaleString('en-US')} rows`,
			`server: ${settingsLine(bench.settings)}`,
			'Best of the timed runs after one warm-up (the file in the page cache for both); peak RSS the largest of them.',
			'',
			...renderTable(['what', 'size', 'command', 'seconds', 'peak RSS MiB', 'ratio'], ['left', 'right', 'left', 'right', 'right', 'right'], rows),
			'',
			`row checksum recorded by the dump: ${cost.nsPerRow.toFixed(0)} ns per ${cost.rowBytes}-byte sysbench row on one core (${cost.nsPerByte.toFixed(2)} ns/byte)`,
			'verify does more than sha256sum: every member hashed (on all cores), decompressed to its end, and the manifest and sidecar checked.',
		];
		process.stdout.write(`${lines.join('\n')}\n`);
		const file = await writeResults('operate', startedAt, {startedAt: startedAt.toISOString(), finishedAt: new Date().toISOString(), options, machine: machineInfo(), server: {version: bench.server.version, settings: bench.settings}, tools, figures});
		process.stdout.write(`\nresults written to ${file}\n`);
		return 0;
	},
);
