import assert from 'node:assert/strict';
import {describe, test} from 'node:test';
import {WorkError} from '../../../../source/core/errors.ts';
import {orderEntries} from '../../../../source/engines/postgres-logical/ddl/order.ts';
import type {DdlEntry, DdlKind, DdlSection} from '../../../../source/engines/postgres-logical/ddl/types.ts';

function entry(id: string, kind: DdlKind, section: DdlSection, dependsOn: string[] = []): DdlEntry {
	return {id, kind, section, name: id, sql: `-- ${id}\n`, dependsOn};
}

function toc(...entries: DdlEntry[]): Map<string, DdlEntry> {
	return new Map(entries.map((candidate) => [candidate.id, candidate]));
}

describe('orderEntries', () => {
	test('sections in order, dependencies first, then pg_dump kind order, then the order read', () => {
		const ordered = orderEntries(
			toc(
				entry('index:i', 'index', 'post-data', ['table:t']),
				entry('sequence-set:s', 'sequence-set', 'data', ['sequence:s']),
				entry('table:t', 'table', 'pre-data', ['function:f', 'schema:s']),
				entry('function:f', 'function', 'pre-data', ['table:u']),
				entry('table:u', 'table', 'pre-data'),
				entry('sequence:s', 'sequence', 'pre-data'),
				entry('schema:s', 'schema', 'pre-data'),
			),
		);
		assert.deepEqual(
			ordered.map((candidate) => candidate.id),
			['schema:s', 'sequence:s', 'table:u', 'function:f', 'table:t', 'sequence-set:s', 'index:i'],
		);
	});

	test('drops dependencies on ids that are not in the toc', () => {
		const [only] = orderEntries(toc(entry('table:t', 'table', 'pre-data', ['owner:table:t', 'table:t'])));
		assert.deepEqual(only.dependsOn, []);
	});

	test('a pre-data entry that needs a post-data one takes it into pre-data', () => {
		const ordered = orderEntries(
			toc(
				entry('table:t', 'table', 'pre-data'),
				entry('constraint:t.pk', 'constraint', 'post-data', ['table:t']),
				entry('view:v', 'view', 'pre-data', ['constraint:t.pk']),
			),
		);
		assert.deepEqual(
			ordered.map((candidate) => `${candidate.id} ${candidate.section}`),
			['table:t pre-data', 'constraint:t.pk pre-data', 'view:v pre-data'],
		);
	});

	test('refreshes wait for grants, policies and upstream refreshes; event triggers wait for everything', () => {
		const ordered = orderEntries(
			toc(
				entry('table:t', 'table', 'pre-data'),
				entry('materialized-view:a', 'materialized-view', 'pre-data', ['table:t']),
				entry('view:v', 'view', 'pre-data', ['materialized-view:a']),
				entry('materialized-view:b', 'materialized-view', 'pre-data', ['view:v']),
				entry('materialized-view-refresh:b', 'materialized-view-refresh', 'post-data', ['materialized-view:b']),
				entry('materialized-view-refresh:a', 'materialized-view-refresh', 'post-data', ['materialized-view:a']),
				entry('acl:table:t', 'acl', 'post-data', ['table:t']),
				entry('policy:t.p', 'policy', 'post-data', ['table:t']),
				entry('event-trigger:e', 'event-trigger', 'post-data'),
				entry('comment:event-trigger:e', 'comment', 'post-data', ['event-trigger:e']),
			),
		);
		const byId = new Map(ordered.map((candidate) => [candidate.id, candidate]));
		assert.deepEqual(byId.get('materialized-view-refresh:b')!.dependsOn.sort(), [
			'acl:table:t',
			'materialized-view-refresh:a',
			'materialized-view:b',
			'policy:t.p',
		]);
		const eventTrigger = byId.get('event-trigger:e')!;
		assert.ok(eventTrigger.dependsOn.includes('materialized-view-refresh:b'));
		assert.ok(!eventTrigger.dependsOn.includes('comment:event-trigger:e'), 'what depends on the event trigger stays after it');
		assert.deepEqual(ordered.slice(-2).map((candidate) => candidate.id), ['event-trigger:e', 'comment:event-trigger:e']);
	});

	test('a dependency cycle is an error that names the objects', () => {
		assert.throws(
			() => orderEntries(toc(entry('table:a', 'table', 'pre-data', ['function:f']), entry('function:f', 'function', 'pre-data', ['table:a']))),
			(error: unknown) =>
				error instanceof WorkError && error.code === 'PG_DDL_DEPENDENCY_CYCLE' && /table:a/.test(error.message) && /function:f/.test(error.message),
		);
	});
});
