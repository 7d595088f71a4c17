import type pg from 'pg';
import {qualifiedName, quoteLiteral} from '../identifiers.ts';
import {notInExtension, userSchema} from './catalog-filters.ts';
import {entryId, type TocBuilder} from './toc-builder.ts';
import type {DdlKind} from './types.ts';

interface RoutineRow {
	oid: number;
	nspname: string;
	proname: string;
	prokind: 'f' | 'p' | 'a' | 'w';
	identity_args: string;
	owner: string;
	definition: string | null;
	/** the type a range/multirange constructor belongs to (an internal dependency): created with it, not dumped */
	internal_type: number | null;
}

interface AggregateRow {
	aggfnoid: number;
	args: string;
	aggkind: 'n' | 'o' | 'h';
	transfn: string;
	finalfn: string | null;
	combinefn: string | null;
	serialfn: string | null;
	deserialfn: string | null;
	mtransfn: string | null;
	minvtransfn: string | null;
	mfinalfn: string | null;
	aggfinalextra: boolean;
	aggmfinalextra: boolean;
	aggfinalmodify: string;
	aggmfinalmodify: string;
	sortop: string | null;
	transtype: string;
	aggtransspace: number;
	mtranstype: string | null;
	aggmtransspace: number;
	agginitval: string | null;
	aggminitval: string | null;
	proparallel: string;
}

const FINAL_MODIFY: Record<string, string> = {r: 'READ_ONLY', s: 'SHAREABLE', w: 'READ_WRITE'};
const PARALLEL: Record<string, string> = {s: 'SAFE', r: 'RESTRICTED', u: 'UNSAFE'};

function aggregateOptions(row: AggregateRow): string[] {
	const options = [`SFUNC = ${row.transfn}`, `STYPE = ${row.transtype}`];
	if (row.aggtransspace !== 0) options.push(`SSPACE = ${row.aggtransspace}`);
	if (row.finalfn) options.push(`FINALFUNC = ${row.finalfn}`);
	if (row.aggfinalextra) options.push('FINALFUNC_EXTRA');
	options.push(`FINALFUNC_MODIFY = ${FINAL_MODIFY[row.aggfinalmodify]}`);
	if (row.combinefn) options.push(`COMBINEFUNC = ${row.combinefn}`);
	if (row.serialfn) options.push(`SERIALFUNC = ${row.serialfn}`);
	if (row.deserialfn) options.push(`DESERIALFUNC = ${row.deserialfn}`);
	if (row.agginitval !== null) options.push(`INITCOND = ${quoteLiteral(row.agginitval)}`);
	if (row.mtransfn) {
		options.push(`MSFUNC = ${row.mtransfn}`, `MINVFUNC = ${row.minvtransfn}`, `MSTYPE = ${row.mtranstype}`);
		if (row.aggmtransspace !== 0) options.push(`MSSPACE = ${row.aggmtransspace}`);
		if (row.mfinalfn) options.push(`MFINALFUNC = ${row.mfinalfn}`);
		if (row.aggmfinalextra) options.push('MFINALFUNC_EXTRA');
		options.push(`MFINALFUNC_MODIFY = ${FINAL_MODIFY[row.aggmfinalmodify]}`);
		if (row.aggminitval !== null) options.push(`MINITCOND = ${quoteLiteral(row.aggminitval)}`);
	}
	if (row.sortop) options.push(`SORTOP = ${row.sortop}`);
	options.push(`PARALLEL = ${PARALLEL[row.proparallel]}`);
	if (row.aggkind === 'h') options.push('HYPOTHETICAL');
	return options;
}

