/**
 * A remote clone's donor, seen from the recipient and from here: clone_valid_donor_list on the
 * recipient must name it (set for the clone and put back afterwards when the user may, else a refusal
 * naming the statement to run), and a connection of our own to the donor, with the donor's credentials,
 * reads what the recipient cannot: its version, size, tables and binlog coordinates.
 */
import type {RowDataPacket} from 'mysql2/promise';
import {connectMysql, type MysqlConnection} from '../../core/connect.ts';
import {DbBackupError, EngineUnavailableError, WorkError} from '../../core/errors.ts';
import type {EventBus} from '../../core/events.ts';
import type {CloneDonor} from '../types.ts';
import {donorAddress, sqlString} from './statement.ts';

/** The entries of a clone_valid_donor_list value ("h1:p1,h2:p2"), lower case. */
export function donorListEntries(value: string | null | undefined): string[] {
	return (value ?? '').split(',').map((entry) => entry.trim().toLowerCase()).filter((entry) => entry !== '');
}

/**
 * Makes the recipient accept the donor; returns what puts the list back (nothing to do when the donor
 * was listed already).
 */
export async function allowDonor(recipient: MysqlConnection, donor: CloneDonor, target: string, noBackslashEscapes: boolean, bus: EventBus): Promise<() => Promise<void>> {
	const address = donorAddress(donor);
	const [rows] = await recipient.query<RowDataPacket[]>('SELECT @@GLOBAL.clone_valid_donor_list AS list');
	const previous = rows[0]?.list === null || rows[0]?.list === undefined ? '' : String(rows[0].list);
	const entries = donorListEntries(previous);
	if (entries.includes(address.toLowerCase())) return async () => undefined;
	const wanted = [...entries, address].join(',');
	try {
		await recipient.query(`SET GLOBAL clone_valid_donor_list = ${sqlString(wanted, noBackslashEscapes)}`);
	} catch (error) {
		const message = (error as {sqlMessage?: string}).sqlMessage ?? String(error);
		throw new EngineUnavailableError({
			code: 'CLONE_DONOR_NOT_ALLOWED',
			message: `${target} does not accept ${address} as a clone donor (clone_valid_donor_list is ${previous === '' ? 'empty' : `"${previous}"`}), and it could not be added: ${message}`,
			hint: `On ${target}, as a user with SYSTEM_VARIABLES_ADMIN: SET PERSIST clone_valid_donor_list = '${wanted}'; then run again.`,
		});
	}
	bus.log('info', `clone_valid_donor_list on ${target}: added ${address} for this clone (was ${previous === '' ? 'empty' : `"${previous}"`}; put back afterwards)`);
	return async () => {
		try {
			await recipient.query(previous === '' ? 'SET GLOBAL clone_valid_donor_list = DEFAULT' : `SET GLOBAL clone_valid_donor_list = ${sqlString(previous, noBackslashEscapes)}`);
		} catch (error) {
			bus.warn(`clone_valid_donor_list on ${target} could not be put back to ${previous === '' ? 'empty' : `"${previous}"`} (${error instanceof Error ? error.message : String(error)}); it still lists ${address}`);
		}
	};
}

/** Our own connection to the donor, or undefined (with a warning) when it cannot be reached from here. */
export async function connectDonor(donor: CloneDonor, bus: EventBus): Promise<MysqlConnection | undefined> {
	try {
		return await connectMysql({dbType: 'mysql', host: donor.host, port: donor.port, user: donor.user, password: donor.password, passwordSource: donor.passwordSource});
	} catch (error) {
		const why = error instanceof DbBackupError ? error.message : String(error);
		bus.warn(`the donor ${donorAddress(donor)} could not be reached from here (${why}): its version, free space need and coordinates are not checked; the recipient connects to it itself`, {
			code: 'CLONE_DONOR_NOT_CHECKED',
			hint: 'The manifest then has no binlog coordinates; a server started on the restored directory reports its GTID set.',
		});
		return undefined;
	}
}

/** "9.7" of "9.7.4": the release series donor and recipient must share. */
export function releaseSeries(version: string): string {
	return /^\d+\.\d+/.exec(version)?.[0] ?? version;
}

export function checkSameSeries(recipientVersion: string, donorVersion: string, donor: string, target: string): void {
	if (releaseSeries(recipientVersion) === releaseSeries(donorVersion)) return;
	throw new WorkError({
		code: 'CLONE_DONOR_MISMATCH',
		message: `the donor ${donor} runs MySQL ${donorVersion} and the recipient ${target} runs ${recipientVersion}: a clone needs both in the same release series`,
		hint: 'Clone from a donor of the recipient\'s series, or connect to a recipient of the donor\'s.',
	});
}
