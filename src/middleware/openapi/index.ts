export { type OpenApiExtras, type OpenApiMiddleware, openapi } from './openapi.js';
export {
  type CanaryOptions,
  OPENAPI_DEFAULTS,
  type OpenApiLambdaHandler,
  type OpenApiOptions,
  type StageOptions,
  type UnsupportedItem,
  type UnsupportedReport,
} from './options.js';
