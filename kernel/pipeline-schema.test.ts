import { Type } from '@sinclair/typebox';
import { describe, expect, it } from 'vitest';
import { described } from './pipeline-schema.ts';

describe('described', () => {
  it('gives the copy its own description and options, leaving the original alone', () => {
    const original = Type.String({ description: 'generic', minLength: 1 });
    const copy = described(original, 'specific', { default: 'x' });
    expect(copy).toMatchObject({ type: 'string', minLength: 1, description: 'specific', default: 'x' });
    expect(original.description).toBe('generic');
  });
});
