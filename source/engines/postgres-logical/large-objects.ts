import type pg from 'pg';

/** Bytes read per lo_get call: large objects stream through, whatever their size. */
const PIECE = 4 * 1024 * 1024;

/** The large objects' oids, in order (their definitions are toc entries; their bytes go with the data). */
export async function listLargeObjects(client: pg.Client): Promise<number[]> {
	const {rows} = await client.query<{oid: string}>('SELECT oid::text AS oid FROM pg_catalog.pg_largeobject_metadata ORDER BY oid');
	return rows.map((row) => Number(row.oid));
}

/** The object's bytes as the client's snapshot sees them, piece by piece. */
export async function* readLargeObject(client: pg.Client, oid: number): AsyncGenerator<Buffer> {
	for (let offset = 0; ; offset += PIECE) {
		const {rows} = await client.query<{piece: Buffer}>('SELECT pg_catalog.lo_get($1::oid, $2::bigint, $3::integer) AS piece', [oid, offset, PIECE]);
		const piece = rows[0].piece;
		if (piece.length > 0) yield piece;
		if (piece.length < PIECE) return;
	}
}

/** Writes one large object's bytes (created already by its pre-data entry), piece by piece. */
export async function writeLargeObject(client: pg.Client, oid: number, content: AsyncIterable<Buffer>): Promise<number> {
	let offset = 0;
	for await (const block of content) {
		for (let start = 0; start < block.length; start += PIECE) {
			const piece = block.subarray(start, start + PIECE);
			await client.query('SELECT pg_catalog.lo_put($1::oid, $2::bigint, $3::bytea)', [oid, offset, piece]);
			offset += piece.length;
		}
	}
	return offset;
}
