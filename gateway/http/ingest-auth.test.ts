import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { GatewayConfig } from '../../kernel/config-schema.ts';
import {
  buildAuthTable,
  decideIngestAuth,
  parseBearer,
  parseTokens,
  tableFingerprint,
  tokenFiles,
} from './ingest-auth.ts';

type Repos = Pick<GatewayConfig, 'repos'>;
const repo = (tokensFile?: string) =>
  ({
    producer: 'main',
    topic: 't',
    mode: 'sync',
    ...(tokensFile ? { auth: { tokensFile } } : {}),
  }) as GatewayConfig['repos'][string];

const mixed: Repos = {
  repos: { open: repo(), secure: repo('/s/a'), other: repo('/s/b'), shared: repo('/s/a') },
};
const files = new Map([
  ['/s/a', ['alpha-1', 'alpha-2']],
  ['/s/b', ['beta-1']],
]);
const mixedTable = buildAuthTable(mixed, files);
const openTable = buildAuthTable({ repos: { open: repo() } }, new Map());

describe('decideIngestAuth', () => {
  it.each([
    { why: 'open repo, no token', table: mixedTable, repo: 'open', token: undefined, decision: 'allow' },
    { why: 'open repo, any token', table: mixedTable, repo: 'open', token: 'junk', decision: 'allow' },
    {
      why: 'protected repo, its token',
      table: mixedTable,
      repo: 'secure',
      token: 'alpha-1',
      decision: 'allow',
    },
    {
      why: 'protected repo, its second token (rotation)',
      table: mixedTable,
      repo: 'secure',
      token: 'alpha-2',
      decision: 'allow',
    },
    {
      why: 'protected repo sharing a file',
      table: mixedTable,
      repo: 'shared',
      token: 'alpha-2',
      decision: 'allow',
    },
    {
      why: 'protected repo, no token',
      table: mixedTable,
      repo: 'secure',
      token: undefined,
      decision: 'deny',
    },
    {
      why: 'protected repo, wrong token',
      table: mixedTable,
      repo: 'secure',
      token: 'alpha-3',
      decision: 'deny',
    },
    {
      why: 'protected repo, a prefix of its token',
      table: mixedTable,
      repo: 'secure',
      token: 'alpha',
      decision: 'deny',
    },
    {
      why: "protected repo, another repo's token",
      table: mixedTable,
      repo: 'secure',
      token: 'beta-1',
      decision: 'deny',
    },
    {
      why: 'unknown repo, no token, some repo protected',
      table: mixedTable,
      repo: 'nope',
      token: undefined,
      decision: 'deny',
    },
    {
      why: 'unknown repo, wrong token, some repo protected',
      table: mixedTable,
      repo: 'nope',
      token: 'x',
      decision: 'deny',
    },
    {
      why: 'unknown repo, a valid token of some repo (may learn it is unknown)',
      table: mixedTable,
      repo: 'nope',
      token: 'beta-1',
      decision: 'allow',
    },
    {
      why: 'unknown repo, nothing protected (plain 404)',
      table: openTable,
      repo: 'nope',
      token: undefined,
      decision: 'allow',
    },
  ] as const)('$why → $decision', ({ table, repo: name, token, decision }) => {
    expect(decideIngestAuth(table, name, token)).toBe(decision);
  });

  it('fails closed: a protected repo whose file gave no token accepts nothing', () => {
    const table = buildAuthTable({ repos: { secure: repo('/missing') } }, new Map());
    expect(decideIngestAuth(table, 'secure', undefined)).toBe('deny');
    expect(decideIngestAuth(table, 'secure', '')).toBe('deny');
    expect(decideIngestAuth(table, 'secure', 'anything')).toBe('deny');
  });

  it('without a valid token, a protected and an unknown repo decide alike (property)', () => {
    fc.assert(
      fc.property(fc.option(fc.string(), { nil: undefined }), (token) => {
        fc.pre(token === undefined || ![...files.values()].flat().includes(token));
        expect(decideIngestAuth(mixedTable, 'secure', token)).toBe(
          decideIngestAuth(mixedTable, 'no-such-repo', token),
        );
      }),
    );
  });
});

describe('parseBearer', () => {
  it.each([
    { header: undefined, token: undefined },
    { header: '', token: undefined },
    { header: 'Bearer abc.DEF-123_~+/=', token: 'abc.DEF-123_~+/=' },
    { header: 'bearer abc', token: 'abc' },
    { header: 'BEARER \tabc  ', token: 'abc' },
    { header: 'Bearer', token: undefined },
    { header: 'Bearer ', token: undefined },
    { header: 'Bearer a b', token: undefined },
    { header: 'Basic YWxpY2U6cHc=', token: undefined },
    { header: 'Bearerabc', token: undefined },
  ])('$header → $token', ({ header, token }) => {
    expect(parseBearer(header)).toBe(token);
  });
});

describe('parseTokens', () => {
  it.each([
    { text: '', tokens: [] },
    { text: 'one\n', tokens: ['one'] },
    { text: 'one\r\ntwo\r\n', tokens: ['one', 'two'] },
    { text: '\n  one  \n\n\ttwo\n', tokens: ['one', 'two'] },
  ])('$text', ({ text, tokens }) => {
    expect(parseTokens(text)).toEqual(tokens);
  });
});

describe('tokenFiles and tableFingerprint', () => {
  it('lists each referenced file once, sorted', () => {
    expect(tokenFiles(mixed)).toEqual(['/s/a', '/s/b']);
  });

  it('changes when a token changes and not otherwise', () => {
    const same = buildAuthTable(mixed, new Map(files));
    const rotated = buildAuthTable(mixed, new Map([...files, ['/s/b', ['beta-2']]]));
    expect(tableFingerprint(same)).toBe(tableFingerprint(mixedTable));
    expect(tableFingerprint(rotated)).not.toBe(tableFingerprint(mixedTable));
  });
});
