import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileTrustedProxies } from '../../kernel/trusted-proxies.ts';
import { clientAddressOf, forwardedFor, hopAddress } from './client-address.ts';

const proxiesOf = (entries: string[]) => {
  const result = compileTrustedProxies(entries);
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return result.proxies;
};

describe('compileTrustedProxies', () => {
  it.each([
    { entries: ['10.0.0.0/8'], address: '10.1.2.3', trusted: true },
    { entries: ['10.0.0.0/8'], address: '11.1.2.3', trusted: false },
    { entries: ['192.0.2.7'], address: '192.0.2.7', trusted: true },
    { entries: ['192.0.2.7'], address: '192.0.2.8', trusted: false },
    { entries: ['0.0.0.0/0'], address: '203.0.113.9', trusted: true },
    { entries: ['0.0.0.0/0'], address: '2001:db8::1', trusted: false },
    { entries: ['fd00::/8'], address: 'fd12:3456::1', trusted: true },
    { entries: ['fd00::/8'], address: 'fe80::1', trusted: false },
    { entries: ['::ffff:10.0.0.0/104'], address: '10.9.9.9', trusted: true },
    { entries: [' 10.0.0.0/8 '], address: '10.0.0.1', trusted: true },
    { entries: ['10.0.0.0/8'], address: 'not-an-ip', trusted: false },
  ])('$entries trusts $address: $trusted', ({ entries, address, trusted }) => {
    expect(proxiesOf(entries).trusts(address)).toBe(trusted);
  });

  it.each([
    { entry: '10.0.0.0/33', message: /prefix length must be 0-32/ },
    { entry: 'fd00::/129', message: /prefix length must be 0-128/ },
    { entry: '10.0.0.0/', message: /prefix length/ },
    { entry: '10.0.0.0/8x', message: /prefix length/ },
    { entry: 'apisix.internal', message: /not an IP address or CIDR/ },
    { entry: '10.0.0/8', message: /not an IP address or CIDR/ },
  ])('refuses $entry', ({ entry, message }) => {
    const result = compileTrustedProxies(['10.0.0.0/8', entry]);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.issues).toEqual([{ index: 1, message: expect.stringMatching(message) }]);
  });
});

describe('hopAddress', () => {
  it.each([
    { hop: '203.0.113.7', expected: '203.0.113.7' },
    { hop: ' 203.0.113.7 ', expected: '203.0.113.7' },
    { hop: '203.0.113.7:4711', expected: '203.0.113.7' },
    { hop: '2001:db8::17', expected: '2001:db8::17' },
    { hop: '[2001:db8::17]', expected: '2001:db8::17' },
    { hop: '[2001:db8::17]:4711', expected: '2001:db8::17' },
    { hop: '::ffff:198.51.100.1', expected: '198.51.100.1' },
    { hop: 'unknown', expected: undefined },
    { hop: '_hidden', expected: undefined },
    { hop: '', expected: undefined },
    { hop: '[2001:db8::17', expected: undefined },
    { hop: '[2001:db8::17]x', expected: undefined },
    { hop: '[203.0.113.7]', expected: undefined },
    { hop: '203.0.113.7:99999999', expected: undefined },
    { hop: '999.0.0.1', expected: undefined },
  ])('$hop → $expected', ({ hop, expected }) => {
    expect(hopAddress(hop)).toBe(expected);
  });
});

describe('forwardedFor', () => {
  it.each([
    { header: 'for=192.0.2.60;proto=http;by=203.0.113.43', expected: ['192.0.2.60'] },
    { header: 'for="[2001:db8:cafe::17]:4711"', expected: ['[2001:db8:cafe::17]:4711'] },
    { header: 'for=192.0.2.43, for=198.51.100.17', expected: ['192.0.2.43', '198.51.100.17'] },
    { header: 'For=192.0.2.43;BY=x', expected: ['192.0.2.43'] },
    { header: 'proto=https, for=10.0.0.1', expected: ['', '10.0.0.1'] },
    { header: 'for="a,b;c", for=10.0.0.1', expected: ['a,b;c', '10.0.0.1'] },
    { header: 'for=unknown', expected: ['unknown'] },
  ])('$header', ({ header, expected }) => {
    expect(forwardedFor(header)).toEqual(expected);
  });
});

