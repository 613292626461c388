import { Agent, request as httpRequest } from 'node:http';
import { Router as KoaRouter } from '@koa/router';
import express5 from 'express';
import express4 from 'express4';
import { Counter, Histogram, Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  describeEachFramework,
  type Framework,
  type TestApp,
} from '../../../test/support/frameworks.js';
import { manualClock } from '../../../test/support/manual-clock.js';
import { RawConnection } from '../../../test/support/raw-http.js';
import { connectRedis, uniquePrefix } from '../../../test/support/redis.js';
import {
  deadPort,
  startEchoUpstream,
  startResettingUpstream,
  type Upstream,
} from '../../../test/support/upstream.js';
import { memoryStore } from '../../index.js';
import { redisStore } from '../../redis.js';
import { cache } from '../cache/index.js';
import { proxy } from '../proxy/index.js';
import { throttle } from '../throttle/index.js';
import { usagePlans } from '../usage-plans/index.js';
import { metrics } from './index.js';
import { TalliedHistogram } from './tally.js';

const GOLD_KEY = 'gold-key-0123456789abcdef';

/** One exposition-format sample per `name{label="value",...}` (labels sorted), with its value. */
function parseExposition(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (match === null) throw new Error(`not an exposition line: ${line}`);
    const labels = [...(match[2] ?? '').matchAll(/([a-zA-Z_]\w*)="((?:[^"\\]|\\.)*)"/g)]
      .map(([, name, value]) => `${name}="${value}"`)
      .sort();
    samples.set(`${match[1]}{${labels.join(',')}}`, Number(match[3]));
  }
  return samples;
}

async function scrape(app: TestApp): Promise<Map<string, number>> {
  const res = await app.request('/metrics');
  expect(res.status).toBe(200);
  return parseExposition(res.body);
}

/** `framework`-specific routers: Express's route templates come from its Router, Koa's from @koa/router. */
function routes(fw: Framework, define: (get: (path: string, status?: number) => void) => void) {
  if (fw.kind === 'koa') {
    const router = new KoaRouter();
    define((path, status = 200) =>
      router.get(path, (ctx) => {
        ctx.status = status;
        ctx.body = 'ok';
      }));
    return { koa: router.routes() as never };
  }
  const router = (fw.name === 'express4' ? express4 : express5).Router();
  define((path, status = 200) =>
    router.get(path, (_req: unknown, res: { status(s: number): { send(b: string): void } }) =>
      res.status(status).send('ok'),
    ));
  return { express: router as never };
}

/** A middleware only for requests under `path`, in either framework. */
function under(fw: Framework, path: string, middleware: (...args: never[]) => unknown) {
  if (fw.kind === 'koa') {
    return {
      koa: ((ctx: { path: string }, next: () => Promise<void>) =>
        ctx.path === path ? middleware(ctx as never, next as never) : next()) as never,
    };
  }
  const router = (fw.name === 'express4' ? express4 : express5).Router();
  router.use(path, middleware as never);
  return { express: router as never };
}

describe('metrics() options', () => {
  it('throws at start-up on bad options, naming the option', () => {
    expect(() => metrics({ prefix: 'has space' })).toThrow(/option "prefix"/);
    expect(() => metrics({ buckets: [] })).toThrow(/option "buckets"/);
    expect(() => metrics({ buckets: [1, 0.5] })).toThrow(RangeError);
    expect(() => metrics({ perApiKey: 'yes' as never })).toThrow(/option "perApiKey"/);
    expect(() => metrics({ path: 'metrics' })).toThrow(/option "path"/);
    expect(() => metrics({ registry: {} as never })).toThrow(/option "registry"/);
    expect(() => metrics({ stores: { redis: null as never } })).toThrow(/option "stores.redis"/);
    expect(() => metrics({ registery: new Registry() } as never)).toThrow(/unknown option/);
  });

  it('shares the series of one registry between several metrics() instead of throwing', () => {
    const registry = new Registry();
    metrics({ registry });
    expect(() => metrics({ registry, perApiKey: true })).not.toThrow();
    expect(() => metrics({ registry, buckets: [1, 2] })).toThrow(/option "buckets"/);
    // Another prefix is another set of series.
    expect(() => metrics({ registry, prefix: 'edge_', buckets: [1, 2] })).not.toThrow();
  });

  it('refuses a prefix whose names the registry already holds from elsewhere', () => {
    const registry = new Registry();
    new Counter({ name: 'app_requests_total', help: 'mine', registers: [registry] });
    expect(() => metrics({ registry, prefix: 'app_' })).toThrow(/option "prefix"/);
  });
});

