/** `metrics()` options, their defaults, and the resolved (validated) configuration. */

import {
  assertBoolean,
  assertKnownOptions,
  assertOptionsObject,
  optionRangeError,
  optionTypeError,
  stripUndefined,
} from '../../core/validate.js';

/**
 * What `metrics()` needs of a prom-client `Registry` (any prom-client 14+ registry has it).
 * Structural, so that the types of apps without prom-client never name the package.
 */
export interface MetricsRegistry {
  metrics(): Promise<string>;
  readonly contentType: string;
  getSingleMetric(name: string): unknown;
  registerMetric(metric: never): void;
}

/**
 * A store whose health the `store_up` gauge reports, from its `available` property when it has
 * one (`redisStore()`: client ready and circuit closed): `false` is 0, anything else 1. A store
 * without it (the memory store) is always up.
 */
export type MetricsStoreSource = object;

export interface MetricsOptions {
  /**
   * The prom-client registry the series are registered in, and that `metrics.handler` serves.
   * Several `metrics()` on one registry share its series (they are created once per registry and
   * prefix), so a second instance never throws "already registered".
   * @default prom-client's global `register` (so `collectDefaultMetrics()` sits beside it)
   */
  registry?: MetricsRegistry;
  /** Prefix of every series name (`portcullis_requests_total`...); `''` for none. @default 'portcullis_' */
  prefix?: string;
  /**
   * Upper bounds, in seconds, of the request and integration duration histograms' buckets
   * (ascending, finite, positive).
   * @default [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] (prom-client's defaults)
   */
  buckets?: readonly number[];
  /**
   * Also count requests per API key (`api_key` = the key's public id, never the key, and `plan`),
   * once `usagePlans` accepted it. One series per key and status class: only for a bounded
   * number of keys.
   * @default false
   */
  perApiKey?: boolean;
  /**
   * The path `metrics.handler` answers (GET and HEAD; anything else is passed on), as the client
   * sends it (before any mount prefix is stripped). Requests to it are not counted.
   * @default '/metrics'
   */
  path?: string;
  /**
   * Stores whose health to report in the `store_up{store="<name>"}` gauge: 1 while usable, 0
   * while not (a `redisStore()` that lost its connection or opened its circuit). A store without
   * `available` (the memory store) is always 1. Without stores the gauge has no series.
   * @default {}
   * @example { stores: { redis: store } }
   */
  stores?: Readonly<Record<string, MetricsStoreSource>>;
}

export const METRICS_DEFAULTS = {
  prefix: 'portcullis_',
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  perApiKey: false,
  path: '/metrics',
  stores: {},
} as const satisfies Omit<MetricsOptions, 'registry'>;

const KNOWN_OPTIONS = ['registry', ...Object.keys(METRICS_DEFAULTS)];

/** The resolved configuration; `registry` undefined means prom-client's global one. */
export interface MetricsConfig {
  readonly registry: MetricsRegistry | undefined;
  readonly prefix: string;
  readonly buckets: readonly number[];
  readonly perApiKey: boolean;
  readonly path: string;
  readonly stores: ReadonlyArray<readonly [string, MetricsStoreSource]>;
}

const SCOPE = 'metrics';

/** Prometheus metric names: `[a-zA-Z_:][a-zA-Z0-9_:]*`; a prefix may also be empty. */
const METRIC_NAME_PREFIX = /^(?:[a-zA-Z_:][a-zA-Z0-9_:]*)?$/;

/** Validates `options` once, at start-up. */
export function resolveMetricsOptions(options: MetricsOptions = {}): MetricsConfig {
  assertOptionsObject(SCOPE, options);
  assertKnownOptions(SCOPE, options, KNOWN_OPTIONS);
  const o = { ...METRICS_DEFAULTS, ...stripUndefined(options) };
  if (typeof o.prefix !== 'string' || !METRIC_NAME_PREFIX.test(o.prefix))
    throw optionTypeError(
      SCOPE,
      'prefix',
      'a Prometheus name prefix ([a-zA-Z_:][a-zA-Z0-9_:]*)',
      o.prefix,
    );
  assertBoolean(SCOPE, 'perApiKey', o.perApiKey);
  if (typeof o.path !== 'string' || !o.path.startsWith('/') || /[?#]/.test(o.path))
    throw optionTypeError(SCOPE, 'path', "a path starting with '/', without a query", o.path);
  return Object.freeze({
    registry: checkedRegistry(o.registry),
    prefix: o.prefix,
    buckets: checkedBuckets(o.buckets),
    perApiKey: o.perApiKey,
    path: o.path,
    stores: checkedStores(o.stores),
  });
}

function checkedRegistry(registry: unknown): MetricsRegistry | undefined {
  if (registry === undefined) return undefined;
  const r = registry as Partial<MetricsRegistry> | null;
  if (
    typeof r !== 'object' ||
    r === null ||
    typeof r.metrics !== 'function' ||
    typeof r.getSingleMetric !== 'function' ||
    typeof r.registerMetric !== 'function'
  )
    throw optionTypeError(SCOPE, 'registry', 'a prom-client Registry (new Registry())', registry);
  return r as MetricsRegistry;
}

function checkedBuckets(buckets: unknown): readonly number[] {
  if (!Array.isArray(buckets) || buckets.length === 0)
    throw optionTypeError(SCOPE, 'buckets', 'a non-empty array of numbers (seconds)', buckets);
  let previous = 0;
  for (const bound of buckets) {
    if (typeof bound !== 'number' || !Number.isFinite(bound) || bound <= previous)
      throw optionRangeError(
        SCOPE,
        'buckets',
        'ascending, finite, positive numbers of seconds',
        bound,
      );
    previous = bound;
  }
  return Object.freeze([...buckets]);
}

function checkedStores(stores: unknown): ReadonlyArray<readonly [string, MetricsStoreSource]> {
  if (typeof stores !== 'object' || stores === null || Array.isArray(stores))
    throw optionTypeError(SCOPE, 'stores', 'an object of named stores ({ redis: store })', stores);
  const entries = Object.entries(stores as Record<string, unknown>);
  for (const [name, store] of entries) {
    if (typeof store !== 'object' || store === null)
      throw optionTypeError(SCOPE, `stores.${name}`, 'a store', store);
  }
  return Object.freeze(entries as Array<[string, MetricsStoreSource]>);
}
