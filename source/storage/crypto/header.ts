import {createHmac, hkdfSync, randomBytes, scrypt, timingSafeEqual} from 'node:crypto';
import {damaged, notOurs, unsupportedVersion, wrongKey} from './errors.ts';
import type {EncryptionKeySource} from './key.ts';

/*
 * The fixed 96-byte header of format DBBKENC version 1 (readme, "Encryption"):
 *
 *   0  8  magic "DBBKENC\0"
 *   8  1  version (1)
 *   9  1  KDF: 0 raw key, 1 scrypt passphrase
 *  10  1  scrypt log2 N    (0 for a raw key)
 *  11  1  scrypt r         (0 for a raw key)
 *  12  1  scrypt p         (0 for a raw key)
 *  13  1  log2 of the plaintext segment size
 *  14  2  reserved, zero
 *  16 16  scrypt salt      (zero for a raw key)
 *  32 32  file salt (random)
 *  64 32  HMAC-SHA256(HKDF-SHA256(master, file salt, "dbbackup header", 32), bytes 0-63)
 */

export const MAGIC = Buffer.from('DBBKENC\0', 'latin1');
export const FORMAT_VERSION = 1;
export const HEADER_BYTES = 96;
const MACED_BYTES = 64;

export const DEFAULT_SEGMENT_LOG2 = 16;
const SEGMENT_LOG2_RANGE = [10, 24] as const;

/** logN 17 (128 MiB) took 0.37-0.42 s on the reference machine (2-core EPYC), where 18 took 0.75 s. */
export const DEFAULT_SCRYPT = {logN: 17, r: 8, p: 1} as const;
const SCRYPT_LOGN_RANGE = [10, 22] as const;
const SCRYPT_MAX_R = 32;
const SCRYPT_MAX_P = 16;
/**
 * scrypt takes 128·N·r bytes of memory and time in proportion to N·r·p: a header may not ask for more
 * than 128·N·r·p = 1 GiB (logN 20, r 8, p 1: about 3 s here), or a hostile one would stall a restore.
 */
const SCRYPT_MAX_WORK = 1024 * 1024 * 1024;

const KDF_RAW = 0;
const KDF_SCRYPT = 1;

export interface ScryptParams {
	logN: number;
	r: number;
	p: number;
}

export interface EncryptionHeader {
	version: number;
	kdf: 'key' | 'scrypt';
	/** with kdf 'scrypt' */
	scrypt?: ScryptParams & {salt: Buffer};
	segmentLog2: number;
	/** plaintext bytes of every segment but the last */
	segmentBytes: number;
	fileSalt: Buffer;
	mac: Buffer;
	/** the header as stored, HEADER_BYTES long */
	bytes: Buffer;
}

/** What the segments of one artifact are sealed and opened with. */
export interface SegmentKeys {
	payloadKey: Buffer;
	/** the header's MAC: the associated data of every segment, so a segment belongs to its header */
	aad: Buffer;
	segmentBytes: number;
}

export interface EncryptOptions {
	/** log2 of the plaintext segment size (default 16: 64 KiB) */
	segmentLog2?: number;
	/** scrypt's log2 N for a passphrase (default 17) */
	scryptLogN?: number;
}

/** True when `firstBytes` (an artifact's first bytes, at least 8 of them) start with the DBBKENC magic. */
export function isEncryptedArtifact(firstBytes: Uint8Array): boolean {
	return firstBytes.length >= MAGIC.length && MAGIC.equals(firstBytes.subarray(0, MAGIC.length));
}

function inRange(value: number, [low, high]: readonly [number, number]): boolean {
	return Number.isInteger(value) && value >= low && value <= high;
}

function scryptProblem({logN, r, p}: ScryptParams): string | undefined {
	if (!inRange(logN, SCRYPT_LOGN_RANGE) || !inRange(r, [1, SCRYPT_MAX_R]) || !inRange(p, [1, SCRYPT_MAX_P]) || 128 * 2 ** logN * r * p > SCRYPT_MAX_WORK) {
		return `asks for scrypt parameters this version does not accept (log2 N ${logN}, r ${r}, p ${p})`;
	}
	return undefined;
}