describe('the tallied histogram', () => {
  it("exposes exactly what prom-client's own Histogram exposes for the same observations", async () => {
    const ours = new Registry();
    const theirs = new Registry();
    const buckets = [0.005, 0.01, 0.5, 1];
    const labels = { method: 'GET', route: '/a"b\\c' };
    const histogram = new TalliedHistogram(ours, 'd_seconds', 'Durations', buckets);
    const cell = histogram.cell(labels);
    histogram.cell({ method: 'PUT', route: '/never' });
    const reference = new Histogram({
      name: 'd_seconds',
      help: 'Durations',
      labelNames: ['method', 'route'],
      buckets,
      registers: [theirs],
    });
    for (const value of [0.001, 0.005, 0.0051, 0.3, 1, 20]) {
      cell.observe(value);
      reference.observe(labels, value);
    }
    expect(await ours.metrics()).toBe(await theirs.metrics());
    // The same JSON for cluster aggregation, less prom-client's empty exemplar fields.
    const withoutExemplars = (metrics: Array<{ values: object[] }>) =>
      metrics.map((m) => ({
        ...m,
        values: m.values.map(({ exemplar: _, ...value }: { exemplar?: unknown }) => value),
      }));
    expect(withoutExemplars(await ours.getMetricsAsJSON())).toEqual(
      withoutExemplars(await theirs.getMetricsAsJSON()),
    );
    ours.resetMetrics();
    theirs.resetMetrics();
    expect(await ours.metrics()).toBe(await theirs.metrics());
  });
});

describe('metrics() store_up', () => {
  it("reports a redisStore's health: 1 while its client is ready, 0 once it is not", async () => {
    const client = await connectRedis();
    if (client === undefined) return;
    const registry = new Registry();
    const store = redisStore({ client, prefix: uniquePrefix('metrics') });
    metrics({ registry, stores: { redis: store, memory: memoryStore() } });
    const gauge = async () => parseExposition(await registry.metrics());
    expect((await gauge()).get('portcullis_store_up{store="redis"}')).toBe(1);
    const ended = new Promise((resolve) => client.once('end', resolve));
    client.disconnect();
    await ended;
    const samples = await gauge();
    expect(samples.get('portcullis_store_up{store="redis"}')).toBe(0);
    expect(samples.get('portcullis_store_up{store="memory"}')).toBe(1);
  });

  it('reports a store whose available getter throws as 0, and the scrape still succeeds', async () => {
    const registry = new Registry();
    const broken = {
      get available(): boolean {
        throw new Error('boom');
      },
    };
    metrics({ registry, stores: { broken } });
    expect(
      parseExposition(await registry.metrics()).get('portcullis_store_up{store="broken"}'),
    ).toBe(0);
  });
});

