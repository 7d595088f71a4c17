import assert from 'node:assert/strict';
import {describe, test} from 'node:test';
import type {DataTable, DdlEntry} from '../../../source/engines/postgres-logical/ddl/types.ts';
import {postDataWithTheirTables} from '../../../source/engines/postgres-logical/restore-schedule.ts';

function table(name: string, noStorage = false): DataTable {
	return {schema: 'public', name, columns: ['id'], entryId: `table:public.${name}`, pages: 10, estimatedRows: 100, ...(noStorage ? {noStorage} : {})};
}

function entry(id: string, kind: DdlEntry['kind'], on: string, sql: string, dependsOn: string[]): DdlEntry {
	return {id, kind, section: 'post-data', schema: 'public', name: id, table: {schema: 'public', name: on}, sql, dependsOn};
}

const orders = table('orders');
const customers = table('customers');
const parent = table('events', true);
const tables = [orders, customers, parent];
const chunksOf = new Map([
	['public.orders', ['data/orders.1', 'data/orders.2']],
	['public.customers', ['data/customers.1']],
]);

const entries: DdlEntry[] = [
	entry('index:orders_total', 'index', 'orders', 'CREATE INDEX orders_total ON public.orders USING btree (total);\n', ['table:public.orders']),
	entry('constraint:customers_pkey', 'constraint', 'customers', 'ALTER TABLE ONLY public.customers ADD CONSTRAINT customers_pkey PRIMARY KEY (id);\n', ['table:public.customers']),
	entry('constraint:orders_customer_fkey', 'foreign-key', 'orders', 'ALTER TABLE ONLY public.orders ADD CONSTRAINT orders_customer_fkey FOREIGN KEY (customer) REFERENCES public.customers(id);\n', [
		'table:public.orders',
		'constraint:customers_pkey',
		'table:public.customers',
	]),
	// reaches the table's children, whose rows may still be loading
	entry('constraint:orders_check', 'constraint', 'orders', 'ALTER TABLE public.orders ADD CONSTRAINT orders_check CHECK (total > 0) NOT VALID;\n', ['table:public.orders']),
	entry('index:orders_after_check', 'index', 'orders', 'CREATE INDEX orders_after_check ON public.orders USING btree (id);\n', ['table:public.orders', 'constraint:orders_check']),
	entry('index:events_at', 'index', 'events', 'CREATE INDEX events_at ON ONLY public.events USING btree (at);\n', ['table:public.events']),
	entry('constraint:orders_event_fkey', 'foreign-key', 'orders', 'ALTER TABLE ONLY public.orders ADD CONSTRAINT orders_event_fkey FOREIGN KEY (event) REFERENCES public.events(id);\n', ['table:public.orders', 'table:public.events']),
	entry('trigger:orders_audit', 'trigger', 'orders', 'CREATE TRIGGER orders_audit AFTER INSERT ON public.orders FOR EACH ROW EXECUTE FUNCTION public.audit();\n', ['table:public.orders']),
	entry('index:gone_name', 'index', 'gone', 'CREATE INDEX gone_name ON public.gone USING btree (name);\n', ['table:public.gone']),
];

describe('postDataWithTheirTables', () => {
	const early = postDataWithTheirTables(entries, tables, chunksOf);
	const byId = new Map(early.map((item) => [item.id, item]));

	test('indexes and ONLY constraints on loaded tables run early, after the chunks of every table they name', () => {
		assert.deepEqual(
			early.map((item) => item.id),
			['index:orders_total', 'constraint:customers_pkey', 'constraint:orders_customer_fkey'],
		);
		assert.deepEqual(byId.get('index:orders_total')!.dependsOn, ['table:public.orders', 'data/orders.1', 'data/orders.2']);
		assert.deepEqual(byId.get('constraint:customers_pkey')!.dependsOn, ['table:public.customers', 'data/customers.1']);
		assert.deepEqual(new Set(byId.get('constraint:orders_customer_fkey')!.dependsOn), new Set(['table:public.orders', 'constraint:customers_pkey', 'table:public.customers', 'data/orders.1', 'data/orders.2', 'data/customers.1']));
		for (const item of early) assert.equal(item.entry.id, item.id);
	});

	test('what reaches other tables, a partitioned parent, a table not loaded, other kinds, and what waits for those, is left for later', () => {
		for (const id of ['constraint:orders_check', 'index:orders_after_check', 'index:events_at', 'constraint:orders_event_fkey', 'trigger:orders_audit', 'index:gone_name']) {
			assert.equal(byId.has(id), false, id);
		}
	});

	test('with no tables loaded (--schema-only) nothing runs early', () => {
		assert.deepEqual(postDataWithTheirTables(entries, [], new Map()), []);
	});
});
