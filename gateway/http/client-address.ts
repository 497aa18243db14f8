import { isIP } from 'node:net';
import { normalizeAddress, type TrustedProxies } from '../../kernel/trusted-proxies.ts';

// The sender's address behind reverse proxies (APISIX, a cloud load balancer).
// `Forwarded`, `X-Forwarded-For` and `X-Real-IP` are only as honest as whoever
// wrote them, so they are read only when the TCP peer is a trusted proxy, and
// only as far back as the chain of trusted proxies goes: the first address
// (from the right) that is not a trusted proxy is the client. Anything a
// sender put further left is its own claim and ignored.

type Headers = Readonly<Record<string, string | string[] | undefined>>;

/** Bound on the hops examined, so a hostile header of thousands of entries costs little. */
const MAX_HOPS = 64;

/**
 * The client's address for a request from TCP peer `peer`. Without trusted
 * proxies, or from a peer that is not one, it is the peer. Otherwise the hops
 * of `Forwarded` (RFC 7239 `for=`), else `X-Forwarded-For`, else `X-Real-IP`
 * are walked from the right past trusted proxies; the first other address is
 * the client. A hop that is not an address (`unknown`, an obfuscated name)
 * ends the walk at the last address known, which is a trusted proxy's.
 */
export function clientAddressOf(peer: string, headers: Headers, proxies: TrustedProxies): string {
  const direct = normalizeAddress(peer);
  if (proxies.none || !proxies.trusts(direct)) return direct;
  const hops = forwardedHops(headers);
  let client = direct;
  for (let index = hops.length - 1, seen = 0; index >= 0 && seen < MAX_HOPS; index--, seen++) {
    const hop = hopAddress(hops[index] as string);
    if (hop === undefined) return client;
    client = hop;
    if (!proxies.trusts(hop)) return hop;
  }
  return client;
}

function headerText(headers: Headers, name: string): string | undefined {
  const value = headers[name];
  if (value === undefined) return undefined;
  return Array.isArray(value) ? value.join(',') : value;
}

/** The raw hops, leftmost (the original client, as claimed) first. */
function forwardedHops(headers: Headers): string[] {
  const forwarded = headerText(headers, 'forwarded');
  if (forwarded !== undefined && forwarded.trim() !== '') return forwardedFor(forwarded);
  const forwardedForHeader = headerText(headers, 'x-forwarded-for');
  if (forwardedForHeader !== undefined && forwardedForHeader.trim() !== '') {
    return forwardedForHeader.split(',').map((hop) => hop.trim());
  }
  const realIp = headerText(headers, 'x-real-ip');
  if (realIp !== undefined && realIp.trim() !== '') return [realIp.trim()];
  return [];
}

/**
 * The `for=` value of every element of an RFC 7239 `Forwarded` header, in
 * order (an element without one contributes an empty hop, which ends the
 * walk). Commas and semicolons inside quoted strings do not split.
 */
export function forwardedFor(header: string): string[] {
  const hops: string[] = [];
  for (const element of splitOutsideQuotes(header, ',')) {
    let hop = '';
    for (const pair of splitOutsideQuotes(element, ';')) {
      const equals = pair.indexOf('=');
      if (equals === -1) continue;
      if (pair.slice(0, equals).trim().toLowerCase() !== 'for') continue;
      hop = unquote(pair.slice(equals + 1).trim());
    }
    hops.push(hop);
  }
  return hops;
}

function splitOutsideQuotes(text: string, separator: string): string[] {
  const parts: string[] = [];
  let quoted = false;
  let start = 0;
  for (let index = 0; index < text.length; index++) {
    const char = text[index];
    if (char === '"') quoted = !quoted;
    else if (char === '\\' && quoted) index++;
    else if (char === separator && !quoted) {
      parts.push(text.slice(start, index));
      start = index + 1;
    }
  }
  parts.push(text.slice(start));
  return parts;
}

function unquote(value: string): string {
  if (value.length < 2 || !value.startsWith('"') || !value.endsWith('"')) return value;
  return value.slice(1, -1).replace(/\\(.)/g, '$1');
}

/**
 * The address of one hop: a bare IPv4 or IPv6 address, `ipv4:port`, or
 * `[ipv6]` / `[ipv6]:port`; undefined for anything else.
 */
export function hopAddress(hop: string): string | undefined {
  let text = hop.trim();
  if (text.startsWith('[')) {
    const end = text.indexOf(']');
    if (end === -1) return undefined;
    const rest = text.slice(end + 1);
    if (rest !== '' && !/^:[0-9]{1,5}$/.test(rest)) return undefined;
    text = text.slice(1, end);
    return isIP(text) === 6 ? normalizeAddress(text) : undefined;
  }
  if (isIP(text) !== 0) return normalizeAddress(text);
  const colon = text.lastIndexOf(':');
  if (colon !== -1 && text.indexOf(':') === colon && /^[0-9]{1,5}$/.test(text.slice(colon + 1))) {
    const address = text.slice(0, colon);
    return isIP(address) === 4 ? address : undefined;
  }
  return undefined;
}
