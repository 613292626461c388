/** portcullis's Redis store on the Redis server the runner starts (BENCH_REDIS_PORT); one client per process. */

import Redis from 'ioredis';
import { redisStore } from '../../dist/redis.js';

export function benchRedisStore(prefix) {
  const port = Number(process.env.BENCH_REDIS_PORT);
  if (!port)
    throw new Error(
      'BENCH_REDIS_PORT is not set: Redis scenarios need the server the runner starts',
    );
  return redisStore({ client: new Redis({ host: '127.0.0.1', port }), prefix });
}
