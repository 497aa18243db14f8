import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { promisify } from 'node:util';
import { zstdCompress } from 'node:zlib';
import fc from 'fast-check';
import kafkajs from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { createLz4Codec } from './lz4-codec.ts';
import {
  type CompressionName,
  type KafkajsCodec,
  registerKafkajsCodecs,
  toKafkajsCompression,
} from './register-codecs.ts';
import { createSnappyCodec } from './snappy-codec.ts';
import { createZstdCodec, readFrameContentSize } from './zstd-codec.ts';

// Test-only access to untyped CommonJS internals: snappyjs to hand-build xerial frames the
// way snappy-java does, and kafkajs's record batch encoder/decoder for an end-to-end check.
const requireCjs = createRequire(import.meta.url);
const snappyjs = requireCjs('snappyjs') as { compress(input: Buffer): Buffer };
const RecordBatch = requireCjs('kafkajs/src/protocol/recordBatch/v0/index.js').RecordBatch as (batch: {
  compression: number;
  records: unknown[];
}) => Promise<{ buffer: Buffer }>;
const Record = requireCjs('kafkajs/src/protocol/recordBatch/record/v0/index.js') as (record: {
  offsetDelta: number;
  key: Buffer | null;
  value: Buffer;
}) => unknown;
const decodeRecordBatch = requireCjs('kafkajs/src/protocol/recordBatch/v0/decoder.js') as (
  decoder: unknown,
) => Promise<{ records: { key: Buffer | null; value: Buffer }[] }>;
const Decoder = requireCjs('kafkajs/src/protocol/decoder.js') as new (buffer: Buffer) => unknown;

const MB = 1024 * 1024;

const codecs: [string, KafkajsCodec][] = [
  ['snappy', createSnappyCodec()],
  ['lz4', createLz4Codec()],
  ['lz4 with checksums', createLz4Codec({ contentChecksum: true, blockChecksums: true })],
  ['zstd', createZstdCodec()],
  ['zstd level 1', createZstdCodec({ level: 1 })],
  ['zstd level 19 with checksum', createZstdCodec({ level: 19, checksum: true })],
  ['zstd level -5', createZstdCodec({ level: -5 })],
];

const payloads: [string, Buffer][] = [
  ['empty', Buffer.alloc(0)],
  ['small', Buffer.from('{"level":"info","msg":"hello"}')],
  ['1 MB random', randomBytes(MB)],
  ['1 MB repetitive', Buffer.alloc(MB, '{"level":"info","msg":"request served","status":200}\n')],
];

const roundTripCases = codecs.flatMap(([codecName, codec]) =>
  payloads.map(([payloadName, payload]) => ({ codecName, codec, payloadName, payload })),
);

const compress = (codec: KafkajsCodec, bytes: Uint8Array) => codec.compress({ buffer: Buffer.from(bytes) });

describe('codec round trip', () => {
  it.each(roundTripCases)('$codecName: $payloadName', async ({ codec, payload }) => {
    const compressed = await codec.compress({ buffer: payload });
    const restored = await codec.decompress(compressed);
    expect(Buffer.isBuffer(restored)).toBe(true);
    expect(restored.equals(payload)).toBe(true);
  });

  it('shrinks highly repetitive data', async () => {
    const repetitive = Buffer.alloc(MB, 'abcdefgh');
    for (const [, codec] of codecs) {
      expect((await codec.compress({ buffer: repetitive })).length).toBeLessThan(MB / 20);
    }
  });

  it.each(codecs)('%s: decompress(compress(x)) == x for arbitrary bytes', async (_name, codec) => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 70_000 }), async (bytes) => {
        const restored = await codec.decompress(await compress(codec, bytes));
        expect(restored.equals(Buffer.from(bytes))).toBe(true);
      }),
      { numRuns: 60 },
    );
  });
});

