/** The authorizer-results part of `redisStore()`: one Redis string per result, expiring with a Redis TTL. */

import type { AuthorizerResultStore } from '../authorizer.js';
import type { RedisCall, RedisClient } from './client.js';

export function redisAuthorizerResults(
  client: RedisClient,
  prefix: string,
  call: RedisCall,
): AuthorizerResultStore {
  const full = (key: string) => `${prefix}az:${key}`;
  return {
    async get(key) {
      return (await call(() => client.get(full(key)))) ?? undefined;
    },
    async set(key, value, ttlMs) {
      await call(() => client.set(full(key), value, 'PX', Math.max(1, Math.ceil(ttlMs))));
    },
  };
}
