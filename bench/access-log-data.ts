import { createPrng, type Prng, pick, pickWeighted, randomHex, randomInt } from './seeded-prng.ts';

// Synthetic CDN access logs, shaped like what edge nodes post to a gateway: one JSON object per
// line, about 400 bytes, with the skew of real traffic (mostly cache hits and 200s, a tail of
// 3xx/4xx/5xx, a handful of user agents and hosts). Fully determined by the seed, so benchmarks
// are repeatable and comparable with each other.

/** One access-log record; field names follow common CDN/nginx JSON log formats. */
export interface AccessLogRecord {
  /** Request end, ISO 8601 UTC. */
  ts: string;
  /** 64-bit trace id (16 hex digits, as B3 and edge request ids carry). */
  trace_id: string;
  /** Client address, IPv4 or IPv6. */
  ip: string;
  host: string;
  method: string;
  /** Path with query string. */
  path: string;
  /** Negotiated protocol (ALPN id). */
  proto: string;
  status: number;
  /** Response bytes sent to the client. */
  bytes: number;
  /** Request time in seconds. */
  rt: number;
  /** Upstream (origin) response time in seconds; null when served from cache. */
  urt: number | null;
  cache: string;
  referer: string;
  ua: string;
  /** Edge node that served the request. */
  edge: string;
}

// 2024-06-01T00:00:00Z: a fixed origin keeps the timestamps reproducible.
const EPOCH_MS = Date.UTC(2024, 5, 1);

const HOSTS = [
  'static.example.com',
  'img.example.com',
  'www.example.com',
  'api.example.com',
  'video.example.net',
  'cdn.example.org',
] as const;

const USER_AGENTS: readonly (readonly [string, number])[] = [
  [
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0.0.0 Safari/537.36',
    30,
  ],
  [
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
    20,
  ],
  [
    'Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0.6422.53 Mobile Safari/537.36',
    18,
  ],
  [
    'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Safari/605.1.15',
    12,
  ],
  ['Mozilla/5.0 (X11; Linux x86_64; rv:126.0) Gecko/20100101 Firefox/126.0', 8],
  ['Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)', 5],
  ['ShopApp/5.12.1 (iPhone; iOS 17.5; Scale/3.00)', 6],
  ['Dalvik/2.1.0 (Linux; U; Android 14; Pixel 8 Build/AP2A.240605.024)', 5],
  ['okhttp/4.12.0', 4],
  ['curl/8.5.0', 2],
  ['AppleCoreMedia/1.0.0.21F79 (iPhone; U; CPU OS 17_5 like Mac OS X; en_us)', 1],
];

const STATUSES: readonly (readonly [number, number])[] = [
  [200, 855],
  [206, 20],
  [204, 5],
  [301, 8],
  [302, 12],
  [304, 45],
  [400, 4],
  [403, 6],
  [404, 30],
  [416, 1],
  [429, 2],
  [499, 4],
  [500, 3],
  [502, 2],
  [503, 2],
  [504, 1],
];

const CACHE_STATUSES: readonly (readonly [string, number])[] = [
  ['HIT', 70],
  ['MISS', 18],
  ['EXPIRED', 4],
  ['REVALIDATED', 3],
  ['STALE', 1],
  ['BYPASS', 4],
];

const EDGE_SITES = ['fra1', 'ams2', 'lhr1', 'iad3', 'sjc1', 'nrt1', 'gru1', 'sin2'] as const;

const REFERERS = [
  'https://www.example.com/',
  'https://www.example.com/cart',
  'https://www.google.com/',
  'https://news.example.org/',
  'https://m.facebook.com/',
] as const;

const LANGS = ['en', 'de', 'fr', 'ja', 'pt-BR', 'es'] as const;
const IMAGE_WIDTHS = [160, 320, 480, 640, 960, 1280, 1920] as const;

interface PathShape {
  path: string;
  /** Typical response size in bytes for a 200. */
  bytes: number;
}

function staticAsset(prng: Prng): PathShape {
  const kind = pickWeighted(prng, [
    ['js', 4],
    ['css', 2],
    ['font', 1],
  ] as const);
  const hash = randomHex(prng, 8);
  const version = `v=${randomInt(prng, 1_700_000_000, 1_717_000_000)}`;
  if (kind === 'js') {
    const name = pick(prng, ['app', 'vendor', 'checkout', 'analytics', 'runtime'] as const);
    return {
      path: `/assets/js/${name}.${hash}.js?${version}`,
      bytes: randomInt(prng, 8_000, 420_000),
    };
  }
  if (kind === 'css') {
    return {
      path: `/assets/css/main.${hash}.css?${version}`,
      bytes: randomInt(prng, 4_000, 90_000),
    };
  }
  return {
    path: `/assets/fonts/inter-${pick(prng, ['regular', 'bold', 'italic'] as const)}.${hash}.woff2`,
    bytes: randomInt(prng, 20_000, 110_000),
  };
}

function image(prng: Prng): PathShape {
  const format = pickWeighted(prng, [
    ['webp', 5],
    ['avif', 2],
    ['jpg', 3],
  ] as const);
  const width = pick(prng, IMAGE_WIDTHS);
  return {
    path: `/img/p/${randomInt(prng, 10_000, 999_999)}/${randomHex(prng, 8)}.${format}?w=${width}&q=${pick(prng, [60, 75, 85] as const)}`,
    bytes: Math.round(width * randomInt(prng, 20, 90)),
  };
}

function videoSegment(prng: Prng): PathShape {
  const rendition = pick(prng, ['360p', '480p', '720p', '1080p'] as const);
  return {
    path: `/vod/${randomHex(prng, 10)}/${rendition}/seg_${randomInt(prng, 1, 1800)}.ts?exp=${randomInt(prng, 1_717_000_000, 1_717_200_000)}&sig=${randomHex(prng, 8)}`,
    bytes: randomInt(prng, 200_000, 2_400_000),
  };
}

