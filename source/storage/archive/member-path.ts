/** The name of the manifest member; always the last member of an archive and never a data member. */
export const MANIFEST_NAME = 'manifest.json';

/** `<archive>.partial`: the file being written; renamed to the archive only once it is complete. */
export function partialPathOf(archivePath: string): string {
	return `${archivePath}.partial`;
}

/** `<archive>.meta.json`: the sidecar that repeats the manifest for catalogs. */
export function sidecarPathOf(archivePath: string): string {
	return `${archivePath}.meta.json`;
}

/**
 * Why `name` cannot be the path of a member, or undefined when it can: a relative POSIX path whose
 * segments are not empty, `.` or `..`, without backslashes or control characters, not the manifest.
 */
export function memberPathProblem(name: unknown): string | undefined {
	if (typeof name !== 'string' || name.length === 0) return 'must be a non-empty string';
	if (Buffer.byteLength(name) > 4096) return 'is longer than 4096 bytes';
	if (name.startsWith('/')) return 'must be a relative path (it starts with "/")';
	if (name.includes('\\')) return 'must use "/" between segments, not "\\"';
	if (/[\u0000-\u001f\u007f]/.test(name)) return 'contains a control character';
	if (name.split('/').some((segment) => segment === '' || segment === '.' || segment === '..')) {
		return 'has an empty, "." or ".." segment';
	}
	if (name === MANIFEST_NAME) return 'is reserved for the manifest';
	return undefined;
}

/**
 * A database or table name as one path segment: letters, digits, `_` and `-` stay; every other character
 * becomes %XX of its UTF-8 bytes, so any name (slashes, dots, spaces, quotes) is a safe, reversible segment.
 */
export function memberSegment(name: string): string {
	let segment = '';
	for (const character of name) {
		if (/^[\p{L}\p{N}_-]$/u.test(character)) segment += character;
		else for (const byte of Buffer.from(character, 'utf8')) segment += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
	}
	return segment || '%';
}
