export {
	COMPRESSIONS,
	LEVEL_RANGES,
	compressStream,
	decompressStream,
	extensionFor,
	isCompression,
	parseCompression,
	resolveLevel,
	type Compression,
} from './compression.ts';
export {MeterStream} from './hash.ts';
export {
	MANIFEST_FORMAT_VERSION,
	manifestProblems,
	parseManifest,
	serializeManifest,
	validateManifest,
	type Manifest,
	type ManifestDatabase,
	type ManifestMember,
	type ManifestObjectGroup,
	type ManifestObjectKind,
	type ManifestProblem,
	type ManifestTable,
} from './archive/manifest.ts';
export {MANIFEST_NAME, memberSegment, partialPathOf, sidecarPathOf} from './archive/member-path.ts';
export {
	DEFAULT_SPILL_THRESHOLD,
	createArchiveWriter,
	type ArchiveWriter,
	type ArchiveWriterOptions,
	type FinishedArchive,
	type ManifestFields,
	type MemberOptions,
	type MemberSource,
} from './archive/writer.ts';
export {openArchive, openArchiveIn, type OpenArchive, type VerifyOptions, type VerifyReport} from './archive/reader.ts';
export {identifyArtifact, readScriptArtifact, type ArtifactFile, type ArtifactKind} from './artifact.ts';
export {directoryTarget, targetFor, type ArtifactLocation, type ArtifactStat, type ArtifactTarget, type OpenPartialOptions, type PartialArtifact} from './target/index.ts';
