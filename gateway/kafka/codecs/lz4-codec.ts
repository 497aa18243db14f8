import { compressFrame, decompressFrame } from 'lz4-napi';
import type { KafkajsCodec } from './register-codecs.ts';

/**
 * Checksums for the LZ4 frames we write. Both default to off, matching what librdkafka and
 * the Java client write; Kafka already protects each batch with a CRC32C.
 */
export interface Lz4CodecOptions {
  /** Append an xxHash32 of the whole uncompressed content after the end mark. */
  contentChecksum?: boolean;
  /** Append an xxHash32 after every compressed block. */
  blockChecksums?: boolean;
}

/**
 * LZ4 codec for kafkajs. Record batch v2 (magic 2) carries a standard LZ4 frame
 * (magic 0x184D2204), which is exactly what lz4-napi's frame API reads and writes.
 *
 * Interop contract: the Java client's Lz4BlockInputStream rejects frames without the
 * block-independence flag and decodes each block on its own, so frames must use
 * independent blocks. lz4-napi (lz4_flex) does so by default and exposes no switch to
 * change it; the codec tests pin that flag so a dependency upgrade cannot silently break
 * Java consumers.
 */
export function createLz4Codec(options: Lz4CodecOptions = {}): KafkajsCodec {
  const frameOptions = {
    contentChecksum: options.contentChecksum ?? false,
    blockChecksums: options.blockChecksums ?? false,
  };
  return {
    compress: (encoder) => compressFrame(encoder.buffer, frameOptions),
    decompress: (buffer) => decompressFrame(buffer),
  };
}
