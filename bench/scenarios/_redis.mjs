/**
 * portcullis's Redis store on the Redis server the runner starts (BENCH_REDIS_PORT). Resolves once
 * the client is connected, so that start-up work (usage plans load their keys) does not race the
 * connection while thirty servers start at once.
 */

import { once } from 'node:events';
import Redis from 'ioredis';
import { redisStore } from '../../dist/redis.js';

export async function benchRedisStore(prefix) {
  const port = Number(process.env.BENCH_REDIS_PORT);
  if (!port)
    throw new Error(
      'BENCH_REDIS_PORT is not set: Redis scenarios need the server the runner starts',
    );
  const client = new Redis({ host: '127.0.0.1', port });
  await once(client, 'ready');
  // The default timeoutMs (50 ms) is exceeded now and then when Redis shares a core with the load
  // generator, and usage plans then answer 503; the bench measures the cost, not that policy.
  return redisStore({ client, prefix, timeoutMs: 1000 });
}
