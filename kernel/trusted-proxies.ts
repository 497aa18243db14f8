import { BlockList, isIP } from 'node:net';

// `server.trustedProxies`: which TCP peers may speak for the client in forwarding headers.
// The gateway matches peers with it; the operator checks its --gateway-trusted-proxies with
// the same parser, so a list the operator accepts is one every gateway pod accepts.

/** A compiled `server.trustedProxies` list. */
export interface TrustedProxies {
  /** True when no proxy is trusted: the TCP peer is always the client. */
  readonly none: boolean;
  trusts(address: string): boolean;
}

export type TrustedProxiesResult =
  | { readonly ok: true; readonly proxies: TrustedProxies }
  | {
      readonly ok: false;
      readonly issues: ReadonlyArray<{ readonly index: number; readonly message: string }>;
    };

const NO_PROXIES: TrustedProxies = { none: true, trusts: () => false };

/** Compiles CIDRs (`10.0.0.0/8`, `fd00::/8`) and single addresses into a matcher; never throws. */
export function compileTrustedProxies(entries: readonly string[]): TrustedProxiesResult {
  if (entries.length === 0) return { ok: true, proxies: NO_PROXIES };
  const list = new BlockList();
  const issues: Array<{ index: number; message: string }> = [];
  entries.forEach((entry, index) => {
    const problem = addEntry(list, entry.trim());
    if (problem !== undefined) issues.push({ index, message: problem });
  });
  if (issues.length > 0) return { ok: false, issues };
  return {
    ok: true,
    proxies: {
      none: false,
      trusts: (address) => {
        const family = isIP(address);
        return family !== 0 && list.check(address, family === 4 ? 'ipv4' : 'ipv6');
      },
    },
  };
}

function addEntry(list: BlockList, entry: string): string | undefined {
  const slash = entry.indexOf('/');
  const written = slash === -1 ? entry : entry.slice(0, slash);
  const address = normalizeAddress(written);
  // ::ffff:a.b.c.d/104 is the IPv4 subnet /8: peers are matched in their IPv4 form.
  const mappedBits = address !== written ? 96 : 0;
  const family = isIP(address);
  if (family === 0) return `"${entry}" is not an IP address or CIDR (e.g. 10.0.0.0/8, fd00::/8)`;
  const type = family === 4 ? 'ipv4' : 'ipv6';
  if (slash === -1) {
    list.addAddress(address, type);
    return undefined;
  }
  const prefixText = entry.slice(slash + 1);
  const prefix = (/^[0-9]{1,3}$/.test(prefixText) ? Number(prefixText) : Number.NaN) - mappedBits;
  const max = family === 4 ? 32 : 128;
  if (!(prefix >= 0 && prefix <= max)) {
    return `"${entry}": the prefix length must be ${mappedBits}-${max + mappedBits}`;
  }
  list.addSubnet(address, prefix, type);
  return undefined;
}

const MAPPED_V4 = /^::ffff:(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})$/i;

/** An IPv4-mapped IPv6 address (`::ffff:10.0.0.1`, what a dual-stack socket reports) as IPv4. */
export function normalizeAddress(address: string): string {
  const mapped = MAPPED_V4.exec(address);
  return mapped ? (mapped[1] as string) : address;
}
