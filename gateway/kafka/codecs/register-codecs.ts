import type { CompressionTypes } from 'kafkajs';
// kafkajs is CommonJS and its `module.exports = { ..., ...errors }` literal defeats Node's
// named-export detection, so `import { CompressionCodecs } from 'kafkajs'` throws under plain
// Node (vitest's interop would hide that). The default import is `module.exports` itself.
import kafkajs from 'kafkajs';
import { createLz4Codec, type Lz4CodecOptions } from './lz4-codec.ts';
import { createSnappyCodec } from './snappy-codec.ts';
import { createZstdCodec, type ZstdCodecOptions } from './zstd-codec.ts';

/**
 * What kafkajs hands to `compress`: its protocol Encoder, of which only the finished
 * `buffer` (the uncompressed records section of a batch) is part of the contract.
 */
export interface KafkajsEncoderLike {
  readonly buffer: Buffer;
}

/**
 * The codec shape kafkajs looks up in `CompressionCodecs` (see kafkajs
 * src/protocol/message/compression/gzip.js): `compress` receives the Encoder, while
 * `decompress` receives the raw compressed bytes cut out of a fetched batch.
 */
export interface KafkajsCodec {
  compress(encoder: KafkajsEncoderLike): Promise<Buffer>;
  decompress(buffer: Buffer): Promise<Buffer>;
}

export const compressionNames = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;

/** Compression as spelled in Sluice configuration (matching Kafka's `compression.type`). */
export type CompressionName = (typeof compressionNames)[number];

export interface KafkajsCodecOptions {
  lz4?: Lz4CodecOptions;
  zstd?: ZstdCodecOptions;
}

const kafkajsCompressionByName: Readonly<Record<CompressionName, CompressionTypes>> = {
  none: kafkajs.CompressionTypes.None,
  gzip: kafkajs.CompressionTypes.GZIP,
  snappy: kafkajs.CompressionTypes.Snappy,
  lz4: kafkajs.CompressionTypes.LZ4,
  zstd: kafkajs.CompressionTypes.ZSTD,
};

/**
 * Maps a configured compression name to the kafkajs `CompressionTypes` value for
 * `producer.send({ compression })`. Throws on unknown names, since the argument often
 * comes from untyped configuration.
 */
export function toKafkajsCompression(name: CompressionName): CompressionTypes {
  if (!Object.hasOwn(kafkajsCompressionByName, name)) {
    throw new TypeError(
      `unknown compression '${String(name)}'; expected one of ${compressionNames.join(', ')}`,
    );
  }
  return kafkajsCompressionByName[name];
}

/**
 * Installs the snappy, lz4 and zstd codecs into kafkajs's process-wide `CompressionCodecs`
 * (gzip is built in). Idempotent: calling again with the same options leaves kafkajs in the
 * same state; with different options the last call wins. Must run before the first batch
 * using one of these compressions is produced or fetched.
 */
export function registerKafkajsCodecs(options: KafkajsCodecOptions = {}): void {
  // Build the codecs once: kafkajs invokes the registered factory on every batch it
  // compresses or decompresses, so the factory must only hand back a ready object.
  const snappy = createSnappyCodec();
  const lz4 = createLz4Codec(options.lz4);
  const zstd = createZstdCodec(options.zstd);
  const codecs = kafkajs.CompressionCodecs;
  codecs[kafkajs.CompressionTypes.Snappy] = () => snappy;
  codecs[kafkajs.CompressionTypes.LZ4] = () => lz4;
  codecs[kafkajs.CompressionTypes.ZSTD] = () => zstd;
}
