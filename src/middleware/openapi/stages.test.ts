import { expect, it } from 'vitest';
import { describeEachFramework } from '../../../test/support/frameworks.js';
import { manualClock } from '../../../test/support/manual-clock.js';
import { apiDocument, stageVersionMock } from '../../../test/support/openapi.js';
import { type OpenApiOptions, openapi as openapiOf } from './index.js';

/** The documents below say only what each test needs; `apiDocument` adds what OpenAPI requires. */
const openapi = (document: Record<string, unknown>, options?: OpenApiOptions) =>
  openapiOf(apiDocument(document), options);

/** A mock answering with a header that names the variables it was compiled with. */
const whoServes = stageVersionMock;

const DOCUMENT = {
  'x-amazon-apigateway-cors': {
    allowOrigins: ['https://app.example.com'],
    allowMethods: ['GET'],
    allowHeaders: ['x-api-key'],
    maxAge: 60,
  },
  paths: { '/who': { get: whoServes } },
};

const ORIGIN = 'https://app.example.com';

describeEachFramework('openapi() stages and canaries', (fw) => {
  const start = (percentTraffic: number) => {
    const clock = manualClock();
    return fw.start({
      use: [
        openapi(DOCUMENT, {
          stages: {
            dev: { variables: { version: 'dev' }, throttle: { rate: 1, burst: 2, clock } },
            prod: {
              variables: { version: 'stable' },
              canary: { percentTraffic, variables: { version: 'canary' } },
            },
          },
        }),
      ],
    });
  };

  it('serves each stage with its variables and throttle', async () => {
    const app = await start(0);
    expect((await app.request('/prod/who')).headers['x-version']).toBe('stable');
    expect((await app.request('/dev/who')).headers['x-version']).toBe('dev');
    expect((await app.request('/dev/who')).status).toBe(200);
    const throttled = await app.request('/dev/who');
    expect(throttled.status).toBe(429);
    // The prod stage has no throttle.
    for (let i = 0; i < 3; i++) expect((await app.request('/prod/who')).status).toBe(200);
  });

  it('sends its share of API keys to the canary, each key always to the same side', async () => {
    const app = await start(10);
    const sides = new Map<string, string>();
    for (let i = 0; i < 200; i++) {
      const key = `key-${i}`;
      const res = await app.request('/prod/who', { headers: { 'x-api-key': key } });
      sides.set(key, String(res.headers['x-version']));
      expect(res.headers['set-cookie']).toBeUndefined();
    }
    const canaries = [...sides.values()].filter((side) => side === 'canary').length;
    // 10 % of 200: 20 expected; a binomial's 3-sigma band is 20 ± 13.
    expect(canaries).toBeGreaterThanOrEqual(7);
    expect(canaries).toBeLessThanOrEqual(33);
    for (const key of ['key-1', 'key-2', 'key-3', 'key-4']) {
      const res = await app.request('/prod/who', { headers: { 'x-api-key': key } });
      expect(res.headers['x-version']).toBe(sides.get(key));
    }
  });

  it('keeps a keyless caller on one side with a cookie', async () => {
    const app = await start(50);
    for (let i = 0; i < 5; i++) {
      const first = await app.request('/prod/who');
      const cookie = String(first.headers['set-cookie']).split(';')[0]!;
      expect(cookie).toMatch(/^portcullis-canary=\d+$/);
      const side = first.headers['x-version'];
      for (let j = 0; j < 3; j++) {
        const again = await app.request('/prod/who', { headers: { cookie } });
        expect(again.headers['x-version']).toBe(side);
        expect(again.headers['set-cookie']).toBeUndefined();
      }
    }
    // The cookie holds a ticket from 0 to 9999; below the share (50 % → 5000) is the canary.
    const ticket = (n: number) => ({ headers: { cookie: `a=b; portcullis-canary=${n}` } });
    expect((await app.request('/prod/who', ticket(4999))).headers['x-version']).toBe('canary');
    expect((await app.request('/prod/who', ticket(5000))).headers['x-version']).toBe('stable');
  });

  it('answers preflights and puts CORS headers on refusals', async () => {
    const app = await start(0);
    const preflight = await app.request('/dev/who', {
      method: 'OPTIONS',
      headers: { origin: ORIGIN, 'access-control-request-method': 'GET' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe(ORIGIN);
    expect(preflight.headers['access-control-max-age']).toBe('60');
    const asked = { headers: { origin: ORIGIN } };
    await app.request('/dev/who', asked);
    await app.request('/dev/who', asked);
    const refused = await app.request('/dev/who', asked);
    expect(refused.status).toBe(429);
    expect(refused.headers['access-control-allow-origin']).toBe(ORIGIN);
  });
});

describeEachFramework('openapi() stage cache', (fw) => {
  it('keeps the canary and the stable version apart, keyed by cacheKeyParameters', async () => {
    const clock = manualClock();
    const integration = {
      ...whoServes['x-amazon-apigateway-integration'],
      cacheKeyParameters: ['method.request.header.x-tenant'],
    };
    const app = await fw.start({
      use: [
        openapi(
          { paths: { '/who': { get: { 'x-amazon-apigateway-integration': integration } } } },
          {
            stages: {
              prod: {
                variables: { version: 'stable' },
                cache: { ttl: 60, shared: true, clock },
                canary: { percentTraffic: 50, variables: { version: 'canary' } },
              },
            },
          },
        ),
      ],
    });
    const ask = async (ticket: number, tenant: string) => {
      const res = await app.request('/prod/who', {
        headers: { cookie: `portcullis-canary=${ticket}`, 'x-tenant': tenant },
      });
      return [res.headers['x-version'], res.headers['cache-status']];
    };
    expect(await ask(0, 'a')).toEqual(['canary', 'portcullis; fwd=miss; stored']);
    expect(await ask(0, 'a')).toEqual(['canary', 'portcullis; hit; ttl=60']);
    expect(await ask(9999, 'a')).toEqual(['stable', 'portcullis; fwd=miss; stored']);
    expect(await ask(0, 'b')).toEqual(['canary', 'portcullis; fwd=miss; stored']);
  });
});