describe('snappy', () => {
  const codec = createSnappyCodec();
  const xerialHeader = Buffer.concat([
    Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]),
    Buffer.from([0, 0, 0, 1, 0, 0, 0, 1]),
  ]);
  const chunk = (block: Buffer) => {
    const compressed = snappyjs.compress(block);
    const length = Buffer.alloc(4);
    length.writeInt32BE(compressed.length);
    return Buffer.concat([length, compressed]);
  };
  // snappy-java's default 32 KiB block size, with a short final block.
  const original = Buffer.from(
    Array.from({ length: 3500 }, (_, i) => `{"seq":${i},"msg":"line"}\n`).join(''),
  );
  const blocks = [0, 32_768, 65_536].map((start) => original.subarray(start, start + 32_768));
  const [firstBlock = Buffer.alloc(0), ...laterBlocks] = blocks;

  it('builds a fixture spanning three chunks', () => {
    expect(original.length).toBeGreaterThan(65_536);
    expect(original.length).toBeLessThan(3 * 32_768);
  });

  it.each([
    ['one stream', Buffer.concat([xerialHeader, ...blocks.map(chunk)]), original],
    ['header only', xerialHeader, Buffer.alloc(0)],
    [
      'concatenated streams',
      Buffer.concat([xerialHeader, chunk(firstBlock), xerialHeader, ...laterBlocks.map(chunk)]),
      original,
    ],
  ])('decodes xerial framing: %s', async (_name, framed, expected) => {
    expect((await codec.decompress(framed)).equals(expected)).toBe(true);
  });

  it.each([
    ['truncated chunk', Buffer.concat([xerialHeader, chunk(original)]).subarray(0, -10)],
    ['truncated length', Buffer.concat([xerialHeader, Buffer.from([0, 0])])],
    ['truncated header', xerialHeader.subarray(0, 12)],
    ['garbage raw stream', Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff])],
  ])('rejects malformed input: %s', async (_name, input) => {
    await expect(codec.decompress(input)).rejects.toThrow();
  });

  it('writes raw snappy, not xerial framing', async () => {
    const compressed = await codec.compress({ buffer: original });
    expect(compressed.subarray(0, 8).equals(xerialHeader.subarray(0, 8))).toBe(false);
    expect(compressed.equals(snappyjs.compress(original))).toBe(true);
  });
});

describe('frame formats', () => {
  const sample = Buffer.alloc(200_000, 'sluice ');

  it.each([
    ['default', createLz4Codec()],
    ['checksums', createLz4Codec({ contentChecksum: true, blockChecksums: true })],
  ])('lz4 (%s) writes a v1 LZ4 frame with independent blocks', async (_name, codec) => {
    const compressed = await codec.compress({ buffer: sample });
    expect(compressed.readUInt32LE(0)).toBe(0x184d2204);
    const flg = compressed[4] ?? 0;
    expect(flg >> 6).toBe(0b01); // frame version
    // The Java client rejects dependent (linked) blocks.
    expect(flg & 0b0010_0000).not.toBe(0);
  });

  it('lz4 honours the checksum options', async () => {
    const flgOf = async (codec: KafkajsCodec) => (await codec.compress({ buffer: sample }))[4] ?? 0;
    expect((await flgOf(createLz4Codec())) & 0b0001_0100).toBe(0);
    expect((await flgOf(createLz4Codec({ contentChecksum: true, blockChecksums: true }))) & 0b0001_0100).toBe(
      0b0001_0100,
    );
  });

  it.each([
    ['default', createZstdCodec()],
    ['level 19', createZstdCodec({ level: 19 })],
  ])('zstd (%s) writes a standard zstd frame', async (_name, codec) => {
    const compressed = await codec.compress({ buffer: sample });
    expect(compressed.readUInt32LE(0)).toBe(0xfd2fb528);
  });

  it('zstd records the content size in the frame header', async () => {
    const compressed = await createZstdCodec().compress({ buffer: sample });
    const descriptor = compressed[4] ?? 0;
    expect(descriptor >> 6).not.toBe(0); // Frame_Content_Size_flag
  });

  it('zstd checksum option sets the content checksum flag', async () => {
    const descriptorOf = async (checksum: boolean) =>
      (await createZstdCodec({ checksum }).compress({ buffer: sample }))[4] ?? 0;
    expect((await descriptorOf(false)) & 0b100).toBe(0);
    expect((await descriptorOf(true)) & 0b100).toBe(0b100);
  });

  it('higher zstd levels do not compress worse on log-like data', async () => {
    const lines = Buffer.from(
      Array.from(
        { length: 5000 },
        (_, i) => `{"ts":${1_700_000_000 + i},"lvl":"info","id":"${i * 7919}"}\n`,
      ).join(''),
    );
    const size = async (level: number) =>
      (await createZstdCodec({ level }).compress({ buffer: lines })).length;
    expect(await size(19)).toBeLessThanOrEqual(await size(1));
  });

  it.each([23, -131_073, 2.5, Number.NaN])('zstd rejects level %s', (level) => {
    expect(() => createZstdCodec({ level })).toThrow(RangeError);
  });
});

