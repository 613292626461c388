/**
 * A real Redis for the Redis store tests, at REDIS_URL (default redis://127.0.0.1:6379).
 * Locally the tests skip with a clear message when none answers; with REQUIRE_REDIS=1 (CI) a
 * missing Redis fails the run instead.
 */

import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const REQUIRED = process.env.REQUIRE_REDIS === '1';

/** Connects, or returns undefined (locally) when no Redis answers within a second. */
export async function connectRedis(): Promise<Redis | undefined> {
  const client = new Redis(REDIS_URL, {
    lazyConnect: true,
    connectTimeout: 1000,
    maxRetriesPerRequest: 1,
    retryStrategy: () => null,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.ping();
    return client;
  } catch (err) {
    client.disconnect();
    if (REQUIRED)
      throw new Error(`REQUIRE_REDIS=1 but no Redis answers at ${REDIS_URL}: ${String(err)}`);
    console.warn(
      `[redis tests skipped] no Redis at ${REDIS_URL} (set REDIS_URL, or start redis-server)`,
    );
    return undefined;
  }
}

/** A key prefix of its own for one test file, so that parallel runs never share keys. */
export function uniquePrefix(label: string): string {
  return `portcullis-test:${label}:${randomUUID().slice(0, 8)}:`;
}

/** Deletes every key under `prefix` (SCAN, not KEYS, so a shared Redis is not blocked). */
export async function deleteByPrefix(client: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
    cursor = next;
    if (keys.length > 0) await client.del(...keys);
  } while (cursor !== '0');
}