function apiCall(prng: Prng): PathShape {
  const endpoint = pick(prng, ['products', 'search', 'recommendations', 'inventory', 'prices'] as const);
  const query =
    endpoint === 'search'
      ? `q=${pick(prng, ['shoes', 'rain+jacket', 'usb-c+cable', 'desk+lamp', 'backpack'] as const)}&page=${randomInt(prng, 1, 20)}&sort=${pick(prng, ['relevance', 'price_asc', 'newest'] as const)}`
      : `id=${randomInt(prng, 100_000, 9_999_999)}&lang=${pick(prng, LANGS)}&currency=${pick(prng, ['USD', 'EUR', 'GBP', 'JPY'] as const)}`;
  return {
    path: `/api/v2/${endpoint}?${query}`,
    bytes: randomInt(prng, 300, 24_000),
  };
}

function page(prng: Prng): PathShape {
  const section = pick(prng, ['products', 'category', 'blog', 'help'] as const);
  const utm =
    prng() < 0.3
      ? `?utm_source=${pick(prng, ['newsletter', 'google', 'facebook'] as const)}&utm_medium=${pick(prng, ['email', 'cpc', 'social'] as const)}&utm_campaign=summer-sale-2024`
      : '';
  return {
    path: `/${pick(prng, LANGS)}/${section}/${randomInt(prng, 1_000, 99_999)}-${pick(prng, ['trail-runner', 'linen-shirt', 'espresso-maker', 'city-bike', 'wool-socks'] as const)}${utm}`,
    bytes: randomInt(prng, 12_000, 160_000),
  };
}

function clientIp(prng: Prng): string {
  if (prng() < 0.12) {
    const groups: string[] = [pick(prng, ['2001:db8', '2a02:8109', '2600:1700'] as const)];
    for (let i = 0; i < 4; i++) groups.push(randomInt(prng, 0, 0xffff).toString(16));
    return `${groups.join(':')}::${randomInt(prng, 1, 0xffff).toString(16)}`;
  }
  // Public-looking IPv4; the first octet avoids 0, 10, 127 and the multicast/reserved ranges.
  return `${randomInt(prng, 11, 126)}.${randomInt(prng, 0, 255)}.${randomInt(prng, 0, 255)}.${randomInt(prng, 1, 254)}`;
}

function pathFor(host: string, prng: Prng): PathShape {
  if (host.startsWith('static.') || host.startsWith('cdn.')) return staticAsset(prng);
  if (host.startsWith('img.')) return image(prng);
  if (host.startsWith('video.')) return videoSegment(prng);
  if (host.startsWith('api.')) return apiCall(prng);
  return page(prng);
}

function seconds(value: number): number {
  return Math.round(value * 1000) / 1000;
}

/** The next record of a stream; `atMs` is its time in milliseconds since the epoch. */
export function nextAccessLogRecord(prng: Prng, atMs: number): AccessLogRecord {
  const host = pick(prng, HOSTS);
  const shape = pathFor(host, prng);
  const method = host.startsWith('api.')
    ? pickWeighted(prng, [
        ['GET', 80],
        ['POST', 15],
        ['OPTIONS', 5],
      ] as const)
    : pickWeighted(prng, [
        ['GET', 97],
        ['HEAD', 3],
      ] as const);
  const status = pickWeighted(prng, STATUSES);
  const cacheStatus = status >= 500 || method !== 'GET' ? 'BYPASS' : pickWeighted(prng, CACHE_STATUSES);
  const fromCache = cacheStatus === 'HIT' || cacheStatus === 'STALE';
  const upstreamTime = fromCache ? null : seconds(0.004 + prng() ** 3 * (status >= 500 ? 10 : 1.2));
  const requestTime = seconds((upstreamTime ?? 0) + 0.0005 + prng() ** 4 * 0.4);
  let bytes = shape.bytes;
  if (status === 206) bytes = Math.min(bytes, randomInt(prng, 65_536, 1_048_576));
  else if (status === 304 || status === 204 || method === 'HEAD' || method === 'OPTIONS') bytes = 0;
  else if (status !== 200) bytes = randomInt(prng, 150, 1_200);
  return {
    ts: new Date(atMs).toISOString(),
    trace_id: randomHex(prng, 16),
    ip: clientIp(prng),
    host,
    method,
    path: shape.path,
    proto: pickWeighted(prng, [
      ['h2', 62],
      ['http/1.1', 28],
      ['h3', 10],
    ] as const),
    status,
    bytes,
    rt: requestTime,
    urt: upstreamTime,
    cache: cacheStatus,
    referer: prng() < 0.35 ? '-' : pick(prng, REFERERS),
    ua: pickWeighted(prng, USER_AGENTS),
    edge: `${pick(prng, EDGE_SITES)}-edge-${String(randomInt(prng, 1, 24)).padStart(2, '0')}`,
  };
}

/**
 * `count` access-log records as JSON lines (no trailing newline), the same for the same seed.
 * Timestamps start at 2024-06-01T00:00:00Z and advance a few milliseconds per line, as one
 * busy edge node's log would.
 */
export function generateAccessLogLines(count: number, seed: number): string[] {
  if (!Number.isInteger(count) || count < 0)
    throw new RangeError(`count must be a natural number, got ${count}`);
  const prng = createPrng(seed);
  const lines: string[] = new Array(count);
  let atMs = EPOCH_MS;
  for (let i = 0; i < count; i++) {
    atMs += Math.floor(prng() * 8);
    lines[i] = JSON.stringify(nextAccessLogRecord(prng, atMs));
  }
  return lines;
}
