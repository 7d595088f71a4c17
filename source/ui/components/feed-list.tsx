import {Box, Text} from 'ink';
import {formatCount} from '../../core/format.ts';

/** One column of a feed: its heading, its width (absent: the room left) and what a row shows in it. */
export interface FeedColumn<T> {
	heading: string;
	width?: number;
	dim?: boolean;
	right?: boolean;
	cell: (item: T) => string;
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

interface FeedListProps<T> {
	columns: Array<FeedColumn<T>>;
	/** the latest items, oldest first */
	items: T[];
	/** how many the feed has brought in all */
	total: number;
	/** lines for items; the newest that fit are shown, newest at the bottom */
	rows: number;
	/** "event": "12 events seen" */
	noun: string;
	/** shown while nothing has come yet */
	waiting: string;
}

/** Rows a feed takes besides its items: the heading and the count under them. */
export const FEED_FRAME_ROWS = 2;

/** A feed as a table that scrolls up, newest at the bottom, with a count of all it has seen. */
export function FeedList<T>({columns, items, total, rows, noun, waiting}: FeedListProps<T>) {
	const shown = items.slice(-rows);
	const seen = `${formatCount(total)} ${noun}${total === 1 ? '' : 's'} seen`;
	return (
		<Box flexDirection="column">
			<Box>
				{columns.map((column) => (
					<Column key={column.heading} width={column.width} right={column.right} bold>
						{column.heading}
					</Column>
				))}
			</Box>
			{shown.length === 0 ? (
				<Text dimColor>{waiting}</Text>
			) : (
				shown.map((item, index) => (
					<Box key={index}>
						{columns.map((column) => (
							<Column key={column.heading} width={column.width} dim={column.dim} right={column.right}>
								{column.cell(item)}
							</Column>
						))}
					</Box>
				))
			)}
			<Text dimColor wrap="truncate-end">{total > shown.length ? `${seen}, the last ${shown.length} shown` : seen}</Text>
		</Box>
	);
}
