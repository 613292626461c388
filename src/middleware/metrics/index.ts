export { type MetricsMiddleware, metrics } from './metrics.js';
export {
  METRICS_DEFAULTS,
  type MetricsOptions,
  type MetricsRegistry,
  type MetricsStoreSource,
} from './options.js';