/** Functions, procedures and aggregates; function bodies as pg_get_functiondef writes them. */
export async function readRoutines(client: pg.Client, toc: TocBuilder): Promise<void> {
	const {rows} = await client.query<RoutineRow>(
		`SELECT p.oid, n.nspname, p.proname, p.prokind,
			pg_catalog.pg_get_function_identity_arguments(p.oid) AS identity_args,
			pg_catalog.pg_get_userbyid(p.proowner) AS owner,
			CASE WHEN p.prokind <> 'a' THEN pg_catalog.pg_get_functiondef(p.oid) END AS definition,
			(SELECT d.refobjid FROM pg_catalog.pg_depend d WHERE d.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass AND d.objid = p.oid
				AND d.refclassid = 'pg_catalog.pg_type'::pg_catalog.regclass AND d.deptype = 'i' LIMIT 1) AS internal_type
		FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
		WHERE ${userSchema('n')} AND ${notInExtension('pg_proc', 'p.oid')}
		ORDER BY n.nspname, p.proname, identity_args`,
	);
	const aggregates = await client.query<AggregateRow>(
		`SELECT a.aggfnoid::pg_catalog.oid AS aggfnoid, pg_catalog.pg_get_function_arguments(a.aggfnoid) AS args, a.aggkind,
			a.aggtransfn::pg_catalog.regproc::text AS transfn,
			CASE WHEN a.aggfinalfn <> 0 THEN a.aggfinalfn::pg_catalog.regproc::text END AS finalfn,
			CASE WHEN a.aggcombinefn <> 0 THEN a.aggcombinefn::pg_catalog.regproc::text END AS combinefn,
			CASE WHEN a.aggserialfn <> 0 THEN a.aggserialfn::pg_catalog.regproc::text END AS serialfn,
			CASE WHEN a.aggdeserialfn <> 0 THEN a.aggdeserialfn::pg_catalog.regproc::text END AS deserialfn,
			CASE WHEN a.aggmtransfn <> 0 THEN a.aggmtransfn::pg_catalog.regproc::text END AS mtransfn,
			CASE WHEN a.aggminvtransfn <> 0 THEN a.aggminvtransfn::pg_catalog.regproc::text END AS minvtransfn,
			CASE WHEN a.aggmfinalfn <> 0 THEN a.aggmfinalfn::pg_catalog.regproc::text END AS mfinalfn,
			a.aggfinalextra, a.aggmfinalextra, a.aggfinalmodify, a.aggmfinalmodify,
			CASE WHEN a.aggsortop <> 0 THEN 'OPERATOR(' || a.aggsortop::pg_catalog.regoper::text || ')' END AS sortop,
			pg_catalog.format_type(a.aggtranstype, NULL) AS transtype, a.aggtransspace,
			CASE WHEN a.aggmtranstype <> 0 THEN pg_catalog.format_type(a.aggmtranstype, NULL) END AS mtranstype, a.aggmtransspace,
			a.agginitval, a.aggminitval, p.proparallel
		FROM pg_catalog.pg_aggregate a JOIN pg_catalog.pg_proc p ON p.oid = a.aggfnoid
		WHERE a.aggfnoid = ANY($1::oid[])`,
		[rows.filter((row) => row.prokind === 'a').map((row) => row.oid)],
	);
	const aggregateByOid = new Map(aggregates.rows.map((row) => [row.aggfnoid, row]));

	for (const row of rows) {
		if (row.internal_type !== null) {
			const typeEntry = toc.entryAt('pg_type', row.internal_type);
			if (typeEntry) toc.locate('pg_proc', row.oid, typeEntry);
			continue;
		}
		const kind: DdlKind = row.prokind === 'p' ? 'procedure' : row.prokind === 'a' ? 'aggregate' : 'function';
		const keyword = row.prokind === 'p' ? 'PROCEDURE' : row.prokind === 'a' ? 'AGGREGATE' : 'FUNCTION';
		// an aggregate of no argument is written agg(*)
		const args = row.prokind === 'a' && row.identity_args === '' ? '*' : row.identity_args;
		const signature = `${qualifiedName(row.nspname, row.proname)}(${args})`;
		const id = `${entryId(kind, row.nspname, row.proname)}(${row.identity_args})`;
		let sql: string;
		if (row.prokind === 'a') {
			const aggregate = aggregateByOid.get(row.oid);
			if (!aggregate) throw new Error(`aggregate ${signature} has no pg_aggregate row`);
			const args = aggregate.args === '' ? '*' : aggregate.args;
			sql = `CREATE AGGREGATE ${qualifiedName(row.nspname, row.proname)}(${args}) (\n\t${aggregateOptions(aggregate).join(',\n\t')}\n);\n`;
		} else {
			// pg_get_functiondef writes CREATE OR REPLACE … without the final semicolon
			sql = `${(row.definition ?? '').trimEnd()};\n`;
		}
		toc.add({id, kind, section: 'pre-data', schema: row.nspname, name: row.proname, sql, owner: row.owner});
		toc.describe('pg_proc', row.oid, {
			id,
			entryId: id,
			section: 'pre-data',
			kind,
			schema: row.nspname,
			name: row.proname,
			sqlName: `${keyword} ${signature}`,
			grantName: `${row.prokind === 'p' ? 'PROCEDURE' : 'FUNCTION'} ${signature}`,
			owner: row.owner,
		});
	}
}
