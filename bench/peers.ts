import {join} from 'node:path';
import {shellQuote} from './measure.ts';
import type {Step, StepContext} from './steps.ts';

function connectionArgs(ctx: StepContext): string[] {
	return [`--host=${ctx.host}`, `--port=${ctx.port}`, `--user=${ctx.user}`];
}

function mydumperConnectionArgs(ctx: StepContext): string[] {
	return ['-h', ctx.host, '-P', String(ctx.port), '-u', ctx.user];
}

/**
 * The peers' dumps. mariadb-dump is given the database without --databases, so the script carries no
 * CREATE DATABASE / USE and `mariadb sbtest_r1 < file.sql` loads it under the new name. mydumper runs
 * with --trx-consistency-only: like ours it releases its global lock as soon as every worker's
 * snapshot is open (its default would hold FLUSH TABLES WITH READ LOCK while non-InnoDB tables are
 * dumped, which sysbench's InnoDB-only tables do not need).
 */
export function peerDumpSteps(ctx: StepContext): Step[] {
	const env = {MYSQL_PWD: ctx.password};
	const dumpArgs = [...connectionArgs(ctx), '--single-transaction', ctx.sourceDatabase];
	const sqlFile = join(ctx.workDir, 'mariadb-dump.sql');
	const gzFile = join(ctx.workDir, 'mariadb-dump.sql.gz');
	const mydumperArgs = [...mydumperConnectionArgs(ctx), '-t', String(ctx.workers), '--trx-consistency-only', '-B', ctx.sourceDatabase, '-v', '1'];
	const plainDir = join(ctx.workDir, 'mydumper');
	const compressedDir = join(ctx.workDir, 'mydumper-c');
	return [
		{
			id: 'mydumper',
			label: `mydumper -t ${ctx.workers}`,
			kind: 'dump',
			ours: false,
			comparedWith: 'ours-none',
			spec: {command: 'mydumper', args: [...mydumperArgs, '-o', plainDir], env},
			output: plainDir,
		},
		{
			id: 'mydumper-c',
			label: `mydumper -t ${ctx.workers} -c`,
			kind: 'dump',
			ours: false,
			comparedWith: 'ours-zstd',
			spec: {command: 'mydumper', args: [...mydumperArgs, '-c', '-o', compressedDir], env},
			output: compressedDir,
		},
		{
			id: 'mariadb-dump',
			label: 'mariadb-dump > .sql',
			kind: 'dump',
			ours: false,
			comparedWith: 'ours-none',
			spec: {command: 'mariadb-dump', args: dumpArgs, env, stdoutFile: sqlFile},
			output: sqlFile,
		},
		{
			id: 'mariadb-dump-gzip',
			label: 'mariadb-dump | gzip',
			kind: 'dump',
			ours: false,
			comparedWith: 'ours-gzip',
			spec: {
				command: 'bash',
				args: ['-c', `set -o pipefail; mariadb-dump ${dumpArgs.map(shellQuote).join(' ')} | gzip > ${shellQuote(gzFile)}`],
				env,
			},
			output: gzFile,
		},
	];
}

export function peerRestoreSteps(ctx: StepContext): Step[] {
	const env = {MYSQL_PWD: ctx.password};
	const myloader = (id: string, database: string, options: string[]): Step => ({
		id,
		label: ['myloader', '-t', ctx.workers, ...options].join(' '),
		kind: 'restore',
		ours: false,
		comparedWith: 'ours-restore-zstd',
		spec: {
			command: 'myloader',
			args: [...mydumperConnectionArgs(ctx), '-t', String(ctx.workers), '-d', join(ctx.workDir, 'mydumper'), '-B', database, '-o', ...options, '-v', '1'],
			env,
		},
		restores: 'mydumper',
		targetDatabase: database,
		createTarget: false,
	});
	return [
		myloader('myloader', 'sbtest_r2', []),
		// myloader skips the binlog unless -e: this is the like-for-like with our default restore
		myloader('myloader-binlog', 'sbtest_r5', ['-e']),
		{
			id: 'mariadb',
			label: 'mariadb < .sql',
			kind: 'restore',
			ours: false,
			comparedWith: 'ours-restore-zstd',
			spec: {command: 'mariadb', args: [...connectionArgs(ctx), 'sbtest_r1'], env, stdinFile: join(ctx.workDir, 'mariadb-dump.sql')},
			restores: 'mariadb-dump',
			targetDatabase: 'sbtest_r1',
			createTarget: true,
		},
	];
}
