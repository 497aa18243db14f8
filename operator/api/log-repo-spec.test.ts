import { describe, expect, it } from 'vitest';
import { LogRepoCanarySchema } from './log-repo-spec.ts';

describe('LogRepoCanarySchema', () => {
  it('says its pipeline overrides apply to the canary track only (the CRD shows it)', () => {
    expect(LogRepoCanarySchema.properties.topic.description).toMatch(/^Topic the canary track produces to/);
    expect(LogRepoCanarySchema.properties.constraint.description).toMatch(/^Canary track only/);
  });
});
