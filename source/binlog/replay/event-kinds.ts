import type {DecodedEvent} from '../event/decoded.ts';

/** LOG_EVENT_IGNORABLE_F: a reader that does not know the event may skip it. */
export const LOG_EVENT_IGNORABLE_F_MASK = 0x80;

const CONTROL_KINDS = new Set<DecodedEvent['kind']>([
	'format-description',
	'rotate',
	'mariadb-gtid-list',
	'previous-gtids',
	'mariadb-binlog-checkpoint',
	'stop',
	'heartbeat',
]);

/**
 * Event types this decoder leaves undecoded that carry nothing to apply: IGNORABLE (28), MySQL group
 * replication's TRANSACTION_CONTEXT (36) and VIEW_CHANGE (37), HEARTBEAT_V2 (41).
 */
const NOTHING_TO_APPLY = new Set([28, 36, 37, 41]);

/** Events around transactions, never inside one: nothing of them is applied. */
export function isControlEvent(event: DecodedEvent): boolean {
	return CONTROL_KINDS.has(event.kind) || (event.kind === 'other' && NOTHING_TO_APPLY.has(event.header.type));
}
