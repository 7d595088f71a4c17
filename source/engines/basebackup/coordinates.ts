/** Where a base backup is consistent, as its manifest records it (`coordinates`). */
export interface BaseBackupCoordinates {
	/** the backup's label (in backup_label) */
	label: string;
	/** the checkpoint's redo position: WAL replay starts here */
	startLsn: string;
	/** the end of the backup: a restored cluster is consistent once replay reaches it */
	endLsn: string;
	timeline: number;
	/** when the timeline changed during the backup (a promotion) */
	endTimeline?: number;
	/** the cluster's system identifier (IDENTIFY_SYSTEM) */
	systemId?: string;
	/** the bootstrap superuser (OID 10), when the backup role could read it: the role a check of the restored cluster connects as */
	superuser?: string;
}

/** `LSN 0/2000028 to 0/2000100, timeline 1`: the coordinates in one line. */
export function describeBaseBackupCoordinates(coordinates: Record<string, unknown> | BaseBackupCoordinates): string {
	const {startLsn, endLsn, timeline, endTimeline} = coordinates as Partial<BaseBackupCoordinates>;
	if (typeof startLsn !== 'string' || typeof endLsn !== 'string') return 'no coordinates recorded';
	const line = typeof endTimeline === 'number' && endTimeline !== timeline ? `timelines ${timeline} to ${endTimeline}` : `timeline ${timeline}`;
	return `LSN ${startLsn} to ${endLsn}, ${line}`;
}