/** Parses the first HEADER_BYTES of an artifact (fewer when it is shorter), checking everything but the MAC. */
export function parseHeader(bytes: Uint8Array, artifact: string): EncryptionHeader {
	if (!isEncryptedArtifact(bytes)) throw notOurs(artifact);
	if (bytes.length <= 8) throw damaged(artifact, `it ends inside its header (${bytes.length} of ${HEADER_BYTES} bytes)`);
	if (bytes[8] !== FORMAT_VERSION) throw unsupportedVersion(artifact, `is in encryption format version ${bytes[8]}; this version of dbbackup reads version ${FORMAT_VERSION}`);
	if (bytes.length < HEADER_BYTES) throw damaged(artifact, `it ends inside its header (${bytes.length} of ${HEADER_BYTES} bytes)`);
	const stored = Buffer.from(bytes.subarray(0, HEADER_BYTES));
	const kdfId = stored[9]!;
	if (kdfId !== KDF_RAW && kdfId !== KDF_SCRYPT) throw unsupportedVersion(artifact, `uses key derivation ${kdfId}, which this version of dbbackup does not know`);
	const segmentLog2 = stored[13]!;
	if (!inRange(segmentLog2, SEGMENT_LOG2_RANGE)) throw unsupportedVersion(artifact, `has segments of 2^${segmentLog2} bytes, which this version of dbbackup does not read`);
	if (stored[14] !== 0 || stored[15] !== 0) throw damaged(artifact, 'its header has reserved bytes set');
	const params = {logN: stored[10]!, r: stored[11]!, p: stored[12]!};
	const salt = stored.subarray(16, 32);
	let scryptFields: EncryptionHeader['scrypt'];
	if (kdfId === KDF_SCRYPT) {
		const problem = scryptProblem(params);
		if (problem) throw unsupportedVersion(artifact, problem);
		scryptFields = {...params, salt};
	} else if (params.logN !== 0 || params.r !== 0 || params.p !== 0 || salt.some((byte) => byte !== 0)) {
		throw damaged(artifact, 'its header has scrypt settings for a raw key');
	}
	return {
		version: FORMAT_VERSION,
		kdf: kdfId === KDF_SCRYPT ? 'scrypt' : 'key',
		scrypt: scryptFields,
		segmentLog2,
		segmentBytes: 2 ** segmentLog2,
		fileSalt: stored.subarray(32, 64),
		mac: stored.subarray(64, HEADER_BYTES),
		bytes: stored,
	};
}

function runScrypt(passphrase: string, salt: Buffer, {logN, r, p}: ScryptParams): Promise<Buffer> {
	const N = 2 ** logN;
	return new Promise((resolve, reject) => {
		// NFC, so that a passphrase typed on systems that compose accents differently gives the same key
		scrypt(Buffer.from(passphrase.normalize('NFC'), 'utf8'), salt, 32, {N, r, p, maxmem: 2 * 128 * N * r + 1024 * 1024}, (error, key) => (error ? reject(error) : resolve(key)));
	});
}

/*
 * scrypt runs once per (passphrase, salt, parameters) in a process: restores open many ranges of one
 * artifact, and a run writes several artifacts. Keyed by the source object, so the cache goes with it.
 */
const masters = new WeakMap<object, Map<string, Promise<Buffer>>>();
/** the scrypt salt a source encrypts with in this process, per parameters: a fresh file salt per artifact still gives each its own keys */
const writingSalts = new WeakMap<object, Map<string, Buffer>>();

function paramsKey({logN, r, p}: ScryptParams): string {
	return `${logN}/${r}/${p}`;
}

function scryptMaster(source: EncryptionKeySource & {kind: 'passphrase'}, salt: Buffer, params: ScryptParams): Promise<Buffer> {
	let cache = masters.get(source);
	if (!cache) masters.set(source, (cache = new Map()));
	const key = `${paramsKey(params)}/${salt.toString('hex')}`;
	let master = cache.get(key);
	if (!master) {
		master = runScrypt(source.passphrase, salt, params);
		cache.set(key, master);
		master.catch(() => cache.delete(key));
	}
	return master;
}

function hkdf(master: Buffer, fileSalt: Buffer, info: string): Buffer {
	return Buffer.from(hkdfSync('sha256', master, fileSalt, info, 32));
}

function headerMac(master: Buffer, fileSalt: Buffer, maced: Buffer): Buffer {
	return createHmac('sha256', hkdf(master, fileSalt, 'dbbackup header')).update(maced).digest();
}

function keysFor(master: Buffer, header: Pick<EncryptionHeader, 'fileSalt' | 'mac' | 'segmentBytes'>): SegmentKeys {
	return {payloadKey: hkdf(master, header.fileSalt, 'dbbackup payload'), aad: header.mac, segmentBytes: header.segmentBytes};
}

/*
 * A bound artifact (a segment of an appendable artifact, encrypted-appendable.ts) has a file salt of
 * 16 random bytes and 16 bytes of HMAC over what it is bound to (its artifact's name and its offset
 * there), under a key derived from the master and those random bytes. The header MAC covers the file
 * salt, so only the key's holder can make a header bound to something, and a reader with the key can
 * tell whether a segment is the one it was written as. To any other reader it is an ordinary header.
 */
