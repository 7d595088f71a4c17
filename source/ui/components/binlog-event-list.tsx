import type {EventOf} from '../../core/events.ts';
import {formatClock, formatCount} from '../../core/format.ts';
import {useBodySize} from '../layout.ts';
import {filePosition} from './binlog-status-panel.tsx';
import {FeedList, type FeedColumn} from './feed-list.tsx';

export type BinlogFeedEvent = EventOf<'binlog-event'>;

interface ColumnWidths {
	time: number;
	position: number;
	/** the position without the file's base name ("000007:4567"): the status panel names the file */
	shortPosition: boolean;
	type: number;
	/** 0: no GTID column (the status panel shows the GTID) */
	gtid: number;
	rows: number;
}

const wideColumns: ColumnWidths = {time: 10, position: 29, shortPosition: false, type: 24, gtid: 14, rows: 8};
/** at 80 columns: the table column keeps 30 */
const narrowColumns: ColumnWidths = {time: 9, position: 17, shortPosition: true, type: 16, gtid: 0, rows: 8};
const WIDE_FROM = 100;

/** The widths of the fixed columns for a list this wide; the table column takes the rest. */
export function eventColumns(width: number): ColumnWidths {
	return width >= WIDE_FROM ? wideColumns : narrowColumns;
}

/** "mariadb-bin.000007:4567", or "000007:4567" when short. */
export function eventPosition(event: Pick<BinlogFeedEvent, 'file' | 'pos'>, short: boolean): string {
	const file = short ? event.file.slice(event.file.lastIndexOf('.') + 1) : event.file;
	return filePosition(file, event.pos);
}

/** "shop.orders", "shop" for a statement, empty for events about no table. */
export function eventObject(event: Pick<BinlogFeedEvent, 'schema' | 'table'>): string {
	if (event.schema === undefined) return event.table ?? '';
	return event.table === undefined ? event.schema : `${event.schema}.${event.table}`;
}

function feedColumns(widths: ColumnWidths): Array<FeedColumn<BinlogFeedEvent>> {
	return [
		{heading: 'Time', width: widths.time, dim: true, cell: (event) => formatClock(event.eventTime)},
		{heading: 'Position', width: widths.position, cell: (event) => eventPosition(event, widths.shortPosition)},
		{heading: 'Event', width: widths.type, cell: (event) => event.eventType},
		...(widths.gtid > 0 ? [{heading: 'GTID', width: widths.gtid, dim: true, cell: (event: BinlogFeedEvent) => event.gtid ?? ''}] : []),
		{heading: 'Table', cell: eventObject},
		{heading: 'Rows', width: widths.rows, right: true, cell: (event) => (event.rows === undefined ? '' : formatCount(event.rows))},
	];
}

interface BinlogEventListProps {
	/** the latest events, oldest first */
	events: BinlogFeedEvent[];
	/** how many the feed has brought in all */
	total: number;
	/** lines for events; the newest that fit are shown, newest at the bottom */
	rows: number;
}

/** The feed as a table that scrolls up: time, file:pos, event type, GTID, schema.table and rows. */
export function BinlogEventList({events, total, rows}: BinlogEventListProps) {
	const columns = feedColumns(eventColumns(useBodySize().columns));
	return <FeedList columns={columns} items={events} total={total} rows={rows} noun="event" waiting="waiting for events…" />;
}
