/**
 * The compressions an archive member can be stored with, by name: one list for the config schema, the
 * command line, the engines' options and the storage codecs (storage/compression.ts).
 */
export const COMPRESSIONS = ['zstd', 'gzip', 'lz4', 'none'] as const;

export type Compression = (typeof COMPRESSIONS)[number];
