export { type OpenApiExtras, type OpenApiMiddleware, openapi } from './openapi.js';
export {
  type CanaryOptions,
  OPENAPI_DEFAULTS,
  type OpenApiOptions,
  type StageOptions,
  type UnsupportedItem,
  type UnsupportedReport,
} from './options.js';
