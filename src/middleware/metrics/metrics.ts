/** `gateway.metrics()`: API Gateway's CloudWatch metrics as Prometheus series, through prom-client. */

import type { Registry } from 'prom-client';
import { createMiddleware } from '../../adapters/universal.js';
import type { Exchange, Next } from '../../core/exchange.js';
import type { GatewayMiddleware } from '../../core/middleware.js';
import { originForm, pathEnd } from '../../core/target.js';
import { type MetricsConfig, type MetricsOptions, resolveMetricsOptions } from './options.js';
import { loadPromClient } from './prom-client.js';
import { seriesFor } from './registry.js';
import { type Series, UNMATCHED_ROUTE } from './series.js';

/** What `metrics()` returns: the recording middleware, with the exposition handler beside it. */
export interface MetricsMiddleware extends GatewayMiddleware {
  /**
   * Answers `GET`/`HEAD` of the `path` option (default `/metrics`) with the registry's series in
   * the exposition format and the registry's content type; passes every other request on. A
   * failing collector goes to the framework's error handling (500 by default).
   */
  readonly handler: GatewayMiddleware;
}

/**
 * Records every request it sees, once its response ended or its client went away: mount it
 * first, so that it sees the gateway's own refusals (429, 403, 502, 504) and the cache's hits.
 * Labels stay bounded: the route template the app's router matched (Express's mount path +
 * `req.route.path`, @koa/router's `_matchedRoute`), never the raw path; requests no route
 * matched share `route="UNMATCHED"`.
 *
 * Series (after `prefix`, default `portcullis_`): `requests_total{method,route,status_class}`,
 * `request_duration_seconds{method,route,status_class}` (Latency),
 * `integration_duration_seconds{method,route}` (IntegrationLatency), `cache_hits_total`,
 * `cache_misses_total`, `throttled_total{policy}`, `quota_exceeded_total{plan}`,
 * `gateway_responses_total{response_type}`, `integration_errors_total{kind}`,
 * `requests_in_flight`, `store_up{store}`, and with `perApiKey`,
 * `api_key_requests_total{api_key,plan,status_class}`.
 *
 * @example
 * const metrics = gateway.metrics({ stores: { redis: store } });
 * app.use(metrics);               // first
 * app.get('/metrics', metrics.handler); // Koa: app.use(metrics.handler)
 * @see https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-metrics-and-dimensions.html
 */
export function metrics(options?: MetricsOptions): MetricsMiddleware {
  const config = resolveMetricsOptions(options);
  const prom = loadPromClient();
  const registry = (config.registry ?? prom.register) as Registry;
  const series = seriesFor(prom, registry, config);

  const handler = createMiddleware('metricsHandler', function metricsHandler(ex, next) {
    if (!isScrape(ex, config) || (ex.method !== 'GET' && ex.method !== 'HEAD')) return next();
    return scrape(ex, registry);
  });

  return createMiddleware(
    'metrics',
    function metrics(ex, next) {
      if (isScrape(ex, config)) return next();
      return observe(ex, next, series, config.perApiKey);
    },
    { handler },
  );
}

/**
 * Whether the request is for the exposition path (as the client sent it, and as the router reads
 * it: with a query or a fragment after it, not a longer path).
 */
function isScrape(ex: Exchange, config: MetricsConfig): boolean {
  // An absolute-form target (`GET http://host/metrics`) is routed by its path, as here.
  const url = originForm(ex.originalUrl);
  return url.startsWith(config.path) && pathEnd(url) === config.path.length;
}

async function scrape(ex: Exchange, registry: Registry): Promise<void> {
  const text = await registry.metrics();
  ex.setHeader('content-type', registry.contentType);
  ex.respond(200, ex.method === 'HEAD' ? null : text);
}

/** Counts the request in flight and records it once, when the response is over. */
function observe(
  ex: Exchange,
  next: Next,
  series: Series,
  perApiKey: boolean,
): void | PromiseLike<void> {
  series.inFlight++;
  const started = performance.now();
  // 'close' comes once per response, after 'finish' or instead of it (a client gone, a
  // destroyed socket), so the in-flight count goes down exactly once. `on`, not `once`: the
  // event cannot repeat, and `once` allocates a wrapper per request.
  ex.res.on('close', () => record(ex, series, perApiKey, started));
  return next();
}

/** Records a finished (or abandoned) request in every series it belongs to. */
function record(ex: Exchange, series: Series, perApiKey: boolean, started: number): void {
  series.inFlight--;
  const res = ex.res;
  const statusClass = res.writableFinished ? Math.floor(res.statusCode / 100) : 0;
  const route = series.route(ex.routeTemplate ?? UNMATCHED_ROUTE);
  const method = route.method(ex.method);
  const request = method.request(statusClass);
  request.count.pending++;
  request.duration.observe((performance.now() - started) / 1000);
  const gateway = ex.gateway;
  if (gateway.integrationLatency !== undefined)
    method.integration().observe(gateway.integrationLatency / 1000);
  const cache = gateway.cache;
  // RFC 9211 values: `portcullis; hit...` is a hit, `fwd=miss` / `fwd=request` went to the
  // backend; `fwd=bypass` (not cacheable) is neither, as in API Gateway's CacheMissCount.
  if (cache !== undefined) {
    if (cache.includes('; hit')) series.cacheHits.pending++;
    else if (cache.includes('fwd=miss') || cache.includes('fwd=request'))
      series.cacheMisses.pending++;
  }
  const error = gateway.error;
  if (error !== undefined) recordRefusal(ex, series, error.responseType);
  if (gateway.integrationError !== undefined)
    series.integrationErrors.add(gateway.integrationError);
  const apiKey = gateway.apiKey;
  if (perApiKey && apiKey !== undefined)
    series.addApiKeyRequest(apiKey.id, apiKey.plan, statusClass);
}

/** A response the gateway sent itself: by type, and the 429s by policy or plan. */
function recordRefusal(ex: Exchange, series: Series, responseType: string): void {
  series.gatewayResponses.add(responseType);
  if (responseType === 'THROTTLED') series.throttled.add(ex.gateway.throttle?.policy ?? '');
  else if (responseType === 'QUOTA_EXCEEDED')
    series.quotaExceeded.add(ex.gateway.apiKey?.plan ?? '');
}
