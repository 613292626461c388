export {
  type RedisClient,
  type StoreState,
  StoreTimeoutError,
  StoreUnavailableError,
} from './client.js';
export {
  REDIS_STORE_DEFAULTS,
  type RedisStore,
  type RedisStoreOptions,
  redisStore,
} from './redis-store.js';
