import { describe, expect, it } from 'vitest';
import { pipelineOf, testContext } from '../../test/support/pipeline-kit.ts';
import { collectMessages, type MessageBudget } from './collect-messages.ts';

const budget = (maxPendingBytes = 1 << 20): MessageBudget => ({
  maxPendingBytes,
  costOf: (message) => message.value.length + 10,
});
const lines = (...parts: Array<string | Buffer>) =>
  Buffer.concat(parts.map((part) => Buffer.concat([Buffer.from(part), Buffer.from('\n')])));
const INVALID_UTF8 = Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0x22, 0x7d]); // {"a":"\xc3("}

describe('collectMessages', () => {
  it.each([
    ['all valid', lines('{"a":1}', '{"a":"é"}'), { accepted: 2, invalid: 0 }],
    [
      'one line of invalid UTF-8 among valid ones',
      lines('{"a":1}', INVALID_UTF8, '{"a":"é"}'),
      { accepted: 2, invalid: 1 },
    ],
    ['invalid JSON', lines('{"a":1}', 'nope'), { accepted: 1, invalid: 1 }],
  ])('%s', (_name, body, expected) => {
    const collected = collectMessages(body, pipelineOf({}), testContext, 1024, 5, budget());
    const summary = collected.tally.summary();
    expect({ accepted: summary.accepted, invalid: summary.invalid.total }).toEqual(expected);
    if (expected.invalid > 0 && body.includes(INVALID_UTF8)) {
      expect(summary.errors).toEqual([
        { line: 2, reason: 'invalid_utf8', message: 'line is not valid UTF-8' },
      ]);
    }
  });

  it('hands accepted outcomes on as messages, grouped by topic in first-seen order, with their cost', () => {
    const pipeline = pipelineOf({
      executers: [{ type: 'route', rules: [{ when: { field: 'status', gte: 500 }, topic: 'errors' }] }],
    });
    const body = lines('{"status":200}', '{"status":503}', '{"status":201}');
    const collected = collectMessages(body, pipeline, testContext, 1024, 5, budget());
    expect(collected.groups.map((group) => [group.topic, group.messages.length])).toEqual([
      ['logs.access', 2],
      ['errors', 1],
    ]);
    expect(collected.cost).toBe(body.length - 3 + 3 * 10);
  });

  it('stops once the messages cost more than the producer could ever hold', () => {
    const collected = collectMessages(
      lines('{"a":1}', '{"a":2}', '{"a":3}'),
      pipelineOf({}),
      testContext,
      1024,
      5,
      budget(30),
    );
    expect(collected.split).toEqual({ ok: false, reason: 'stopped', lineNumber: 2 });
  });
});