describe('clientAddressOf', () => {
  const proxies = proxiesOf(['10.0.0.0/8', 'fd00::/8']);
  it.each([
    { name: 'no headers', peer: '10.0.0.5', headers: {}, expected: '10.0.0.5' },
    {
      name: 'an untrusted peer: headers ignored',
      peer: '203.0.113.9',
      headers: {
        'x-forwarded-for': '198.51.100.1',
        forwarded: 'for=198.51.100.2',
        'x-real-ip': '198.51.100.3',
      },
      expected: '203.0.113.9',
    },
    {
      name: 'X-Forwarded-For through one proxy',
      peer: '10.0.0.5',
      headers: { 'x-forwarded-for': '198.51.100.1' },
      expected: '198.51.100.1',
    },
    {
      name: 'X-Forwarded-For: a spoofed left part is not believed',
      peer: '10.0.0.5',
      headers: { 'x-forwarded-for': '1.1.1.1, 198.51.100.1, 10.0.0.7' },
      expected: '198.51.100.1',
    },
    {
      name: 'X-Forwarded-For repeated (joined lines)',
      peer: '10.0.0.5',
      headers: { 'x-forwarded-for': ['198.51.100.1', '10.0.0.7'] },
      expected: '198.51.100.1',
    },
    {
      name: 'every hop trusted: the leftmost',
      peer: '10.0.0.5',
      headers: { 'x-forwarded-for': '10.0.0.9, 10.0.0.8' },
      expected: '10.0.0.9',
    },
    {
      name: 'an unknown hop ends at the last trusted address',
      peer: '10.0.0.5',
      headers: { 'x-forwarded-for': '198.51.100.1, unknown, 10.0.0.8' },
      expected: '10.0.0.8',
    },
    {
      name: 'Forwarded wins over X-Forwarded-For',
      peer: '10.0.0.5',
      headers: { forwarded: 'for="[2001:db8::1]:443";proto=https', 'x-forwarded-for': '198.51.100.1' },
      expected: '2001:db8::1',
    },
    {
      name: 'Forwarded with several elements',
      peer: 'fd00::1',
      headers: { forwarded: 'for=198.51.100.4, for=10.1.1.1;by=10.0.0.5' },
      expected: '198.51.100.4',
    },
    {
      name: 'Forwarded obfuscated identifier',
      peer: '10.0.0.5',
      headers: { forwarded: 'for=_edge7' },
      expected: '10.0.0.5',
    },
    {
      name: 'X-Real-IP',
      peer: '10.0.0.5',
      headers: { 'x-real-ip': '198.51.100.9' },
      expected: '198.51.100.9',
    },
    {
      name: 'X-Forwarded-For wins over X-Real-IP',
      peer: '10.0.0.5',
      headers: { 'x-real-ip': '10.0.0.6', 'x-forwarded-for': '198.51.100.1' },
      expected: '198.51.100.1',
    },
    {
      name: 'a dual-stack peer address',
      peer: '::ffff:10.0.0.5',
      headers: { 'x-forwarded-for': '198.51.100.1' },
      expected: '198.51.100.1',
    },
    {
      name: 'an untrusted mapped peer, normalized',
      peer: '::ffff:203.0.113.9',
      headers: {},
      expected: '203.0.113.9',
    },
    {
      name: 'empty X-Forwarded-For',
      peer: '10.0.0.5',
      headers: { 'x-forwarded-for': '' },
      expected: '10.0.0.5',
    },
  ])('$name', ({ peer, headers, expected }) => {
    expect(clientAddressOf(peer, headers, proxies)).toBe(expected);
  });

  it('without trusted proxies the peer is the client, whatever the headers', () => {
    const none = proxiesOf([]);
    expect(clientAddressOf('10.0.0.5', { 'x-forwarded-for': '198.51.100.1' }, none)).toBe('10.0.0.5');
  });

  const octet = fc.integer({ min: 0, max: 255 });
  const publicV4 = fc
    .tuple(fc.integer({ min: 11, max: 99 }), octet, octet, octet)
    .map((parts) => parts.join('.'));
  const proxyV4 = fc.tuple(octet, octet, octet).map((parts) => `10.${parts.join('.')}`);

  it('the answer is the peer, a hop of the header, or the rightmost untrusted hop when there is one', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(publicV4, proxyV4, fc.constant('unknown'), fc.string({ maxLength: 8 })), {
          maxLength: 12,
        }),
        fc.oneof(publicV4, proxyV4),
        (hops, peer) => {
          const answer = clientAddressOf(peer, { 'x-forwarded-for': hops.join(', ') }, proxies);
          if (!proxies.trusts(peer)) {
            expect(answer).toBe(peer);
            return;
          }
          const parsed = hops.map((hop) => hopAddress(hop));
          expect([peer, ...parsed]).toContain(answer);
          // Walking from the right over trusted, well-formed hops: the first untrusted one wins.
          let expected = peer;
          for (const hop of [...parsed].reverse()) {
            if (hop === undefined) break;
            expected = hop;
            if (!proxies.trusts(hop)) break;
          }
          expect(answer).toBe(expected);
        },
      ),
    );
  });

  it('examines at most 64 hops of a hostile header', () => {
    const hops = Array.from({ length: 5000 }, (_, i) => `10.0.${(i >> 8) & 255}.${i & 255}`);
    const answer = clientAddressOf(
      '10.0.0.1',
      { 'x-forwarded-for': ['198.51.100.1', ...hops].join(',') },
      proxies,
    );
    expect(answer).toBe(hops[hops.length - 64]);
  });
});
