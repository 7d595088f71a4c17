import {Box, Text} from 'ink';
import type {EventOf} from '../../core/events.ts';
import {formatClock, formatCount} from '../../core/format.ts';
import {useBodySize} from '../layout.ts';
import {filePosition} from './binlog-status-panel.tsx';

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

interface ColumnProps {
	/** absent: the column takes the room left */
	width?: number;
	children: string;
	dim?: boolean;
	bold?: boolean;
	right?: boolean;
}

function Column({width, children, dim = false, bold = false, right = false}: ColumnProps) {
	return (
		<Box width={width} flexGrow={width === undefined ? 1 : 0} flexShrink={width === undefined ? 1 : 0} paddingRight={1} justifyContent={right ? 'flex-end' : 'flex-start'}>
			<Text dimColor={dim} bold={bold} wrap="truncate">
				{children}
			</Text>
		</Box>
	);
}

function EventRow({event, columns}: {event: BinlogFeedEvent; columns: ColumnWidths}) {
	return (
		<Box>
			<Column width={columns.time} dim>
				{formatClock(event.eventTime)}
			</Column>
			<Column width={columns.position}>{eventPosition(event, columns.shortPosition)}</Column>
			<Column width={columns.type}>{event.eventType}</Column>
			{columns.gtid > 0 ? (
				<Column width={columns.gtid} dim>
					{event.gtid ?? ''}
				</Column>
			) : null}
			<Column>{eventObject(event)}</Column>
			<Column width={columns.rows} right>
				{event.rows === undefined ? '' : formatCount(event.rows)}
			</Column>
		</Box>
	);
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
	const columns = eventColumns(useBodySize().columns);
	const shown = events.slice(-rows);
	return (
		<Box flexDirection="column">
			<Box>
				<Column width={columns.time} bold>
					Time
				</Column>
				<Column width={columns.position} bold>
					Position
				</Column>
				<Column width={columns.type} bold>
					Event
				</Column>
				{columns.gtid > 0 ? (
					<Column width={columns.gtid} bold>
						GTID
					</Column>
				) : null}
				<Column bold>Table</Column>
				<Column width={columns.rows} bold right>
					Rows
				</Column>
			</Box>
			{shown.length === 0 ? <Text dimColor>waiting for events…</Text> : shown.map((event, index) => <EventRow key={index} event={event} columns={columns} />)}
			<Text dimColor wrap="truncate-end">{total > shown.length ? `${formatCount(total)} events seen, the last ${shown.length} shown` : `${formatCount(total)} events seen`}</Text>
		</Box>
	);
}
