import { constants, type ZstdOptions, zstdCompress, zstdDecompress } from 'node:zlib';
import type { KafkajsCodec } from './register-codecs.ts';

// Bounds of zstd's compression level (ZSTD_minCLevel() .. ZSTD_maxCLevel()); Kafka's
// `compression.zstd.level` accepts the same range. Negative levels trade ratio for speed.
const MIN_LEVEL = -131_072;
const MAX_LEVEL = 22;
const DEFAULT_LEVEL = 3;

// Node's zlib writes output into chunkSize-sized buffers. Its small default costs up to 5x
// in decompression speed on 1 MB batches, while an oversized chunk would stay pinned in
// memory: kafkajs's Decoder hands out record keys/values as views into the decompressed
// buffer. So chunks are sized to the expected output, within these bounds.
const MIN_CHUNK_BYTES = 1024;
const MAX_CHUNK_BYTES = 8 * 1024 * 1024;
const FALLBACK_EXPANSION = 4;

const ZSTD_MAGIC = 0xfd2fb528;

export interface ZstdCodecOptions {
  /** zstd compression level, an integer in [-131072, 22]. Default 3 (zstd's and Kafka's default). */
  level?: number;
  /** Append a content checksum to each frame. Default off, as Kafka batches carry a CRC32C. */
  checksum?: boolean;
}

/**
 * zstd codec for kafkajs on top of Node's built-in zlib zstd (marked experimental in
 * Node 24, but it is the reference libzstd). Kafka stores a plain zstd frame
 * (magic 0xFD2FB528); librdkafka and zstd-jni both decode any standard frame.
 */
export function createZstdCodec(options: ZstdCodecOptions = {}): KafkajsCodec {
  const level = options.level ?? DEFAULT_LEVEL;
  if (!Number.isInteger(level) || level < MIN_LEVEL || level > MAX_LEVEL) {
    throw new RangeError(`zstd level must be an integer in [${MIN_LEVEL}, ${MAX_LEVEL}], got ${level}`);
  }
  const params = {
    [constants.ZSTD_c_compressionLevel]: level,
    [constants.ZSTD_c_checksumFlag]: options.checksum ? 1 : 0,
  };
  return {
    compress: (encoder) => {
      const input = encoder.buffer;
      return run(zstdCompress, input, {
        params,
        // Pledging the size records it in the frame header, so decoders (librdkafka sizes
        // its output buffer from it, as does decompress below) allocate once.
        pledgedSrcSize: input.length,
        // The compressed result is copied into kafkajs's request encoder right away, so a
        // chunk that fits even incompressible input costs nothing lasting.
        chunkSize: clampChunk(input.length),
      });
    },
    decompress: (buffer) => {
      const expected = readFrameContentSize(buffer) ?? buffer.length * FALLBACK_EXPANSION;
      return run(zstdDecompress, buffer, { chunkSize: clampChunk(expected) });
    },
  };
}

function clampChunk(bytes: number): number {
  return Math.min(MAX_CHUNK_BYTES, Math.max(MIN_CHUNK_BYTES, bytes));
}

/**
 * Frame_Content_Size from the header of the first zstd frame (RFC 8878 §3.1.1.1), or
 * undefined when the frame does not record it (e.g. streamed by zstd-jni) or the input
 * is not a well-formed zstd frame; the decompressor reports the latter properly.
 */
export function readFrameContentSize(frame: Buffer): number | undefined {
  if (frame.length < 5 || frame.readUInt32LE(0) !== ZSTD_MAGIC) {
    return undefined;
  }
  const descriptor = frame.readUInt8(4);
  const sizeFlag = descriptor >> 6;
  const singleSegment = (descriptor & 0x20) !== 0;
  const dictionaryIdBytes = [0, 1, 2, 4][descriptor & 0x03] ?? 0;
  const offset = 5 + (singleSegment ? 0 : 1) + dictionaryIdBytes;
  const sizeBytes = [singleSegment ? 1 : 0, 2, 4, 8][sizeFlag] ?? 0;
  if (sizeBytes === 0 || frame.length < offset + sizeBytes) {
    return undefined;
  }
  switch (sizeBytes) {
    case 1:
      return frame.readUInt8(offset);
    case 2:
      // The 2-byte form is stored minus 256.
      return frame.readUInt16LE(offset) + 256;
    case 4:
      return frame.readUInt32LE(offset);
    default:
      return Number(frame.readBigUInt64LE(offset));
  }
}

type ZstdOneShot = (
  input: Buffer,
  options: ZstdOptions,
  callback: (error: Error | null, result: Buffer) => void,
) => void;

function run(operation: ZstdOneShot, input: Buffer, options: ZstdOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    operation(input, options, (error, result) => (error ? reject(error) : resolve(result)));
  });
}
