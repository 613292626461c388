export { jwt } from './jwt.js';
export { JWT_DEFAULTS } from './options.js';
export type {
  JwtAlgorithm,
  JwtOptions,
  JwtResponses,
  JwtTokenGetter,
  JwtTokenSources,
} from './types.js';
