// Kafka's key hashing as the Java client (Utils.murmur2) and librdkafka's `murmur2_random`
// partitioner do it, so a key lands on the same partition whichever client produced it.

const SEED = 0x9747b28c;
const M = 0x5bd1e995;
const R = 24;

/**
 * MurmurHash2 (32-bit, Kafka's seed) of `data`, as the signed 32-bit integer Java returns.
 * Math.imul keeps every product in 32 bits, as Java's int arithmetic does.
 */
export function murmur2(data: Buffer): number {
  const length = data.length;
  let h = SEED ^ length;
  const tailStart = length - (length % 4);
  for (let i = 0; i < tailStart; i += 4) {
    let k = data.readInt32LE(i);
    k = Math.imul(k, M);
    k ^= k >>> R;
    k = Math.imul(k, M);
    h = Math.imul(h, M) ^ k;
  }
  const rest = length - tailStart;
  if (rest > 0) {
    if (rest === 3) h ^= (data[tailStart + 2] ?? 0) << 16;
    if (rest >= 2) h ^= (data[tailStart + 1] ?? 0) << 8;
    h ^= data[tailStart] ?? 0;
    h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

/**
 * The non-negative hash the Java client takes modulo the partition count
 * (`Utils.toPositive(Utils.murmur2(key)) % numPartitions`); callers that know the count
 * apply the modulo.
 */
export function keyHash(key: Buffer): number {
  return murmur2(key) & 0x7fffffff;
}
