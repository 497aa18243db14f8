import { describe, expect, it } from 'vitest';
import { parseDumpLogSegments } from '../infra/kafka-log-segments.ts';

// The parser of Kafka's DumpLogSegments output that the codec and idempotence tests rely on,
// on output recorded from the provisioned Kafka 3.9.2 (an idempotent zstd producer) and on
// the shape a plain producer's batch has.

const RECORDED = `Dumping /tmp/sluice-kafka-izsvou/data/sluice-dump-mx7rfim1-5b16e3-0/00000000000000000000.log
Log starting offset: 0
baseOffset: 0 lastOffset: 1 count: 2 baseSequence: 0 lastSequence: 1 producerId: 0 producerEpoch: 0 partitionLeaderEpoch: 0 isTransactional: false isControl: false deleteHorizonMs: OptionalLong.empty position: 0 CreateTime: 1796314766775 size: 98 magic: 2 compresscodec: zstd crc: 3726436902 isvalid: true
baseOffset: 2 lastOffset: 2 count: 1 baseSequence: 2 lastSequence: 2 producerId: 0 producerEpoch: 0 partitionLeaderEpoch: 0 isTransactional: false isControl: false deleteHorizonMs: OptionalLong.empty position: 98 CreateTime: 1796314766925 size: 84 magic: 2 compresscodec: zstd crc: 211090247 isvalid: true
`;

describe('parseDumpLogSegments', () => {
  it('reads every batch line of recorded output, skipping the headers', () => {
    expect(parseDumpLogSegments(RECORDED)).toEqual([
      {
        baseOffset: 0,
        lastOffset: 1,
        count: 2,
        producerId: 0,
        producerEpoch: 0,
        baseSequence: 0,
        codec: 'zstd',
      },
      {
        baseOffset: 2,
        lastOffset: 2,
        count: 1,
        producerId: 0,
        producerEpoch: 0,
        baseSequence: 2,
        codec: 'zstd',
      },
    ]);
  });

  it.each(['none', 'gzip', 'snappy', 'lz4', 'zstd', 'NONE'])(
    'reads the codec %s of a plain producer',
    (codec) => {
      const line = `baseOffset: 5 lastOffset: 9 count: 5 baseSequence: -1 lastSequence: -1 producerId: -1 producerEpoch: -1 partitionLeaderEpoch: 0 isTransactional: false isControl: false deleteHorizonMs: OptionalLong.empty position: 0 CreateTime: 1 size: 120 magic: 2 compresscodec: ${codec} crc: 1 isvalid: true`;
      expect(parseDumpLogSegments(line)).toEqual([
        {
          baseOffset: 5,
          lastOffset: 9,
          count: 5,
          producerId: -1,
          producerEpoch: -1,
          baseSequence: -1,
          codec: codec.toLowerCase(),
        },
      ]);
    },
  );

  it('fails loudly on a batch line without a field it needs', () => {
    expect(() => parseDumpLogSegments('baseOffset: 0 lastOffset: 1 count: 2')).toThrow(
      /DumpLogSegments line without producerId/,
    );
  });
});