const BINDING_RANDOM_BYTES = 16;

function bindingTag(master: Buffer, random: Buffer, binding: Uint8Array): Buffer {
	return createHmac('sha256', hkdf(master, random, 'dbbackup binding'))
		.update(binding)
		.digest()
		.subarray(0, 32 - BINDING_RANDOM_BYTES);
}

/**
 * A new header for one artifact, with its keys. With `binding`, the header is bound to those bytes
 * (see isBoundTo).
 */
export async function createHeader(source: EncryptionKeySource, options: EncryptOptions = {}, binding?: Uint8Array): Promise<{header: EncryptionHeader; keys: SegmentKeys}> {
	const segmentLog2 = options.segmentLog2 ?? DEFAULT_SEGMENT_LOG2;
	if (!inRange(segmentLog2, SEGMENT_LOG2_RANGE)) throw new RangeError(`segment size 2^${segmentLog2}: use 2^${SEGMENT_LOG2_RANGE[0]} to 2^${SEGMENT_LOG2_RANGE[1]}`);
	const bytes = Buffer.alloc(HEADER_BYTES);
	MAGIC.copy(bytes, 0);
	bytes[8] = FORMAT_VERSION;
	bytes[13] = segmentLog2;
	let master: Buffer;
	if (source.kind === 'passphrase') {
		const params = {...DEFAULT_SCRYPT, logN: options.scryptLogN ?? DEFAULT_SCRYPT.logN};
		const problem = scryptProblem(params);
		if (problem) throw new RangeError(`scrypt ${problem.replace('asks for ', '')}`);
		let salts = writingSalts.get(source);
		if (!salts) writingSalts.set(source, (salts = new Map()));
		let salt = salts.get(paramsKey(params));
		if (!salt) salts.set(paramsKey(params), (salt = randomBytes(16)));
		bytes[9] = KDF_SCRYPT;
		bytes[10] = params.logN;
		bytes[11] = params.r;
		bytes[12] = params.p;
		salt.copy(bytes, 16);
		master = await scryptMaster(source, salt, params);
	} else {
		bytes[9] = KDF_RAW;
		master = source.key;
	}
	let fileSalt = randomBytes(32);
	if (binding) {
		const random = fileSalt.subarray(0, BINDING_RANDOM_BYTES);
		fileSalt = Buffer.concat([random, bindingTag(master, random, binding)]);
	}
	fileSalt.copy(bytes, 32);
	headerMac(master, fileSalt, bytes.subarray(0, MACED_BYTES)).copy(bytes, MACED_BYTES);
	const header = parseHeader(bytes, 'a new header');
	return {header, keys: keysFor(master, header)};
}

/**
 * The keys of an artifact with `header`, once its MAC proves `source` is the key it was written with
 * (IntegrityError ENCRYPTION_WRONG_KEY otherwise: another key, or a header changed since).
 */
export async function deriveKeys(source: EncryptionKeySource, header: EncryptionHeader, artifact: string): Promise<SegmentKeys> {
	return keysFor(await verifiedMaster(source, header, artifact), header);
}

/**
 * Whether the artifact of `header` was created bound to `binding` (createHeader), once its MAC proves
 * `source` is its key (ENCRYPTION_WRONG_KEY otherwise).
 */
export async function isBoundTo(source: EncryptionKeySource, header: EncryptionHeader, binding: Uint8Array, artifact: string): Promise<boolean> {
	const master = await verifiedMaster(source, header, artifact);
	const random = header.fileSalt.subarray(0, BINDING_RANDOM_BYTES);
	return timingSafeEqual(bindingTag(master, random, binding), header.fileSalt.subarray(BINDING_RANDOM_BYTES));
}

/** The master key of `source`, once the header's MAC proves it is the one the artifact was written with. */
async function verifiedMaster(source: EncryptionKeySource, header: EncryptionHeader, artifact: string): Promise<Buffer> {
	let master: Buffer;
	if (header.kdf === 'scrypt') {
		if (source.kind !== 'passphrase') throw wrongKey(artifact, 'it was encrypted with a passphrase (give it with DBBACKUP_PASSPHRASE)');
		master = await scryptMaster(source, header.scrypt!.salt, header.scrypt!);
	} else {
		if (source.kind !== 'key') throw wrongKey(artifact, 'it was encrypted with a key, not a passphrase (give it with --encryption-key-file or DBBACKUP_ENCRYPTION_KEY)');
		master = source.key;
	}
	const expected = headerMac(master, header.fileSalt, header.bytes.subarray(0, MACED_BYTES));
	if (!timingSafeEqual(expected, header.mac)) throw wrongKey(artifact);
	return master;
}
