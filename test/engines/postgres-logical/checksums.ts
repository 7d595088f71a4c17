/** Row-level comparison of PostgreSQL databases for round-trip tests (contentChecksums lives with the engine: the demo uses it too). */

import {contentChecksums} from '../../../source/engines/postgres-logical/fingerprint.ts';
import {postgresSuperuserClient} from '../../harness/db.ts';

/** contentChecksums of a database of the test server, read as the superuser. */
export async function databaseChecksums(database: string): Promise<Record<string, string>> {
	const client = await postgresSuperuserClient(database);
	try {
		return await contentChecksums(client);
	} finally {
		await client.end();
	}
}

export {contentChecksums};
