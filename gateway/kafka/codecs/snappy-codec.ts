import { createRequire } from 'node:module';
import type { KafkajsCodec } from './register-codecs.ts';

// snappyjs ships no type declarations; loading it through createRequire behind this narrow
// interface keeps strict TypeScript without an ambient module declaration.
interface SnappyJs {
  compress(input: Buffer): Buffer;
  uncompress(input: Buffer): Buffer;
}
const requireCjs = createRequire(import.meta.url);
const snappy = requireCjs('snappyjs') as SnappyJs;

// snappy-java's stream framing ("xerial"), which the Java client writes: an 8-byte magic,
// int32 version and int32 minimum compatible version, then chunks of
// [int32 big-endian compressed length][raw snappy block].
const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const XERIAL_HEADER_BYTES = XERIAL_MAGIC.length + 8;
const CHUNK_LENGTH_BYTES = 4;

/**
 * Snappy codec for kafkajs.
 *
 * Writes raw (unframed) snappy, like librdkafka: librdkafka reads it natively and Java's
 * SnappyInputStream falls back to raw decoding when the xerial magic is absent.
 * Reads both raw snappy and xerial-framed snappy as produced by Java clients.
 */
export function createSnappyCodec(): KafkajsCodec {
  return {
    // snappyjs is synchronous pure JS; the async wrappers turn its throws into rejections.
    compress: async (encoder) => snappy.compress(encoder.buffer),
    decompress: async (buffer) =>
      startsWithXerialMagic(buffer, 0) ? uncompressXerial(buffer) : snappy.uncompress(buffer),
  };
}

// No ambiguity with raw snappy: a raw stream would need a varint length starting 0x82 'S'
// followed by a copy tag as its first element, which no valid stream has; and a chunk
// length field starting with 0x82 would be negative.
function startsWithXerialMagic(buffer: Buffer, offset: number): boolean {
  return (
    buffer.length - offset >= XERIAL_MAGIC.length &&
    XERIAL_MAGIC.equals(buffer.subarray(offset, offset + XERIAL_MAGIC.length))
  );
}

function uncompressXerial(buffer: Buffer): Buffer {
  const blocks: Buffer[] = [];
  let offset = 0;
  while (offset < buffer.length) {
    // snappy-java also accepts concatenated streams, i.e. a fresh header between chunks.
    if (startsWithXerialMagic(buffer, offset)) {
      if (buffer.length - offset < XERIAL_HEADER_BYTES) {
        throw new Error(`xerial snappy: truncated stream header at offset ${offset}`);
      }
      offset += XERIAL_HEADER_BYTES;
      continue;
    }
    if (buffer.length - offset < CHUNK_LENGTH_BYTES) {
      throw new Error(`xerial snappy: truncated chunk length at offset ${offset}`);
    }
    const length = buffer.readInt32BE(offset);
    offset += CHUNK_LENGTH_BYTES;
    if (length < 0 || length > buffer.length - offset) {
      throw new Error(`xerial snappy: chunk of ${length} bytes at offset ${offset} overruns the input`);
    }
    blocks.push(snappy.uncompress(buffer.subarray(offset, offset + length)));
    offset += length;
  }
  return Buffer.concat(blocks);
}
