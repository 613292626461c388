/**
 * `portcullis/redis`: the Redis store, in its own entry so that apps on the in-memory default
 * never load ioredis (an optional peer dependency; only its types are imported here).
 */

export {
  REDIS_STORE_DEFAULTS,
  type RedisClient,
  type RedisStore,
  type RedisStoreOptions,
  redisStore,
  type StoreState,
  StoreTimeoutError,
  StoreUnavailableError,
} from './stores/redis/index.js';
