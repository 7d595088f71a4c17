/**
 * For attack tests: a copy of one of our archives (written with --compress none) with members changed
 * and its manifest (and sidecar) resealed, so every checksum matches again — what an attacker who can
 * write the archive can make. Only the integrity checks that read content can then catch it.
 */
import {createHash} from 'node:crypto';
import {createReadStream, createWriteStream} from 'node:fs';
import {writeFile} from 'node:fs/promises';
import {pipeline} from 'node:stream/promises';
import tar from 'tar-stream';
import {MANIFEST_NAME, sidecarPathOf} from '../../source/storage/archive/member-path.ts';
import type {Manifest} from '../../source/storage/archive/manifest.ts';

/** `change` gets each member's bytes and returns new ones (or the same); the manifest is rewritten to match, then given to `editManifest`. */
export async function resealArchive(from: string, to: string, change: (member: string, data: Buffer) => Buffer, editManifest?: (manifest: Manifest) => void): Promise<Manifest> {
	const entries: Array<{name: string; data: Buffer}> = [];
	const extract = tar.extract();
	const reading = (async () => {
		for await (const entry of extract) {
			const parts: Buffer[] = [];
			for await (const part of entry) parts.push(part as Buffer);
			entries.push({name: entry.header.name, data: Buffer.concat(parts)});
		}
	})();
	await pipeline(createReadStream(from), extract);
	await reading;
	const manifestEntry = entries.find((entry) => entry.name === MANIFEST_NAME);
	if (!manifestEntry) throw new Error(`${from} has no ${MANIFEST_NAME}`);
	const manifest = JSON.parse(manifestEntry.data.toString('utf8')) as Manifest;
	const pack = tar.pack();
	const written = pipeline(pack, createWriteStream(to));
	for (const entry of entries) {
		if (entry.name === MANIFEST_NAME) continue;
		const member = manifest.members.find((candidate) => candidate.path === entry.name);
		if (member && member.compression !== 'none') throw new Error(`${entry.name} is compressed: write the archive with --compress none`);
		const data = member ? change(entry.name, entry.data) : entry.data;
		if (member) Object.assign(member, {bytes: data.length, rawBytes: data.length, sha256: createHash('sha256').update(data).digest('hex')});
		await new Promise<void>((resolve, reject) => pack.entry({name: entry.name, size: data.length}, data, (error) => (error ? reject(error) : resolve())));
	}
	editManifest?.(manifest);
	const text = `${JSON.stringify(manifest, null, '\t')}\n`;
	await new Promise<void>((resolve, reject) => pack.entry({name: MANIFEST_NAME}, text, (error) => (error ? reject(error) : resolve())));
	pack.finalize();
	await written;
	await writeFile(sidecarPathOf(to), text);
	return manifest;
}
