export { type AccessLogExtras, type AccessLogMiddleware, accessLog } from './access-log.js';
export { CLF_TEMPLATE, TEMPLATE_VARIABLES } from './format.js';
export {
  ACCESS_LOG_DEFAULTS,
  type AccessLogger,
  type AccessLogOptions,
  type RecordFormatter,
} from './options.js';
export { type AccessLogRecord, type CacheStatus, REDACTED } from './record.js';
export type { Destination } from './writer.js';
