export { cors } from './cors.js';
export { CORS_DEFAULTS, type CorsOptions, type OriginPredicate } from './options.js';