describeEachFramework('metrics()', (fw) => {
  let upstream: Upstream;
  let resetting: { url: string; close(): Promise<void> };
  let dead: string;
  beforeAll(async () => {
    upstream = await startEchoUpstream();
    resetting = await startResettingUpstream();
    dead = (await deadPort()).url;
  });
  afterAll(async () => {
    await upstream.close();
    await resetting.close();
  });

  it('counts a scripted sequence exactly, scraped over HTTP', async () => {
    const registry = new Registry();
    const recorder = metrics({
      registry,
      perApiKey: true,
      stores: { memory: memoryStore(), redis: { available: false } },
    });
    // The limits on a clock that stands still: on the real one, a second /limited a second after
    // the first (a loaded machine) found its token refilled, and a day's quota resets at midnight.
    const clock = manualClock();
    const app = await fw.start({
      use: [
        recorder,
        recorder.handler,
        under(fw, '/cached', cache({ ttl: 60 })),
        under(
          fw,
          '/limited',
          throttle({ rate: 1, burst: 1, key: 'global', name: 'limited', clock }),
        ),
        under(
          fw,
          '/plan',
          usagePlans({
            plans: { gold: { quota: { limit: 1, period: 'day' } } },
            keys: [{ id: 'k1', key: GOLD_KEY, plan: 'gold' }],
            clock,
          }),
        ),
        proxy({ target: upstream.url, prefix: '/api' }),
        proxy({ target: dead, prefix: '/dead' }),
        proxy({ target: resetting.url, prefix: '/reset' }),
        proxy({ target: upstream.url, prefix: '/slow', timeout: 100 }),
        routes(fw, (get) => {
          for (const path of ['/items/:id', '/cached', '/limited', '/plan']) get(path);
        }),
      ],
    });
    const statuses = [];
    for (const [path, headers] of [
      ['/items/1'],
      ['/items/2'],
      ['/nothing'],
      ['/cached'],
      ['/cached'],
      ['/limited'],
      ['/limited'],
      ['/plan', { 'x-api-key': GOLD_KEY }],
      ['/plan', { 'x-api-key': GOLD_KEY }],
      ['/plan'],
      ['/api/status/200'],
      ['/dead/x'],
      ['/reset/x'],
      ['/slow/slow?ms=2000'],
    ] as Array<[string, Record<string, string>?]>) {
      statuses.push((await app.request(path, { headers })).status);
    }
    expect(statuses).toEqual([
      200, 200, 404, 200, 200, 200, 429, 200, 429, 403, 200, 502, 502, 504,
    ]);

    const res = await app.request('/metrics');
    expect(res.headers['content-type']).toBe(registry.contentType);
    const samples = parseExposition(res.body);
    const requests = (route: string, statusClass: string) =>
      `portcullis_requests_total{method="GET",route="${route}",status_class="${statusClass}"}`;
    const expected: Record<string, number> = {
      [requests('/items/:id', '2xx')]: 2,
      [requests('/cached', '2xx')]: 1,
      [requests('/limited', '2xx')]: 1,
      [requests('/plan', '2xx')]: 1,
      // A middleware's answer (cache hit, proxy) or a refusal before the router: no route matched.
      [requests('UNMATCHED', '2xx')]: 2,
      [requests('UNMATCHED', '4xx')]: 4,
      [requests('UNMATCHED', '5xx')]: 3,
      'portcullis_cache_hits_total{}': 1,
      'portcullis_cache_misses_total{}': 1,
      'portcullis_throttled_total{policy="limited"}': 1,
      'portcullis_quota_exceeded_total{plan="gold"}': 1,
      'portcullis_gateway_responses_total{response_type="THROTTLED"}': 1,
      'portcullis_gateway_responses_total{response_type="QUOTA_EXCEEDED"}': 1,
      'portcullis_gateway_responses_total{response_type="INVALID_API_KEY"}': 1,
      'portcullis_gateway_responses_total{response_type="INTEGRATION_FAILURE"}': 2,
      'portcullis_gateway_responses_total{response_type="INTEGRATION_TIMEOUT"}': 1,
      'portcullis_integration_errors_total{kind="refused"}': 1,
      'portcullis_integration_errors_total{kind="reset"}': 1,
      'portcullis_integration_errors_total{kind="timeout"}': 1,
      'portcullis_integration_duration_seconds_count{method="GET",route="UNMATCHED"}': 4,
      'portcullis_requests_in_flight{}': 0,
      'portcullis_store_up{store="memory"}': 1,
      'portcullis_store_up{store="redis"}': 0,
      'portcullis_api_key_requests_total{api_key="k1",plan="gold",status_class="2xx"}': 1,
      'portcullis_api_key_requests_total{api_key="k1",plan="gold",status_class="4xx"}': 1,
    };
    const actual = Object.fromEntries(
      [...samples].filter(
        ([name]) =>
          !name.includes('_duration_seconds') ||
          name.startsWith('portcullis_integration_duration_seconds_count'),
      ),
    );
    expect(actual).toEqual(expected);
    // Reset drops every count, including those not read yet.
    await app.request('/items/3');
    registry.resetMetrics();
    const afterReset = await scrape(app);
    expect(afterReset.get(requests('/items/:id', '2xx'))).toBeUndefined();
    expect(afterReset.get('portcullis_cache_hits_total{}')).toBe(0);
    // Every request is in the duration histogram exactly once, under its request's labels.
    for (const [name, count] of Object.entries(expected)) {
      if (!name.startsWith('portcullis_requests_total')) continue;
      const labels = name.slice('portcullis_requests_total'.length);
      expect(samples.get(`portcullis_request_duration_seconds_count${labels}`)).toBe(count);
      expect(
        samples.get(
          `portcullis_request_duration_seconds_bucket${labels.replace('{', '{le="+Inf",')}`,
        ),
      ).toBe(count);
    }
  });

  it('answers HEAD /metrics without a body and passes other methods on', async () => {
    const registry = new Registry();
    const recorder = metrics({ registry });
    const app = await fw.start({ use: [recorder, recorder.handler] });
    const head = await app.request('/metrics', { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers['content-type']).toBe(registry.contentType);
    expect(head.body).toBe('');
    expect((await app.request('/metrics', { method: 'POST' })).status).toBe(404);
    // Neither the scrapes nor the POST to the exposition path are counted.
    const samples = await scrape(app);
    expect(
      [...samples.keys()].filter((name) => name.startsWith('portcullis_requests_total')),
    ).toEqual([]);
  });

  it('answers a scrape whose target has a fragment or the absolute form, which the router serves from /metrics', async () => {
    const registry = new Registry();
    const recorder = metrics({ registry });
    const app = await fw.start({ use: [recorder, recorder.handler] });
    // Raw: clients drop a fragment; Node's parser lets `#` through to the router.
    const conn = await RawConnection.open(app.url);
    const statuses: Array<number | undefined> = [];
    // An absolute-form target is routed by its path too.
    for (const target of [
      '/metrics#x',
      '/metrics?a=1#x',
      '/metricsx#',
      '/metrics/#',
      'http://x/metrics',
      'http://x/metricsx',
    ]) {
      conn.write(`GET ${target} HTTP/1.1\r\nHost: x\r\n\r\n`);
      statuses.push((await conn.response())?.status);
    }
    conn.destroy();
    expect(statuses).toEqual([200, 200, 404, 404, 200, 404]);
    const counted = [...(await scrape(app)).keys()].filter((name) =>
      name.startsWith('portcullis_requests_total'),
    );
    expect(counted).toHaveLength(1);
  });

  it('brings requests in flight back to 0 when a client hangs up before the answer', async () => {
    const registry = new Registry();
    const recorder = metrics({ registry });
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const app = await fw.start({
      use: [recorder, recorder.handler],
      routes: [
        {
          method: 'GET',
          path: '/hold',
          reply: async () => {
            await held;
            return { body: 'late' };
          },
        },
      ],
    });
    // Three at once: two are answered, one client hangs up while all three are held.
    const answered = [app.request('/hold'), app.request('/hold')];
    const client = httpRequest(`${app.url}/hold`, { agent: false });
    client.on('error', () => undefined);
    client.end();
    await until(app, (s) => s.get('portcullis_requests_in_flight{}') === 3);
    client.destroy();
    await until(app, (s) => s.get('portcullis_requests_in_flight{}') === 2);
    release();
    expect((await Promise.all(answered)).map((res) => res.status)).toEqual([200, 200]);
    const samples = await until(app, (s) => s.get('portcullis_requests_in_flight{}') === 0);
    // Express's router matched the route before the handler waited; the test's Koa routes are no router.
    const route = fw.kind === 'express' ? '/hold' : 'UNMATCHED';
    const count = (statusClass: string) =>
      samples.get(
        `portcullis_requests_total{method="GET",route="${route}",status_class="${statusClass}"}`,
      );
    expect([count('aborted'), count('2xx')]).toEqual([1, 2]);
  });

  it('hands a collector that throws to the framework: 500 each time, the process up', async () => {
    const registry = new Registry();
    new Counter({
      name: 'broken_total',
      help: 'throws when read',
      registers: [registry],
      collect() {
        throw new Error('collector broke');
      },
    });
    const recorder = metrics({ registry });
    const app = await fw.start({
      use: [recorder, recorder.handler],
      expectsErrors: /collector broke/,
    });
    expect((await app.request('/metrics')).status).toBe(500);
    expect((await app.request('/metrics')).status).toBe(500);
  });

  it('keeps the number of series constant across 10 000 distinct paths', async () => {
    const registry = new Registry();
    const recorder = metrics({ registry });
    const app = await fw.start({
      use: [recorder, recorder.handler, routes(fw, (get) => get('/items/:id'))],
    });
    await app.request('/items/warm');
    await app.request('/unknown/warm');
    const before = await scrape(app);
    const agent = new Agent({ keepAlive: true, maxSockets: 16 });
    const paths = Array.from({ length: 10_000 }, (_, i) =>
      i % 2 === 0 ? `/items/${i}` : `/unknown/${i}/${Math.random().toString(36).slice(2)}`,
    );
    for (let i = 0; i < paths.length; i += 64) {
      await Promise.all(paths.slice(i, i + 64).map((path) => get(agent, app.url + path)));
    }
    agent.destroy();
    const after = await scrape(app);
    expect([...after.keys()].sort()).toEqual([...before.keys()].sort());
    expect(
      after.get('portcullis_requests_total{method="GET",route="/items/:id",status_class="2xx"}'),
    ).toBe(5_001);
    expect(
      after.get('portcullis_requests_total{method="GET",route="UNMATCHED",status_class="4xx"}'),
    ).toBe(5_001);
  }, 60_000);

  it('keeps at most 1000 route labels when the router reports the matched mount path (Express baseUrl)', async () => {
    // Express names a router mounted at '/users/:id' by the path it matched ('/users/7'), and
    // '/API' for a router at '/api' (routing ignores case): one label per id or spelling.
    const registry = new Registry();
    const recorder = metrics({ registry });
    const app = await fw.start({ use: [recorder, recorder.handler, mountedRouters(fw)] });
    const agent = new Agent({ keepAlive: true, maxSockets: 16 });
    const paths = Array.from({ length: 1_100 }, (_, i) => `/users/${i}/posts`);
    for (let i = 0; i < paths.length; i += 64) {
      const statuses = await Promise.all(
        paths.slice(i, i + 64).map((path) => get(agent, app.url + path)),
      );
      expect(statuses.every((status) => status === 200)).toBe(true);
    }
    agent.destroy();
    const samples = await scrape(app);
    const counts = [...samples].filter(([name]) => name.startsWith('portcullis_requests_total{'));
    expect(counts.length).toBeLessThanOrEqual(1_001);
    expect(counts.reduce((sum, [, value]) => sum + value, 0)).toBe(1_100);
    const other = samples.get(
      'portcullis_requests_total{method="GET",route="OTHER",status_class="2xx"}',
    );
    if (fw.kind === 'koa') expect(other).toBeUndefined();
    else expect(other).toBe(100);
  }, 60_000);
});

/** A router mounted at '/users/:id' holding GET '/posts', in either framework. */
function mountedRouters(fw: Framework) {
  const ok = 'ok';
  if (fw.kind === 'koa') {
    const inner = new KoaRouter();
    inner.get('/posts', (ctx) => {
      ctx.body = ok;
    });
    const outer = new KoaRouter();
    outer.use('/users/:id', inner.routes());
    return { koa: outer.routes() as never };
  }
  const framework = fw.name === 'express4' ? express4 : express5;
  const inner = framework.Router();
  inner.get('/posts', (_req: unknown, res: { send(b: string): void }) => res.send(ok));
  const outer = framework.Router();
  outer.use('/users/:id', inner);
  return { express: outer as never };
}

/** GET over a shared keep-alive agent, resolving with the status once the body was read. */
function get(agent: Agent, url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    httpRequest(url, { agent }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    })
      .on('error', reject)
      .end();
  });
}

/** Scrapes until `done` holds (the server notices a hang-up on its own schedule), at most 5 s. */
async function until(
  app: TestApp,
  done: (samples: Map<string, number>) => boolean,
): Promise<Map<string, number>> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const samples = await scrape(app);
    if (done(samples)) return samples;
    if (Date.now() > deadline) throw new Error(`never reached: ${JSON.stringify([...samples])}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
