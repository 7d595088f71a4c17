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

/** Events around transactions, never inside one: nothing of them is applied. */
export function isControlEvent(event: DecodedEvent): boolean {
	return CONTROL_KINDS.has(event.kind);
}
