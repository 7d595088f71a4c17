import {LEASE_RENEW_SECONDS, LEASE_STALE_SECONDS, leaseStore, processExists, readLeaseOf, type Lease, type LeaseKind, type LeaseOptions} from '../../storage/target/lease.ts';
import type {ArtifactTarget} from '../../storage/target/types.ts';

export const LEASE_NAME = 'binlog-stream.lease.json';

export {LEASE_RENEW_SECONDS, LEASE_STALE_SECONDS, processExists, type Lease, type LeaseOptions};

/** One binlog streamer per object-store prefix: the lease object binlog-stream.lease.json (storage/target/lease.ts). */
export const BINLOG_LEASE: LeaseKind = {name: LEASE_NAME, holder: 'binlog-stream', code: 'BINLOG_OUTPUT_LOCKED'};

export function leaseOutput(target: ArtifactTarget, options: LeaseOptions = {}): Promise<() => Promise<void>> {
	return leaseStore(target, BINLOG_LEASE, options);
}

/** The binlog streamer's lease in `target`, undefined when there is none or it cannot be read (no claim). */
export function readLease(target: ArtifactTarget): Promise<Lease | undefined> {
	return readLeaseOf(target, LEASE_NAME);
}
