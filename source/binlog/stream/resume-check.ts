import {binlogSourceChanged, WorkError} from '../../core/errors.ts';
import {mysqlGtidSetIncludes, parseMariadbGtidList, parseMysqlGtidSet} from '../event/gtid.ts';
import {compareBinlogNames} from '../file/binlog-dir.ts';
import type {DumpStartPoint, SourceServer} from '../protocol/replica-session.ts';
import type {RecoveryPlan, ResumePoint} from './local-recovery.ts';

/**
 * Before recovery cuts or removes anything, the server must be able to send all of it again: it still
 * lists the resume file, that file is at least as long as the copy's resume position, and it lists every
 * file recovery would remove. Each way it cannot is named for what it is: binlogs purged, binlogs reset
 * or another server, a GTID history the server does not have.
 */
export function confirmWithServer(dir: string, plan: RecoveryPlan, source: SourceServer): void {
	const resume = plan.resume;
	if (!resume) return;
	const names = source.binlogs.map((binlog) => binlog.name);
	const where = `${resume.file}:${resume.position}`;
	const onServer = source.binlogs.find((binlog) => binlog.name === resume.file);
	if (!onServer) {
		const oldest = names[0];
		const newest = names.at(-1);
		if (oldest !== undefined && sameSeries(oldest, resume.file) && compareBinlogNames(resume.file, oldest) < 0) {
			throw new WorkError({
				code: 'BINLOG_SOURCE_PURGED',
				message: `the server purged ${resume.file}, which the copy in ${dir} needs from ${where} on (its oldest binlog is ${oldest})`,
				hint: 'The gap cannot be filled. Take a new full backup and stream into a new --output directory from its coordinates.',
			});
		}
		if (newest !== undefined && sameSeries(newest, resume.file)) {
			throw new WorkError({
				code: 'BINLOG_SOURCE_RESET',
				message: `the server's binlogs end at ${newest}, before the copy's ${where}: its binary logs were reset (RESET MASTER / RESET BINARY LOGS AND GTIDS) or it is another server with the same names`,
				hint: 'The copy in this directory cannot continue from this server. Take a new full backup and stream into a new --output directory.',
			});
		}
		throw binlogSourceChanged(`the copy in ${dir} is at ${where}, but this server's binlogs are ${newest === undefined ? 'none' : `${oldest} … ${newest}`}: another server's binlog series`);
	}
	if (onServer.size < resume.position) {
		throw new WorkError({
			code: 'BINLOG_SOURCE_RESET',
			message: `the server's ${resume.file} is ${onServer.size} bytes, but the copy in ${dir} already holds ${resume.position}: not the file the copy was made from (binlogs reset, or another server with the same names); nothing was changed`,
			hint: 'The copy in this directory cannot continue from this server. Take a new full backup and stream into a new --output directory.',
		});
	}
	const lost = plan.remove.filter((name) => !names.includes(name));
	if (lost.length > 0) {
		throw new WorkError({
			code: 'BINLOG_COPY_UNRECOVERABLE',
			message: `the copy in ${dir} would have to remove ${lost.join(', ')} to continue from ${where}, but the server no longer has ${lost.length === 1 ? 'it' : 'them'} to send again; nothing was changed`,
			hint: 'Keep the directory as it is (it holds binlogs the server no longer has) and stream into a new --output directory.',
		});
	}
	checkGtidHistory(dir, resume, source);
}

/**
 * Where the dump starts: by GTID only when the copy is in the server's newest binlog. With files after
 * it on the server, a GTID resume would let the server skip files that hold no transactions (those of
 * FLUSH BINARY LOGS, a restart's STOP), and they would be missing from the copy for good; by file and
 * position every file the server still has is sent whole.
 */
export function chooseStart(resume: ResumePoint, source: SourceServer, useGtid: boolean): DumpStartPoint {
	const newest = source.binlogs.at(-1)?.name;
	if (useGtid && resume.gtid !== '' && resume.file === newest && !resume.complete) {
		// MySQL: COM_BINLOG_DUMP_GTID with the set the copy holds; the server starts at the newest file
		// whose Previous_gtids the set covers (this one) and sends only the transactions not in it
		return source.flavor === 'mariadb' ? {kind: 'mariadb-gtid', gtid: resume.gtid} : {kind: 'mysql-gtid', set: parseMysqlGtidSet(resume.gtid)};
	}
	return {kind: 'position', file: resume.file, position: resume.position};
}

/**
 * The copy's GTIDs must be in the server's history. MariaDB: every domain of the copy's GTID position
 * at or behind the server's; MySQL: the copy's GTID set inside the server's gtid_executed.
 */
function checkGtidHistory(dir: string, resume: ResumePoint, source: SourceServer): void {
	if (resume.gtid === '') return;
	if (source.flavor === 'mysql') {
		if (mysqlGtidSetIncludes(parseMysqlGtidSet(source.gtidPosition), parseMysqlGtidSet(resume.gtid))) return;
		throw new WorkError({
			code: 'BINLOG_GTID_NOT_ON_SERVER',
			message: `the copy in ${dir} holds GTIDs ${resume.gtid}, which are not all in this server's history (its gtid_executed is ${source.gtidPosition || 'empty'}): its binlogs were reset, or it is another or a diverged server`,
			hint: 'The copy cannot continue from this server. Take a new full backup and stream into a new --output directory.',
		});
	}
	const server = parseMariadbGtidList(source.gtidPosition);
	const ahead = parseMariadbGtidList(resume.gtid).filter((ours) => {
		const theirs = server.find((gtid) => gtid.domainId === ours.domainId);
		return !theirs || theirs.sequence < ours.sequence;
	});
	if (ahead.length === 0) return;
	throw new WorkError({
		code: 'BINLOG_GTID_NOT_ON_SERVER',
		message: `the copy in ${dir} is at GTID ${resume.gtid}, which is not in this server's history (its gtid_binlog_pos is ${source.gtidPosition || 'empty'}): its binlogs were reset, or it is another or a diverged server`,
		hint: 'The copy cannot continue from this server. Take a new full backup and stream into a new --output directory.',
	});
}

function sameSeries(a: string, b: string): boolean {
	return a.slice(0, a.lastIndexOf('.')) === b.slice(0, b.lastIndexOf('.'));
}
