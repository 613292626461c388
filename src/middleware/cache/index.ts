export { type CacheControls, type CacheMiddleware, type CacheStats, cache } from './cache.js';
export { CACHE_DEFAULTS, type CacheOptions, type InvalidationPredicate } from './options.js';
