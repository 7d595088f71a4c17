import type {MysqlConnection} from '../../core/connect.ts';
import type {EventBus} from '../../core/events.ts';
import {readCatalog, resolveDatabases, type Catalog} from './catalog.ts';
import {holdTableDefinitions} from './ddl-lock.ts';
import {readUsers, usersScript} from './users.ts';

export interface DefinitionOptions {
	/** empty: every database except the system ones */
	databases: string[];
	includeUsers?: boolean;
	/** false: do not hold the dumped tables' metadata locks (DDL may then fail the dump; default true) */
	ddlLock?: boolean;
}

/** Everything a dump writes besides the rows, as it stood at the snapshot's coordinates. */
export interface PointDefinitions {
	databases: string[];
	catalog: Catalog;
	/** the accounts script, with includeUsers */
	users?: string;
}

/**
 * Reads the definitions on the snapshot's workers while nothing can commit (SHOW CREATE and
 * information_schema are not MVCC: read later, they could hold DDL committed after the coordinates,
 * which a point-in-time recovery would then replay a second time), then has every worker hold the
 * dumped tables' metadata locks so that their definitions stay so until their rows are read.
 * Only definitions are read here: the caller holds the global lock meanwhile.
 */
export async function readDefinitionsAtPoint(workers: MysqlConnection[], options: DefinitionOptions, bus: EventBus): Promise<PointDefinitions> {
	bus.stage('catalog', 'reading databases, tables and objects at the snapshot point');
	const databases = await resolveDatabases(workers[0], options.databases);
	// a connection runs one statement at a time and queues the next: the accounts are read alongside
	const [catalog, users] = await Promise.all([
		readCatalog(workers, databases, bus),
		options.includeUsers ? readUsers(workers[workers.length - 1], bus).then(usersScript) : undefined,
	]);
	if (options.ddlLock !== false) {
		const tables = catalog.databases.flatMap((database) => database.tables);
		await holdTableDefinitions(workers, tables.map((table) => ({database: table.database, name: table.name})));
	}
	return {databases, catalog, users};
}
