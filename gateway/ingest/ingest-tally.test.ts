import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { LineOutcome } from '../pipeline/line-outcome.ts';
import { IngestTally } from './ingest-tally.ts';

const accepted: LineOutcome = { kind: 'accepted', topic: 't', key: null, value: Buffer.from('{}') };
const dropped = (reason: string): LineOutcome => ({ kind: 'dropped', reason });
const invalid = (reason: string): LineOutcome => ({ kind: 'invalid', reason, message: `bad ${reason}` });

describe('IngestTally', () => {
  it('counts by kind and reason and keeps the first errors only', () => {
    const tally = new IngestTally(2);
    [
      accepted,
      dropped('constraint'),
      invalid('invalid_json'),
      invalid('invalid_json'),
      invalid('invalid_utf8'),
    ].forEach((outcome, index) => {
      tally.record(outcome, index + 1);
    });
    expect(tally.summary()).toEqual({
      received: 5,
      accepted: 1,
      dropped: { total: 1, byReason: { constraint: 1 } },
      invalid: { total: 3, byReason: { invalid_json: 2, invalid_utf8: 1 } },
      errors: [
        { line: 3, reason: 'invalid_json', message: 'bad invalid_json' },
        { line: 4, reason: 'invalid_json', message: 'bad invalid_json' },
      ],
    });
  });

  it('always satisfies received = accepted + dropped + invalid', () => {
    const outcome = fc.oneof(
      fc.constant(accepted),
      fc.constantFrom('a', 'b').map(dropped),
      fc.constantFrom('x', 'y').map(invalid),
    );
    fc.assert(
      fc.property(fc.array(outcome), (outcomes) => {
        const tally = new IngestTally(5);
        outcomes.forEach((o, i) => {
          tally.record(o, i + 1);
        });
        const s = tally.summary();
        expect(s.received).toBe(s.accepted + s.dropped.total + s.invalid.total);
        expect(s.errors.length).toBeLessThanOrEqual(5);
      }),
    );
  });
});
