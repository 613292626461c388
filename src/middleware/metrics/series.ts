/**
 * The series `metrics()` records, created once per registry and prefix and shared by every
 * `metrics()` on them; and the per-route cells, created on a route's first request and reused,
 * so that recording a request allocates nothing once its label set was seen.
 */

import type { Registry } from 'prom-client';
import type { MetricsStoreSource } from './options.js';
import type { PromClient } from './prom-client.js';
import {
  type HistogramCell,
  KeyedCounter,
  TalliedCounter,
  TalliedHistogram,
  type Tally,
} from './tally.js';

/**
 * `status_class` label values by `Math.floor(status / 100)`; index 0 is a response that never
 * finished (the client went away, or the connection broke, before it was sent whole).
 */
export const STATUS_CLASSES: readonly string[] = [
  'aborted',
  '1xx',
  '2xx',
  '3xx',
  '4xx',
  '5xx',
  '6xx',
  '7xx',
  '8xx',
  '9xx',
];

/** The `route` label of a request no router route matched (a middleware answered, or nothing did). */
export const UNMATCHED_ROUTE = 'UNMATCHED';

/**
 * Route labels kept at most; requests of any further template count under `OTHER_ROUTE`. An app
 * has a bounded number of templates, but Express reports a router's mount path as it matched
 * (`req.baseUrl`: `/users/7` for a router mounted at `/users/:id`, `/API` for one at `/api`), so
 * its labels grow with the clients' paths unless they are capped.
 */
export const MAX_ROUTE_LABELS = 1000;
export const OTHER_ROUTE = 'OTHER';

/** Series names after the prefix: checked before any is registered (see `seriesFor`). */
export const SERIES_NAMES = [
  'requests_total',
  'request_duration_seconds',
  'integration_duration_seconds',
  'cache_hits_total',
  'cache_misses_total',
  'throttled_total',
  'quota_exceeded_total',
  'gateway_responses_total',
  'integration_errors_total',
  'requests_in_flight',
  'store_up',
  'api_key_requests_total',
] as const;

/** The series a request with one method, route and status class counts in. */
export interface RequestCell {
  readonly count: Tally;
  readonly duration: HistogramCell;
}

/** One method on one route: its request cells by status class and its integration histogram. */
export class MethodCells {
  private readonly byClass: Array<RequestCell | undefined> = [];
  private integrationCell: HistogramCell | undefined;

  constructor(
    private readonly series: Series,
    private readonly method: string,
    private readonly route: string,
  ) {}

  /** The cell of this method and route with `statusClass` (an index of `STATUS_CLASSES`). */
  request(statusClass: number): RequestCell {
    let cell = this.byClass[statusClass];
    if (cell === undefined) {
      const labels = {
        method: this.method,
        route: this.route,
        status_class: STATUS_CLASSES[statusClass]!,
      };
      cell = {
        count: this.series.requests.tally(labels),
        duration: this.series.duration.cell(labels),
      };
      this.byClass[statusClass] = cell;
    }
    return cell;
  }

  /** The integration duration of this method and route. */
  integration(): HistogramCell {
    this.integrationCell ??= this.series.integrationDuration.cell({
      method: this.method,
      route: this.route,
    });
    return this.integrationCell;
  }
}

/** One route template: its methods. */
export class RouteCells {
  private readonly methods = new Map<string, MethodCells>();

  constructor(
    private readonly series: Series,
    private readonly route: string,
  ) {}

  method(method: string): MethodCells {
    let cells = this.methods.get(method);
    if (cells === undefined) {
      cells = new MethodCells(this.series, method, this.route);
      this.methods.set(method, cells);
    }
    return cells;
  }
}

/** Every series of one registry and prefix. */
export class Series {
  /** Requests between their start and their response's end (or the connection's close). */
  inFlight = 0;
  readonly buckets: readonly number[];
  readonly requests: TalliedCounter;
  readonly duration: TalliedHistogram;
  readonly integrationDuration: TalliedHistogram;
  readonly cacheHits: Tally;
  readonly cacheMisses: Tally;
  readonly throttled: KeyedCounter;
  readonly quotaExceeded: KeyedCounter;
  readonly gatewayResponses: KeyedCounter;
  readonly integrationErrors: KeyedCounter;
  /** Stores reported by `store_up`, by name. */
  readonly stores = new Map<string, MetricsStoreSource>();
  private readonly routes = new Map<string, RouteCells>();
  private apiKeyCounter: TalliedCounter | undefined;
  /** API key id → plan → tallies by status class. */
  private readonly apiKeys = new Map<string, Map<string, Array<Tally | undefined>>>();

