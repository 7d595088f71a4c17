import assert from 'node:assert/strict';
import {test} from 'node:test';
import type {TableInfo} from '../../../source/engines/mysql-logical/catalog.ts';
import {expectedRows} from '../../../source/engines/mysql-logical/dump.ts';

const table = (estimatedRows: number) => ({estimatedRows}) as TableInfo;

test("the whole dump's expected rows: counts of finished tables, estimates of the others, never below what was read", () => {
	const works = [
		{table: table(1000), remaining: 0, rows: 1200}, // finished: its count, though the estimate was lower
		{table: table(5000), remaining: 3, rows: 2000}, // running, under its estimate
		{table: table(100), remaining: 1, rows: 400}, // running, already past a stale estimate
		{table: table(0), remaining: 2, rows: 0}, // not started, estimated empty
	];
	assert.equal(expectedRows(works), 1200 + 5000 + 400 + 0);
});