describe('zstd frame content size', () => {
  const zstdHeader = (descriptor: number, ...rest: number[]) =>
    Buffer.from([0x28, 0xb5, 0x2f, 0xfd, descriptor, ...rest]);

  it.each([0, 200, 300, 70_000])('reads the size our codec pledged for %i bytes', async (size) => {
    const frame = await createZstdCodec().compress({ buffer: Buffer.alloc(size, 'k') });
    expect(readFrameContentSize(frame)).toBe(size);
  });

  it.each([
    ['8-byte size after a window descriptor', zstdHeader(0xc0, 0x58, 1, 0, 0, 0, 1, 0, 0, 0), 2 ** 32 + 1],
    ['1-byte size after a 2-byte dictionary id', zstdHeader(0x22, 0x34, 0x12, 0x2a), 42],
    ['2-byte size, stored minus 256', zstdHeader(0x60, 0x01, 0x00), 257],
    ['no size recorded', zstdHeader(0x00, 0x58, 0x00), undefined],
    ['truncated header', zstdHeader(0x80, 0x01), undefined],
    ['not zstd', Buffer.from('hello world'), undefined],
  ])('%s', (_name, frame, expected) => {
    expect(readFrameContentSize(frame)).toBe(expected);
  });

  it('decompresses frames that do not record their size', async () => {
    // Node's async one-shot API streams its input, so without a pledge the frame header
    // carries no content size, like frames from zstd-jni's ZstdOutputStream.
    const original = randomBytes(300_000);
    const streamed = await promisify(zstdCompress)(original);
    expect(readFrameContentSize(streamed)).toBeUndefined();
    expect((await createZstdCodec().decompress(streamed)).equals(original)).toBe(true);
  });

  it('does not pin an oversized allocation behind decompressed records', async () => {
    // kafkajs hands out record values as views into this buffer.
    const original = Buffer.alloc(200_000, '{"msg":"x"}');
    const codec = createZstdCodec();
    const restored = await codec.decompress(await codec.compress({ buffer: original }));
    expect(restored.buffer.byteLength).toBeLessThan(2 * original.length);
  });
});

describe('kafkajs registration', () => {
  const { CompressionCodecs, CompressionTypes } = kafkajs;
  const registered = [CompressionTypes.Snappy, CompressionTypes.LZ4, CompressionTypes.ZSTD] as const;

  it('installs SNAPPY, LZ4 and ZSTD codecs and is idempotent', () => {
    registerKafkajsCodecs();
    registerKafkajsCodecs();
    for (const type of registered) {
      const codec = CompressionCodecs[type]();
      expect(typeof codec.compress).toBe('function');
      expect(typeof codec.decompress).toBe('function');
    }
  });

  it('hands kafkajs the same codec object on every lookup', () => {
    registerKafkajsCodecs({ zstd: { level: 5 } });
    for (const type of registered) {
      expect(CompressionCodecs[type]()).toBe(CompressionCodecs[type]());
    }
  });

  it.each([
    ['gzip', CompressionTypes.GZIP],
    ['snappy', CompressionTypes.Snappy],
    ['lz4', CompressionTypes.LZ4],
    ['zstd', CompressionTypes.ZSTD],
  ] as const)('kafkajs encodes and decodes a %s record batch', async (_name, compression) => {
    registerKafkajsCodecs();
    const values = Array.from({ length: 50 }, (_, i) => Buffer.from(`{"seq":${i},"msg":"${'x'.repeat(i)}"}`));
    const batch = await RecordBatch({
      compression,
      records: values.map((value, offsetDelta) => Record({ offsetDelta, key: null, value })),
    });
    const decoded = await decodeRecordBatch(new Decoder(batch.buffer));
    expect(decoded.records.map((record) => record.value.toString())).toEqual(values.map(String));
  });

  it.each([
    ['none', CompressionTypes.None],
    ['gzip', CompressionTypes.GZIP],
    ['snappy', CompressionTypes.Snappy],
    ['lz4', CompressionTypes.LZ4],
    ['zstd', CompressionTypes.ZSTD],
  ] as const)('maps %s to kafkajs compression type %i', (name, expected) => {
    expect(toKafkajsCompression(name)).toBe(expected);
  });

  it.each(['brotli', 'toString', ''])('rejects unknown compression name %j', (name) => {
    expect(() => toKafkajsCompression(name as CompressionName)).toThrow(TypeError);
  });
});
