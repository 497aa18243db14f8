import { describe, expect, it } from 'vitest';
import { pipelineOf, testContext } from '../test/support/pipeline-kit.ts';
import { generateAccessLogLines } from './access-log-data.ts';
import { cellLabel, expandMatrix, MATRIX_COMPRESSIONS, typicalPipeline } from './bench-matrix.ts';

describe('expandMatrix', () => {
  const engines = ['kafkajs', 'platformatic'] as const;

  it('full: every combination once, 40 cells for two engines, grouped by compression', () => {
    const cells = expandMatrix('full', engines);
    expect(cells).toHaveLength(40);
    expect(new Set(cells.map(cellLabel)).size).toBe(40);
    const order = [...new Set(cells.map((cell) => cell.compression))];
    expect(order).toEqual([...MATRIX_COMPRESSIONS]);
    // Grouped: a compression never reappears after the next one started.
    const runs = cells.map((c) => c.compression).filter((c, i, all) => i === 0 || all[i - 1] !== c);
    expect(runs).toEqual([...MATRIX_COMPRESSIONS]);
  });

  it('quick: lz4 and none × engines × sync × typical, plus lz4 pass-through per engine', () => {
    expect(expandMatrix('quick', engines).map(cellLabel)).toEqual([
      'kafkajs none sync typical',
      'platformatic none sync typical',
      'kafkajs lz4 sync typical',
      'kafkajs lz4 sync pass-through',
      'platformatic lz4 sync typical',
      'platformatic lz4 sync pass-through',
    ]);
  });

  it.each([
    ['quick', 3],
    ['full', 20],
  ] as const)('%s with one engine has %i cells', (kind, count) => {
    expect(expandMatrix(kind, ['kafkajs'])).toHaveLength(count);
  });
});

describe('typicalPipeline', () => {
  it('accepts every line of the benchmark data, routing the 5xx ones', () => {
    const pipeline = pipelineOf(typicalPipeline('errors-topic'));
    const topics = new Map<string, number>();
    for (const line of generateAccessLogLines(2000, 1)) {
      const outcome = pipeline(Buffer.from(line), testContext);
      const topic = outcome.kind === 'accepted' ? outcome.topic : `not accepted: ${outcome.kind}`;
      topics.set(topic, (topics.get(topic) ?? 0) + 1);
    }
    expect([...topics.keys()].sort()).toEqual(['errors-topic', 'logs.access']);
  });

  it('routes 5xx lines to the given topic', () => {
    const pipeline = typicalPipeline('errors-topic') as { executers: Array<Record<string, unknown>> };
    expect(pipeline.executers.at(-1)).toEqual({
      type: 'route',
      rules: [{ when: { field: 'status', gte: 500 }, topic: 'errors-topic' }],
    });
  });
});
