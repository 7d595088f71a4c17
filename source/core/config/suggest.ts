/** Edit distance where swapping two neighbouring letters counts as one edit (optimal string alignment). */
export function editDistance(a: string, b: string): number {
	const rows = a.length + 1;
	const cols = b.length + 1;
	const d: number[][] = Array.from({length: rows}, (_, i) => Array.from({length: cols}, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
	for (let i = 1; i < rows; i++) {
		for (let j = 1; j < cols; j++) {
			const cost = a[i - 1] === b[j - 1] ? 0 : 1;
			d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
			if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
		}
	}
	return d[a.length][b.length];
}

/** Spelling-insensitive form: `part-size`, `partSize` and `part_size` are the same name. */
function squash(name: string): string {
	return name.toLowerCase().replace(/[-_]/g, '');
}

export function sameName(a: string, b: string): boolean {
	return squash(a) === squash(b);
}

/** The candidate an unknown name was most likely meant to be, when it is close enough to look like a typo. */
export function closestName(name: string, candidates: readonly string[]): string | undefined {
	const squashed = squash(name);
	let best: {candidate: string; distance: number} | undefined;
	for (const candidate of candidates) {
		const distance = squash(candidate) === squashed ? 0 : editDistance(squashed, squash(candidate));
		if (!best || distance < best.distance) best = {candidate, distance};
	}
	if (!best) return undefined;
	const allowed = squashed.length <= 4 ? 1 : squashed.length <= 9 ? 2 : 3;
	return best.distance <= allowed ? best.candidate : undefined;
}
