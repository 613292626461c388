export { type OpenApiExtras, type OpenApiMiddleware, openapi } from './openapi.js';
export {
  type CanaryOptions,
  type LambdaHandler,
  OPENAPI_DEFAULTS,
  type OpenApiOptions,
  type StageOptions,
  type UnsupportedItem,
  type UnsupportedReport,
} from './options.js';
