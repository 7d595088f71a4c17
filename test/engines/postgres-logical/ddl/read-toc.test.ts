import assert from 'node:assert/strict';
import {after, before, describe, test} from 'node:test';
import type pg from 'pg';
import {readDatabaseToc} from '../../../../source/engines/postgres-logical/ddl/read-toc.ts';
import type {DatabaseToc, DdlKind} from '../../../../source/engines/postgres-logical/ddl/types.ts';
import {dropPostgresDatabases, postgresSuperuserClient, uniqueName} from '../../../harness/db.ts';
import {createZoo, createZooRoles, dropZooRoles, fillZoo, type ZooRoles} from '../zoo.ts';
import {
	applyEntries,
	createDatabaseFromToc,
	dumpSchema,
	firstDifferences,
	readToc,
	seededRandom,
	shuffledTopologicalOrder,
} from './round-trip.ts';

describe('readDatabaseToc on the zoo', () => {
	let superuser: pg.Client;
	let roles: ZooRoles;
	const source = uniqueName('ddl_zoo');
	const created: string[] = [];
	let toc: DatabaseToc;

	async function restoreInto(t: DatabaseToc, options: {noOwner?: boolean; order?: (t: DatabaseToc) => DatabaseToc['entries']} = {}) {
		const target = uniqueName('ddl_copy');
		created.push(target);
		await createDatabaseFromToc(superuser, t, target, options);
		const client = await postgresSuperuserClient(target);
		try {
			await applyEntries(client, options.order ? options.order(t) : t.entries);
		} finally {
			await client.end();
		}
		return target;
	}

	before(async () => {
		superuser = await postgresSuperuserClient();
		roles = await createZooRoles(superuser);
		await superuser.query(`CREATE DATABASE ${source}`);
		created.push(source);
		const zoo = await postgresSuperuserClient(source);
		try {
			await createZoo(zoo, roles);
			await fillZoo(zoo);
		} finally {
			await zoo.end();
		}
		toc = await readToc(source);
	});

	after(async () => {
		await dropPostgresDatabases(created);
		await dropZooRoles(superuser, roles);
		await superuser.end();
	});

	test('applied in order to a new database, it gives the same pg_dump --create --schema-only', async () => {
		const target = await restoreInto(toc);
		const expected = (await dumpSchema(source, ['--create'])).replaceAll(source, target);
		const actual = await dumpSchema(target, ['--create']);
		assert.ok(expected.includes('CREATE MATERIALIZED VIEW'), 'the oracle dumped the zoo');
		assert.ok(actual === expected, firstDifferences(expected, actual));
		// pg_dump --schema-only leaves large objects out: compare their catalog rows
		const largeObjects = `SELECT m.oid, pg_get_userbyid(m.lomowner) AS owner, m.lomacl::text AS acl, obj_description(m.oid, 'pg_largeobject') AS comment
			FROM pg_largeobject_metadata m ORDER BY m.oid`;
		const [sourceClient, targetClient] = [await postgresSuperuserClient(source), await postgresSuperuserClient(target)];
		try {
			const expectedObjects = (await sourceClient.query(largeObjects)).rows;
			assert.equal(expectedObjects.length, 1);
			assert.deepEqual((await targetClient.query(largeObjects)).rows, expectedObjects);
		} finally {
			await Promise.all([sourceClient.end(), targetClient.end()]);
		}
		assert.equal(toc.unsupported, undefined, 'the zoo has nothing the toc leaves out');
	});

	test('post-data entries applied in random orders that respect dependsOn give the same schema', async () => {
		for (const seed of [1, 2]) {
			const random = seededRandom(seed);
			const target = await restoreInto(toc, {
				order: (t) => {
					const first = t.entries.filter((entry) => entry.section !== 'post-data');
					const post = t.entries.filter((entry) => entry.section === 'post-data');
					return [...first, ...shuffledTopologicalOrder(post, new Set(first.map((entry) => entry.id)), random)];
				},
			});
			const expected = await dumpSchema(source);
			const actual = await dumpSchema(target);
			assert.ok(actual === expected, `seed ${seed}: ${firstDifferences(expected, actual)}`);
		}
	});

	test('noOwner and noPrivileges leave out owner and acl entries; pg_dump --no-owner --no-privileges agrees', async () => {
		const bare = await readToc(source, {noOwner: true, noPrivileges: true});
		assert.deepEqual(
			bare.entries.filter((entry) => entry.kind === 'owner' || entry.kind === 'acl').map((entry) => entry.id),
			[],
		);
		assert.ok(toc.entries.some((entry) => entry.kind === 'owner') && toc.entries.some((entry) => entry.kind === 'acl'));
		assert.ok(!bare.database.postCreateSql.some((statement) => /^(GRANT|REVOKE)/.test(statement)));
		const target = await restoreInto(bare, {noOwner: true});
		const flags = ['--no-owner', '--no-privileges'];
		const expected = await dumpSchema(source, flags);
		const actual = await dumpSchema(target, flags);
		assert.ok(actual === expected, firstDifferences(expected, actual));
	});

	test('noOwner alone keeps the grants: pg_dump --no-owner agrees', async () => {
		const unowned = await readToc(source, {noOwner: true});
		assert.ok(unowned.entries.some((entry) => entry.kind === 'acl'));
		assert.ok(!unowned.entries.some((entry) => entry.kind === 'owner'));
		const target = await restoreInto(unowned, {noOwner: true});
		const expected = await dumpSchema(source, ['--no-owner']);
		const actual = await dumpSchema(target, ['--no-owner']);
		assert.ok(actual === expected, firstDifferences(expected, actual));
	});

	test('every object kind of the zoo is in the toc', () => {
		const kinds = new Set(toc.entries.map((entry) => entry.kind));
		const expected: DdlKind[] = [
			'schema', 'extension', 'collation', 'type', 'domain', 'function', 'procedure', 'aggregate', 'sequence',
			'sequence-owned-by', 'sequence-set', 'table', 'table-attach', 'default', 'view', 'materialized-view',
			'materialized-view-refresh', 'index', 'index-attach', 'constraint', 'foreign-key', 'trigger', 'rule', 'policy',
			'row-security', 'statistics', 'event-trigger', 'publication', 'publication-table', 'comment', 'acl', 'owner',
			'large-object',
		];
		assert.deepEqual(expected.filter((kind) => !kinds.has(kind)), []);
	});

	test('entries come in section order, each after what it depends on, with unique ids', () => {
		const seen = new Set<string>();
		const sections = ['pre-data', 'data', 'post-data'];
		let section = 0;
		for (const entry of toc.entries) {
			assert.ok(!seen.has(entry.id), `duplicate id ${entry.id}`);
			assert.ok(sections.indexOf(entry.section) >= section, `${entry.id} (${entry.section}) after a later section`);
			section = sections.indexOf(entry.section);
			for (const dependency of entry.dependsOn) assert.ok(seen.has(dependency), `${entry.id} comes before ${dependency}`);
			assert.match(entry.sql, /;\n$/, `${entry.id} ends with a statement`);
			seen.add(entry.id);
		}
	});

	test('post-data entries name what a parallel restore must wait for', () => {
		const byId = new Map(toc.entries.map((entry) => [entry.id, entry]));
		const foreignKey = byId.get('constraint:app.orders.orders_customer_fk');
		assert.ok(foreignKey, 'the orders foreign key');
		assert.ok(foreignKey.dependsOn.includes('constraint:app.customers.customers_pkey'), 'a foreign key waits for the referenced key');
		const partitionedKey = byId.get('constraint:app.event_tags.event_tags_event_fk')!;
		assert.ok(partitionedKey.dependsOn.includes('index-attach:app.events_2025_click_pkey'), 'a key referencing a partitioned table waits for every partition index');
		const trigger = byId.get('trigger:app.orders.orders_touch')!;
		assert.ok(trigger.dependsOn.includes('function:app.touch_updated()'));
		const refresh = byId.get('materialized-view-refresh:app.mood_summary')!;
		assert.ok(refresh.dependsOn.includes('materialized-view-refresh:app.mood_counts'), 'a matview refresh waits for the matviews it reads');
		assert.equal(byId.has('materialized-view-refresh:app.never_filled'), false, 'an unpopulated matview is not refreshed');
		const eventTrigger = byId.get('event-trigger:zoo_ddl_log')!;
		assert.ok(eventTrigger.dependsOn.includes('materialized-view-refresh:app.mood_counts'), 'event triggers come last');
		const view = byId.get('view:app.customer_orders')!;
		assert.equal(byId.get('constraint:app.customers.customers_pkey')!.section, 'pre-data', 'a view grouping by a key takes the key into pre-data');
		assert.ok(view.dependsOn.includes('constraint:app.customers.customers_pkey'));
	});

	test('sequence values are data-section setval entries read from the snapshot', () => {
		const setvals = new Map(toc.entries.filter((entry) => entry.kind === 'sequence-set').map((entry) => [entry.id, entry]));
		assert.equal(setvals.get('sequence-set:app.countdown')?.sql, `SELECT pg_catalog.setval('"app"."countdown"', -17, true);\n`);
		assert.equal(setvals.get('sequence-set:app.customers_id_seq')?.sql, `SELECT pg_catalog.setval('"app"."customers_id_seq"', 200, true);\n`);
		// the identity sequence of type_zoo: 63 rows from 10 by 5
		assert.equal(setvals.get('sequence-set:app.type_zoo_id_seq')?.sql, `SELECT pg_catalog.setval('"app"."type_zoo_id_seq"', 320, true);\n`);
		for (const entry of setvals.values()) assert.equal(entry.section, 'data');
	});

	test('tables to copy: partitions not their parents, no views, generated columns left out', () => {
		const names = new Map(toc.tables.map((table) => [`${table.schema}.${table.name}`, table]));
		for (const name of ['app.events_2024', 'app.events_2025_click', 'app.events_default', 'app.sessions_0', 'app.cars', 'we.ird Schema.Order Details']) {
			assert.ok(names.has(name), `${name} is copied`);
		}
		for (const name of ['app.events', 'app.events_2025', 'app.sessions', 'app.customer_orders', 'app.mood_counts']) {
			assert.ok(!names.has(name), `${name} is not copied`);
		}
		const typeZoo = names.get('app.type_zoo')!;
		assert.ok(typeZoo.columns.includes('"id"') && !typeZoo.columns.includes('"doubled"'));
		assert.deepEqual(names.get('we.ird Schema.Order Details')!.columns, ['"select"', '"order"', '"Quote""d"', '"café_ünïcode_表"', '" leading space"']);
		assert.equal(names.get('app.customers')!.entryId, 'table:app.customers');
		assert.ok(names.get('app.customers')!.pages >= 0);
	});

	test('the reader leaves the session as it found it', async () => {
		const client = await postgresSuperuserClient(source);
		try {
			await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY');
			await client.query(`SET LOCAL search_path = app, public`);
			await readDatabaseToc(client, {});
			const {rows} = await client.query<{search_path: string}>('SHOW search_path');
			assert.equal(rows[0].search_path, 'app, public');
			await client.query('COMMIT');
		} finally {
			await client.end();
		}
	});
});
