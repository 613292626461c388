/**
 * Which series a `metrics()` records into: one set per registry and prefix, shared by every
 * `metrics()` on them, so that a second instance (or the other module build of portcullis in the
 * same process) reuses them instead of throwing "already registered".
 */

import type { Registry } from 'prom-client';
import type { MetricsConfig } from './options.js';
import type { PromClient } from './prom-client.js';
import { SERIES_NAMES, Series } from './series.js';

/** Where the series of each registry live: global, so that the ESM and CJS builds share them. */
const TABLE = Symbol.for('portcullis.metrics.series');

function seriesTable(): WeakMap<object, Map<string, Series>> {
  const holder = globalThis as { [TABLE]?: WeakMap<object, Map<string, Series>> };
  holder[TABLE] ??= new WeakMap();
  return holder[TABLE];
}

/**
 * The series of `registry` and the config's prefix: created on first use, reused afterwards. A
 * name the registry already holds from elsewhere is refused before anything is registered.
 */
export function seriesFor(prom: PromClient, registry: Registry, config: MetricsConfig): Series {
  const table = seriesTable();
  let byPrefix = table.get(registry);
  if (byPrefix === undefined) {
    byPrefix = new Map();
    table.set(registry, byPrefix);
  }
  let series = byPrefix.get(config.prefix);
  if (series === undefined) {
    for (const name of SERIES_NAMES) {
      if (registry.getSingleMetric(config.prefix + name) !== undefined)
        throw new TypeError(
          `portcullis.metrics: the registry already has a metric named "${config.prefix + name}" that metrics() did not create; choose another option "prefix"`,
        );
    }
    series = new Series(prom, registry, config.prefix, config.buckets);
    byPrefix.set(config.prefix, series);
  } else if (series.buckets.join() !== config.buckets.join()) {
    throw new RangeError(
      `portcullis.metrics: option "buckets" differs from the first metrics() on this registry and prefix (${series.buckets.join(', ')}); use the same buckets or another prefix`,
    );
  }
  if (config.perApiKey) series.countApiKeys();
  for (const [name, store] of config.stores) series.stores.set(name, store);
  return series;
}
