export {createDecryptStream, type DecryptStreamOptions} from './decrypt-stream.ts';
export {createEncryptStream, SegmentEncryptor, startEncryption} from './encrypt-stream.ts';
export {EncryptedTarget, type EncryptedTargetOptions} from './encrypted-target.ts';
export {encryptedWithoutKey, keyMissing} from './errors.ts';
export {
	DEFAULT_SCRYPT,
	DEFAULT_SEGMENT_LOG2,
	FORMAT_VERSION,
	HEADER_BYTES,
	createHeader,
	deriveKeys,
	isEncryptedArtifact,
	parseHeader,
	type EncryptionHeader,
	type EncryptOptions,
	type SegmentKeys,
} from './header.ts';
export {KEY_BYTES, loadEncryptionKey, passphraseSource, rawKeySource, type EncryptionKeySource, type LoadedEncryptionKey, type LoadKeyOptions} from './key.ts';
export {ciphertextSize, decryptSegments, plaintextSize, segmentCount, segmentRangeFor, SegmentDecryptor, type SegmentRange} from './layout.ts';
