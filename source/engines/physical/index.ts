/**
 * What services use of the physical layer the engines share: the MySQL-family data directory's facts
 * for --verify-start, and whom a restored directory (and its server) belongs to.
 */
export {binlogBasename, isMariadbManifest} from './mysql-datadir.ts';
export type {Coordinates as MysqlCoordinates} from '../mysql-logical/consistency.ts';
export {POSTGRES_ACCOUNT, resolveOwner} from './owner.ts';
