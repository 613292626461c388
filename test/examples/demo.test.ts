/**
 * The demo gateways (what `npm run demo` and `npm run demo:koa` start) answer every curl line they
 * print: on the in-memory store, and on Redis when one answers (as `REDIS_URL=... npm run demo`).
 */

import { afterAll, describe, expect, it } from 'vitest';
import { DEMO_KEYS, DEMO_ORIGIN } from '../../examples/demo/config.js';
import { PETSTORE_KEY } from '../../examples/demo/petstore.js';
import { startExpressDemo } from '../../examples/express.js';
import { startKoaDemo } from '../../examples/koa.js';
import { request } from '../support/http.js';
import { connectRedis, REDIS_URL } from '../support/redis.js';

const redis = await connectRedis();
redis?.disconnect();
const stores: Array<[string, string | undefined]> = [['memory', '']];
if (redis !== undefined) stores.push(['redis', REDIS_URL]);

const keyOf = (id: string) => DEMO_KEYS.find((k) => k.id === id)!.key;

describe.each(stores)('the demo on the %s store', (_store, redisUrl) => {
  describe.each([
    ['Express', startExpressDemo],
    ['Koa', startKoaDemo],
  ])('in %s', (_name, start) => {
    const demos: Array<{ close(): Promise<void> }> = [];
    afterAll(async () => {
      await Promise.all(demos.map((demo) => demo.close()));
    });

    async function startDemo() {
      const previous = process.env.REDIS_URL;
      process.env.REDIS_URL = redisUrl;
      try {
        const demo = await start();
        demos.push(demo);
        return demo;
      } finally {
        process.env.REDIS_URL = previous;
      }
    }

    it('answers every curl line it prints', async () => {
      const demo = await startDemo();
      const get = (path: string, headers: Record<string, string> = {}) =>
        request(demo.url, path, { headers });
      // The demos share prom-client's global registry: what this run adds is the difference.
      const metricsBefore = await gatewayResponses(demo.url);

      // Request id and CORS.
      const hello = await get('/hello', { 'x-request-id': 'demo-123', origin: DEMO_ORIGIN });
      expect([
        hello.status,
        hello.headers['x-request-id'],
        hello.headers['access-control-allow-origin'],
      ]).toEqual([200, 'demo-123', DEMO_ORIGIN]);
      expect(hello.json).toMatchObject({ requestId: 'demo-123' });
      expect(
        (await get('/hello', { origin: 'https://evil.example.net' })).headers[
          'access-control-allow-origin'
        ],
      ).toBeUndefined();
      const preflight = await request(demo.url, '/api/orders', {
        method: 'OPTIONS',
        headers: { origin: DEMO_ORIGIN, 'access-control-request-method': 'POST' },
      });
      expect(preflight.status).toBe(204);

      // Cache in front of the proxy: the second request does not reach the backend.
      const first = await get('/weather?city=Oslo');
      const hitsAfterFirst = demo.backend.hits();
      const second = await get('/weather?city=Oslo');
      expect(first.headers['cache-status']).toBe('portcullis; fwd=miss; stored');
      expect(second.headers['cache-status']).toMatch(/^portcullis; hit; ttl=/);
      expect(second.body).toBe(first.body);
      expect(demo.backend.hits()).toBe(hitsAfterFirst);

      // Keys: none → 403; pro → 200 proxied with RateLimit fields.
      expect((await get('/api/orders')).status).toBe(403);
      const pro = await get('/api/orders', { 'x-api-key': keyOf('demo-pro') });
      expect(pro.status).toBe(200);
      expect(pro.json).toEqual(
        expect.arrayContaining([expect.objectContaining({ item: 'portcullis' })]),
      );
      expect(pro.headers.ratelimit).toContain('"pro"');

      // Free plan: burst 2, the third at once is throttled. Sent together: the demo's bucket is on
      // the real clock and refills one a second, which three requests one after another can take
      // on a loaded machine (the third then admitted).
      const free = await Promise.all(
        Array.from({ length: 3 }, () => get('/api/orders', { 'x-api-key': keyOf('demo-free') })),
      );
      expect(free.map((res) => res.status).sort()).toEqual([200, 200, 429]);

      // Trial plan: 3 a day, the 4th is over quota.
      const trial = [];
      for (let i = 0; i < 4; i++)
        trial.push(await get('/api/orders', { 'x-api-key': keyOf('demo-trial') }));
      expect(trial.map((r) => r.status)).toEqual([200, 200, 200, 429]);
      expect(trial[3]!.json).toEqual({ message: 'Limit Exceeded' });
      expect(Number(trial[3]!.headers['retry-after'])).toBeGreaterThan(0);

      // JWT: no token → 401 with a Bearer challenge; the token minted at start → 200; a forged one → 401.
      const anonymous = await get('/secure');
      expect([anonymous.status, anonymous.headers['www-authenticate']]).toEqual([401, 'Bearer']);
      const secure = await get('/secure', { authorization: `Bearer ${demo.token}` });
      expect([secure.status, secure.json]).toEqual([
        200,
        { message: 'hello, demo-user', scopes: ['orders:read'] },
      ]);
      const [header, , signature] = demo.token.split('.');
      const admin = Buffer.from('{"sub":"admin","scope":"orders:read"}').toString('base64url');
      const forged = await get('/secure', {
        authorization: `Bearer ${header}.${admin}.${signature}`,
      });
      expect(forged.status).toBe(401);

      const usage = await get('/admin/usage/demo-trial');
      expect(usage.json).toMatchObject({ items: { 'demo-trial': [[3, 0]] } });

      // Proxy: a POST arrives at the backend; an unknown path is the backend's 404.
      const created = await request(demo.url, '/api/orders', {
        method: 'POST',
        headers: { 'x-api-key': keyOf('demo-pro'), 'content-type': 'application/json' },
        body: '{"item":"moat","quantity":1}',
      });
      expect([created.status, created.json]).toEqual([
        201,
        expect.objectContaining({ item: 'moat' }),
      ]);
      expect((await get('/api/nothing-here', { 'x-api-key': keyOf('demo-pro') })).status).toBe(404);

      // Metrics: the refusals above, counted by the gateway.
      const metricsAfter = await gatewayResponses(demo.url);
      const added = (type: string) => (metricsAfter[type] ?? 0) - (metricsBefore[type] ?? 0);
      expect([added('INVALID_API_KEY'), added('THROTTLED'), added('QUOTA_EXCEEDED')]).toEqual([
        1, 1, 1,
      ]);
    });

    it('runs the OpenAPI example under its stages, beside the routes of its own', async () => {
      const demo = await startDemo();
      const health = await request(demo.url, '/prod/health');
      expect(health.status).toBe(200);
      expect((await request(demo.url, '/dev/pets?type=cat')).status).toBe(403);
      const cats = await request(demo.url, '/dev/pets?type=cat', {
        headers: { 'x-api-key': PETSTORE_KEY },
      });
      expect([cats.status, cats.json]).toEqual([200, [expect.objectContaining({ type: 'cat' })]]);
      const tom = await request(demo.url, '/dev/pets/2', {
        headers: { 'x-api-key': PETSTORE_KEY, 'x-locale': 'fr' },
      });
      expect([tom.status, tom.json]).toEqual([
        200,
        expect.objectContaining({ name: 'Tom', locale: 'fr' }),
      ]);
      // What the document does not define goes on to the demo's own routes.
      expect((await request(demo.url, '/hello')).status).toBe(200);
    });

    it('answers /admin only to this machine (ipFilter)', async () => {
      const demo = await startDemo();
      expect((await request(demo.url, '/admin/usage/demo-pro')).status).toBe(200);
      // Another address of the loopback network: a client that is not this machine's 127.0.0.1.
      const outsider = await request(demo.url, '/admin/usage/demo-pro', {
        localAddress: '127.0.0.2',
      });
      expect([outsider.status, outsider.json]).toEqual([403, { message: 'Forbidden' }]);
      // Routes outside /admin are not filtered.
      expect((await request(demo.url, '/hello', { localAddress: '127.0.0.2' })).status).toBe(200);
    });
  });
});

/** `portcullis_gateway_responses_total` by response type, scraped from the demo's /metrics. */
async function gatewayResponses(url: string): Promise<Record<string, number>> {
  const res = await request(url, '/metrics');
  expect(res.status).toBe(200);
  const counts: Record<string, number> = {};
  for (const [, type, value] of res.body.matchAll(
    /^portcullis_gateway_responses_total\{response_type="([A-Z_]+)"\} (\d+)$/gm,
  ))
    counts[type!] = Number(value);
  return counts;
}
