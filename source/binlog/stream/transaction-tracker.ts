import type {DecodedEvent} from '../event/decoded.ts';
import {addMysqlGtid, advanceMariadbPosition, formatMariadbGtidList, formatMysqlGtidSet, parseMariadbGtidList, parseMysqlGtidSet, type MariadbGtid} from '../event/gtid.ts';
import type {MysqlGtidSid} from '../protocol/commands.ts';
import type {BinlogFlavor} from '../flavor.ts';

export interface EventVerdict {
	/** the position after this event ends a transaction (or a standalone event) */
	boundary: boolean;
	/** the GTID of the transaction this event belongs to, when it has one */
	gtid?: string;
}

/**
 * Follows transaction boundaries through the event stream and the GTID state they leave: the resume
 * point is always the end of a complete transaction, never the middle of one.
 */
export class TransactionTracker {
	private inTransaction = false;
	/** MariaDB standalone GTID (DDL) or MySQL GTID not yet followed by BEGIN: the next QUERY ends it */
	private awaitingStatement = false;
	private current: OpenTransaction | undefined;
	private mariadb: MariadbGtid[] = [];
	private mysql: MysqlGtidSid[] = [];

	constructor(
		readonly flavor: BinlogFlavor,
		gtid = '',
	) {
		this.reset(gtid);
	}

	/** the GTID state after the last complete transaction */
	get gtidState(): string {
		return this.flavor === 'mariadb' ? formatMariadbGtidList(this.mariadb) : formatMysqlGtidSet(this.mysql);
	}

	private get currentGtid(): string | undefined {
		return this.current?.text;
	}

	get inside(): boolean {
		return this.inTransaction || this.awaitingStatement;
	}

	/** forget any open transaction (its events were dropped) and start from a known GTID state */
	reset(gtid: string): void {
		this.inTransaction = false;
		this.awaitingStatement = false;
		this.current = undefined;
		if (this.flavor === 'mariadb') this.mariadb = gtid === '' ? [] : parseMariadbGtidList(gtid);
		else this.mysql = gtid === '' ? [] : parseMysqlGtidSet(gtid);
	}

	observe(event: DecodedEvent): EventVerdict {
		switch (event.kind) {
			case 'mariadb-gtid': {
				const gtid = {domainId: event.domainId, serverId: event.serverId, sequence: event.sequence};
				this.open({text: event.gtid, commit: () => (this.mariadb = advanceMariadbPosition(this.mariadb, gtid))}, event.standalone);
				return {boundary: false, gtid: event.gtid};
			}
			case 'mysql-gtid':
				this.open(event.anonymous ? undefined : {text: event.gtid, commit: () => (this.mysql = addMysqlGtid(this.mysql, event.uuid, event.gno))}, true);
				return {boundary: false, gtid: this.currentGtid};
			case 'query':
				return this.query(event.sql);
			case 'xid':
			case 'xa-prepare':
				return this.close();
			case 'mariadb-gtid-list':
				// the state before this file; it matters when the tracker starts without one
				if (!this.inside && this.mariadb.length === 0) this.mariadb = event.gtids.map((gtid) => ({...gtid}));
				return {boundary: !this.inside};
			case 'previous-gtids':
				if (!this.inside && this.mysql.length === 0) this.mysql = event.set.map((sid) => ({uuid: sid.uuid, intervals: [...sid.intervals]}));
				return {boundary: !this.inside};
			default:
				return {boundary: !this.inside, gtid: this.inside ? this.currentGtid : undefined};
		}
	}

	private open(transaction: OpenTransaction | undefined, awaitingStatement: boolean): void {
		this.current = transaction;
		this.inTransaction = !awaitingStatement;
		this.awaitingStatement = awaitingStatement;
	}

	private query(sql: string): EventVerdict {
		const head = sql.trimStart().slice(0, 16).toUpperCase();
		const gtid = this.currentGtid;
		if (head === 'BEGIN' || head.startsWith('BEGIN ') || head.startsWith('XA START')) {
			this.inTransaction = true;
			this.awaitingStatement = false;
			return {boundary: false, gtid};
		}
		if (this.inTransaction && !/^(COMMIT|ROLLBACK)\b/.test(head)) return {boundary: false, gtid};
		if (this.inTransaction && head.startsWith('ROLLBACK TO')) return {boundary: false, gtid};
		return this.close();
	}

	private close(): EventVerdict {
		const gtid = this.currentGtid;
		this.current?.commit();
		this.inTransaction = false;
		this.awaitingStatement = false;
		this.current = undefined;
		return {boundary: true, gtid};
	}
}

/** The open transaction's GTID, and what its commit does to the GTID state. */
interface OpenTransaction {
	text: string;
	commit(): void;
}