  constructor(
    private readonly prom: PromClient,
    private readonly registry: Registry,
    private readonly prefix: string,
    buckets: readonly number[],
  ) {
    this.buckets = buckets;
    const p = prefix;
    const counter = (name: string, help: string, labels: readonly string[]) =>
      new TalliedCounter(prom, registry, p + name, help, labels);
    const keyed = (name: string, help: string, label: string) =>
      new KeyedCounter(prom, registry, p + name, help, label);
    const histogram = (name: string, help: string) =>
      new TalliedHistogram(registry, p + name, help, buckets);
    this.requests = counter(
      'requests_total',
      "Requests answered (API Gateway's Count), by method, route template and status class; 4xx and 5xx are its status_class values",
      ['method', 'route', 'status_class'],
    );
    this.duration = histogram(
      'request_duration_seconds',
      "Time from the request's arrival at the gateway to the end of its response (API Gateway's Latency), by method, route template and status class",
    );
    this.integrationDuration = histogram(
      'integration_duration_seconds',
      "Time spent waiting for the proxied upstream (API Gateway's IntegrationLatency), by method and route template",
    );
    // No route label: a hit is answered before the app's router runs (its route is UNMATCHED).
    this.cacheHits = counter(
      'cache_hits_total',
      "Responses served from the gateway cache (API Gateway's CacheHitCount)",
      [],
    ).tally({});
    this.cacheMisses = counter(
      'cache_misses_total',
      "Cacheable requests the backend answered (API Gateway's CacheMissCount)",
      [],
    ).tally({});
    this.throttled = keyed(
      'throttled_total',
      'Requests refused 429 by a throttle, by policy',
      'policy',
    );
    this.quotaExceeded = keyed(
      'quota_exceeded_total',
      "Requests refused 429 by a usage plan's quota, by plan",
      'plan',
    );
    this.gatewayResponses = keyed(
      'gateway_responses_total',
      "Responses the gateway sent itself (refusals, 502/504), by API Gateway's response type",
      'response_type',
    );
    this.integrationErrors = keyed(
      'integration_errors_total',
      'Upstream failures, by kind (refused, reset, timeout, dns, tls, other)',
      'kind',
    );
    const series = this;
    new prom.Gauge({
      name: `${p}requests_in_flight`,
      help: 'Requests being processed',
      registers: [registry],
      collect() {
        this.set(series.inFlight);
      },
    });
    new prom.Gauge({
      name: `${p}store_up`,
      help: 'Whether a store is usable (1) or not (0), by store name',
      labelNames: ['store'],
      registers: [registry],
      collect() {
        this.reset();
        for (const [name, store] of series.stores) this.set({ store: name }, storeUp(store));
      },
    });
  }

  /** The cells of a route template (`UNMATCHED_ROUTE` for none). */
  route(template: string): RouteCells {
    let cells = this.routes.get(template);
    if (cells === undefined) {
      const label = this.routes.size < MAX_ROUTE_LABELS ? template : OTHER_ROUTE;
      if (label === OTHER_ROUTE) warnRoutesCapped();
      cells = this.routes.get(label) ?? new RouteCells(this, label);
      this.routes.set(label, cells);
    }
    return cells;
  }

  /** Creates the per-API-key counter, once (the first `metrics({ perApiKey: true })`). */
  countApiKeys(): void {
    this.apiKeyCounter ??= new TalliedCounter(
      this.prom,
      this.registry,
      `${this.prefix}api_key_requests_total`,
      'Requests admitted or refused with an API key, by key id, plan and status class',
      ['api_key', 'plan', 'status_class'],
    );
  }

  /** Counts one request of API key `id` on `plan` (after `countApiKeys`). */
  addApiKeyRequest(id: string, plan: string, statusClass: number): void {
    const counter = this.apiKeyCounter;
    if (counter === undefined) return;
    let plans = this.apiKeys.get(id);
    if (plans === undefined) {
      plans = new Map();
      this.apiKeys.set(id, plans);
    }
    let byClass = plans.get(plan);
    if (byClass === undefined) {
      byClass = [];
      plans.set(plan, byClass);
    }
    let tally = byClass[statusClass];
    if (tally === undefined) {
      tally = counter.tally({ api_key: id, plan, status_class: STATUS_CLASSES[statusClass]! });
      byClass[statusClass] = tally;
    }
    tally.pending++;
  }
}

let routesCapped = false;

/** Tells the app once that its route labels reached the cap (a mount path with parameters?). */
function warnRoutesCapped(): void {
  if (routesCapped) return;
  routesCapped = true;
  process.emitWarning(
    `portcullis.metrics: more than ${MAX_ROUTE_LABELS} route templates; further ones count as route="${OTHER_ROUTE}" (an Express router mounted at a path with parameters names each match apart)`,
    { code: 'PORTCULLIS_METRICS_ROUTES' },
  );
}

/** A throwing or missing `available` must not break the scrape: a throw is "not usable". */
function storeUp(store: MetricsStoreSource): number {
  try {
    return (store as { available?: unknown }).available === false ? 0 : 1;
  } catch {
    return 0;
  }
}
