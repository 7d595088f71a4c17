/**
 * What the server says about a clone: performance_schema.clone_status (its last clone: state, error
 * number and message), and a failed CLONE statement turned into an error that says what to do.
 */
import type {RowDataPacket} from 'mysql2/promise';
import type {MysqlConnection} from '../../core/connect.ts';
import {DbBackupError, EngineUnavailableError, WorkError} from '../../core/errors.ts';

export interface CloneStatus {
	state: string;
	source: string;
	destination: string;
	errorNo: number;
	errorMessage: string;
	binlogFile: string;
	binlogPosition: number;
	gtidExecuted: string;
}

export async function readCloneStatus(connection: MysqlConnection): Promise<CloneStatus | undefined> {
	const [rows] = await connection.query<RowDataPacket[]>(
		'SELECT STATE, SOURCE, DESTINATION, ERROR_NO, ERROR_MESSAGE, BINLOG_FILE, BINLOG_POSITION, GTID_EXECUTED FROM performance_schema.clone_status',
	);
	const row = rows[0];
	if (!row) return undefined;
	return {
		state: String(row.STATE ?? ''),
		source: String(row.SOURCE ?? ''),
		destination: String(row.DESTINATION ?? ''),
		errorNo: Number(row.ERROR_NO ?? 0),
		errorMessage: String(row.ERROR_MESSAGE ?? ''),
		binlogFile: String(row.BINLOG_FILE ?? ''),
		binlogPosition: Number(row.BINLOG_POSITION ?? 0),
		gtidExecuted: String(row.GTID_EXECUTED ?? '').replace(/\s+/g, ''),
	};
}

interface DriverError {
	code?: string;
	errno?: number;
	sqlMessage?: string;
	message?: string;
	sql?: string;
}

/**
 * The driver's error without the statement it ran: a remote clone's statement holds the donor's
 * password, and an error's cause can end up in a debug dump.
 */
export function withoutStatement(error: unknown): unknown {
	if (error && typeof error === 'object' && 'sql' in error) {
		const copy = new Error((error as DriverError).sqlMessage ?? (error as DriverError).message ?? 'CLONE failed');
		Object.assign(copy, {code: (error as DriverError).code, errno: (error as DriverError).errno});
		return copy;
	}
	return error;
}

export interface CloneContext {
	mode: 'local' | 'remote';
	/** the connected server, "host:port" */
	target: string;
	/** the donor of a remote clone, "host:port" */
	donor?: string;
	user: string;
	directory: string;
}

/** A failed CLONE statement, with clone_status's error where the statement's own says less. */
export function cloneFailure(error: unknown, status: CloneStatus | undefined, context: CloneContext): DbBackupError {
	if (error instanceof DbBackupError) return error;
	const driver = (error ?? {}) as DriverError;
	const said = driver.sqlMessage ?? driver.message ?? String(error);
	const statusSays = status && status.errorNo !== 0 && status.errorMessage && !said.includes(status.errorMessage) ? ` (clone_status: error ${status.errorNo}: ${status.errorMessage})` : '';
	const message = `${said}${statusSays}`;
	const cause = withoutStatement(error);
	const code = driver.code ?? '';
	const where = context.mode === 'local' ? `the clone of ${context.target}` : `the clone from ${context.donor} into ${context.target}`;
	if (code === 'ER_SPECIFIC_ACCESS_DENIED_ERROR' || code === 'ER_SPECIFIC_ACCESS_DENIED' || driver.errno === 1227) {
		const privilege = context.mode === 'local' ? 'BACKUP_ADMIN' : 'CLONE_ADMIN';
		return new EngineUnavailableError({
			code: 'CLONE_NOT_PERMITTED',
			message: `${context.user} may not run ${where}: ${message}`,
			hint: `GRANT ${privilege} ON *.* TO ${context.user}; (a remote clone: CLONE_ADMIN on the recipient, BACKUP_ADMIN for the donor user on the donor).`,
			cause,
		});
	}
	if (code === 'ER_CLONE_SYS_CONFIG' && /clone_valid_donor_list/.test(message)) {
		return new EngineUnavailableError({
			code: 'CLONE_DONOR_NOT_ALLOWED',
			message: `${context.target} does not accept ${context.donor} as a clone donor: ${message}`,
			hint: `On ${context.target}: SET PERSIST clone_valid_donor_list = '${context.donor}'; (needs SYSTEM_VARIABLES_ADMIN), then run again.`,
			cause,
		});
	}
	if (code === 'ER_CLONE_DONOR' || code === 'ER_CLONE_DONOR_VERSION' || code === 'ER_CLONE_PLATFORM' || /Clone Donor/i.test(message)) {
		const mismatch = /version|platform|character set|collation|plugin/i.test(message) && !/Connect failed/i.test(message);
		return new WorkError({
			code: mismatch ? 'CLONE_DONOR_MISMATCH' : 'CLONE_DONOR_REFUSED',
			message: `${where} failed at the donor: ${message}`,
			hint: mismatch
				? 'Donor and recipient must run the same release series on the same platform, with the same plugins active: see the message.'
				: 'Check the donor address, the donor user (backup.clone.remote.donor_user; it needs BACKUP_ADMIN on the donor) and its password (DBBACKUP_DONOR_PWD or ~/.my.cnf [dbbackup-donor]).',
			cause,
		});
	}
	if (code === 'ER_CLONE_IN_PROGRESS' || /concurrent clone|clone.*in progress/i.test(message)) {
		return new WorkError({code: 'CLONE_BUSY', message: `${where} could not start: ${message}`, hint: 'The clone plugin runs one clone at a time: wait for the other one to end, then run again.', cause});
	}
	if (code === 'ER_QUERY_INTERRUPTED' || driver.errno === 1317) {
		return new WorkError({code: 'CLONE_INTERRUPTED', message: `${where} was interrupted: ${message}`, hint: 'The clone directory was removed; run again.', cause});
	}
	if (/disk full|no space left|errno: 28|OS errno 28/i.test(message)) {
		return new WorkError({code: 'CLONE_NO_SPACE', message: `${where} ran out of space in ${context.directory}: ${message}`, hint: 'Free space there, or set backup.clone.data_dir to a directory with room for a full copy.', cause});
	}
	return new WorkError({code: 'CLONE_FAILED', message: `${where} into ${context.directory} failed: ${message}`, hint: 'The clone directory was removed; the server\'s error log may say more.', cause});
}
