import {createHash} from 'node:crypto';
import {hostname} from 'node:os';
import path from 'node:path';
import {UsageError, WorkError} from '../../core/errors.ts';
import {isObjectStoreUrl} from '../../core/object-store-url.ts';
import {parseLsn, type Lsn} from '../../core/pg-replication/lsn.ts';
import type {ReplicationSession} from '../../core/pg-replication/session.ts';
import {SLOT_NAME} from '../store/checkpoint.ts';

/**
 * The slot a store streams through when --slot does not name one: `dbbackup_wal_` and 12 hex digits of
 * the store's place (this host and the directory's absolute path, or the s3:// URL), so a restart, or a
 * run after a crash, finds the slot it made and never leaves a second one holding WAL back.
 */
export function defaultSlotName(store: string): string {
	const place = isObjectStoreUrl(store) ? store.replace(/\/+$/, '') : `${hostname()}:${path.resolve(store)}`;
	return `dbbackup_wal_${createHash('sha256').update(place).digest('hex').slice(0, 12)}`;
}

export function checkSlotName(name: string, flag = '--slot'): string {
	if (!SLOT_NAME.test(name)) {
		throw new UsageError({
			code: 'WAL_SLOT_NAME_INVALID',
			message: `${flag} ${name}: not a replication slot name`,
			hint: 'Slot names are 1 to 63 lower-case letters, digits and underscores.',
		});
	}
	return name;
}

export interface SlotState {
	name: string;
	/** the slot was made by this call (RESERVE_WAL: it holds WAL from about now on) */
	created: boolean;
	/** where the server keeps WAL from for it; undefined when it has none reserved */
	restartLsn: Lsn | undefined;
}

function literal(text: string): string {
	return `'${text.replace(/'/g, "''")}'`;
}

/**
 * The physical slot `name`, made with RESERVE_WAL when it does not exist. A logical slot of that name is
 * refused: its WAL position means something else.
 */
export async function ensureSlot(session: ReplicationSession, name: string): Promise<SlotState> {
	const read = async () => (await session.command(`SELECT slot_type, restart_lsn::text FROM pg_catalog.pg_replication_slots WHERE slot_name = ${literal(name)}`))[0]?.rows[0];
	let row = await read();
	let created = false;
	if (!row) {
		try {
			await session.command(`CREATE_REPLICATION_SLOT ${name} PHYSICAL RESERVE_WAL`);
			created = true;
		} catch (error) {
			// made meanwhile by another run: use it as found
			if ((error as {code?: string}).code !== '42710') throw error;
		}
		row = await read();
		if (!row) throw new WorkError({code: 'WAL_SOURCE_REFUSED', message: `the replication slot ${name} was made but the server does not list it`});
	}
	if (row[0] !== 'physical') {
		throw new UsageError({
			code: 'WAL_SLOT_NOT_PHYSICAL',
			message: `the replication slot ${name} is a ${row[0]} slot; wal-stream needs a physical one`,
			hint: 'Give --slot a name that is free or a physical slot\'s (SELECT slot_name, slot_type FROM pg_replication_slots).',
		});
	}
	return {name, created, restartLsn: row[1] ? parseLsn(row[1]) : undefined};
}
