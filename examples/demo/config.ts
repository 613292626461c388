/** What the demo gateways share: the allowed origin, the plans and keys, and the store. */

import type { GatewayStore } from '../../src/index.js';
import { memoryStore } from '../../src/index.js';
import type { CacheStore } from '../../src/stores/cache.js';

export const DEMO_ORIGIN = 'https://app.example.com';

export const CORS_OPTIONS = {
  origin: [DEMO_ORIGIN],
  credentials: true,
  exposedHeaders: [
    'x-request-id',
    'RateLimit',
    'RateLimit-Policy',
    'Retry-After',
    'Cache-Status',
    'Age',
  ],
};

/** A trial plan that runs out of quota after 3 requests, a free plan throttled at burst 2, a pro plan. */
export const DEMO_PLANS = {
  trial: { quota: { limit: 3, period: 'day' as const } },
  free: { throttle: { rate: 1, burst: 2 }, quota: { limit: 1000, period: 'month' as const } },
  pro: { throttle: { rate: 50, burst: 100 }, quota: { limit: 100_000, period: 'day' as const } },
};

export const DEMO_KEYS = [
  { id: 'demo-trial', key: 'trial-demo-key-0123456789abcdef', plan: 'trial' },
  { id: 'demo-free', key: 'free-demo-key-0123456789abcdef', plan: 'free' },
  { id: 'demo-pro', key: 'pro-demo-key-0123456789abcdef0', plan: 'pro' },
];

export interface DemoStore {
  readonly store: GatewayStore & { readonly cache: CacheStore };
  /** Where the state lives, for the banner. */
  readonly label: string;
  close(): Promise<void>;
}

/**
 * The in-memory default, or Redis when `REDIS_URL` is set (`REDIS_URL=redis://127.0.0.1:6379 npm
 * run demo`). A Redis run uses a key prefix of its own and deletes it on exit, so every demo run
 * starts with fresh quotas.
 */
export async function demoStore(redisUrl = process.env.REDIS_URL): Promise<DemoStore> {
  if (redisUrl === undefined || redisUrl === '') {
    return { store: memoryStore(), label: 'in-memory store', close: async () => undefined };
  }
  const { Redis } = await import('ioredis');
  const { redisStore } = await import('../../src/redis.js');
  const client = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  const prefix = `portcullis-demo:${Date.now().toString(36)}:`;
  return {
    // A laptop running the demo (or a loaded test machine) can be slower than the 50 ms default.
    store: redisStore({ client, prefix, timeoutMs: 1000 }),
    label: `Redis at ${redisUrl} (keys under ${prefix})`,
    close: async () => {
      let cursor = '0';
      do {
        const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
        cursor = next;
        if (keys.length > 0) await client.del(...keys);
      } while (cursor !== '0');
      await client.quit();
    },
  };
}
