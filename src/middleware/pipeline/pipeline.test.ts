import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Router from '@koa/router';
import express5 from 'express';
import express4 from 'express4';
import koa3 from 'koa';
import koa2 from 'koa2';
import { afterEach, describe, expect, it } from 'vitest';
import { describeEachFramework, type Framework } from '../../../test/support/frameworks.js';
import { request } from '../../../test/support/http.js';
import { type ManualClock, manualClock } from '../../../test/support/manual-clock.js';
import { allowAllBut } from '../../../test/support/policy.js';
import { startEchoUpstream } from '../../../test/support/upstream.js';
import { cors } from '../cors/index.js';
import { resourcePolicy } from '../resource-policy/index.js';
import { throttle } from '../throttle/index.js';
import { usagePlans } from '../usage-plans/index.js';
import { pipeline } from './index.js';

const ORIGIN = 'https://app.example.com';
const KEY = 'alice-key-0123456789abcdef';
const KEYS = [{ id: 'alice', key: KEY, plan: 'free' }];

function plans(quota = 1000) {
  return {
    free: { throttle: { rate: 100, burst: 100 }, quota: { limit: quota, period: 'day' as const } },
  };
}

const asked = (key?: string) => ({
  headers: { origin: ORIGIN, ...(key === undefined ? {} : { 'x-api-key': key }) },
});

/** A pipeline of usage plans (quota `quota`) and a stage throttle (1/s, `burst`) before GET /r. */
function startThrottledPlan(fw: Framework, clock: ManualClock, quota: number, burst: number) {
  return fw.start({
    use: [
      pipeline({
        usagePlans: { plans: plans(quota), keys: KEYS, clock },
        throttle: { rate: 1, burst, clock },
      }),
    ],
    routes: [{ method: 'GET', path: '/r' }],
  });
}

describeEachFramework('pipeline()', (fw) => {
  it('refuses a keyless caller with 403 and CORS headers the browser can read', async () => {
    const app = await fw.start({
      use: [pipeline({ cors: { origin: [ORIGIN] }, usagePlans: { plans: plans(), keys: KEYS } })],
      routes: [{ method: 'GET', path: '/r', reply: { body: 'secret' } }],
    });
    const res = await app.request('/r', asked());
    expect(res.status).toBe(403);
    expect(res.json).toEqual({ message: 'Forbidden' });
    expect(res.headers['access-control-allow-origin']).toBe(ORIGIN);
  });

  it('gives the route the same context as the pieces mounted apart, and serves hits from the cache', async () => {
    const clock = manualClock();
    let calls = 0;
    const app = await fw.start({
      use: [
        pipeline({
          cache: { ttl: 60, clock },
          throttle: { rate: 10, burst: 10, clock },
          usagePlans: { plans: plans(), keys: KEYS, clock },
          cors: { origin: [ORIGIN] },
        }),
      ],
      routes: [
        {
          method: 'GET',
          path: '/r',
          reply: (gateway) => {
            const { apiKey, requestId } = gateway as { apiKey: unknown; requestId: string };
            return { body: { calls: ++calls, apiKey, requestId: typeof requestId } };
          },
        },
      ],
    });
    const miss = await app.request('/r', asked(KEY));
    expect(miss.status).toBe(200);
    expect(miss.json).toEqual({
      calls: 1,
      apiKey: { id: 'alice', plan: 'free' },
      requestId: 'string',
    });
    expect(miss.headers['cache-status']).toBe('portcullis; fwd=miss; stored');
    expect(miss.headers['access-control-allow-origin']).toBe(ORIGIN);
    expect(miss.headers.ratelimit).toBeDefined();
    const hit = await app.request('/r', asked(KEY));
    expect(hit.status).toBe(200);
    expect(hit.json).toEqual(miss.json);
    expect(String(hit.headers['cache-status'])).toContain('; hit');
    expect(hit.headers['access-control-allow-origin']).toBe(ORIGIN);
    expect(hit.headers['x-request-id']).not.toBe(miss.headers['x-request-id']);
  });

  it('never charges the quota for a request the stage throttle refused', async () => {
    const clock = manualClock();
    const app = await startThrottledPlan(fw, clock, 4, 2);
    const statuses = async (n: number) => {
      const out: number[] = [];
      for (let i = 0; i < n; i++) out.push((await app.request('/r', asked(KEY))).status);
      return out;
    };
    expect(await statuses(4)).toEqual([200, 200, 429, 429]);
    clock.advance(2000);
    // Two charged so far: two more fit the quota of 4, whatever the throttle refused before.
    expect(await statuses(2)).toEqual([200, 200]);
    clock.advance(2000);
    const over = await app.request('/r', asked(KEY));
    expect(over.status).toBe(429);
    expect(over.json).toEqual({ message: 'Limit Exceeded' });
  });

  it("sends the stage throttle's and the plan's RateLimit items once each, on admissions and on either refusal", async () => {
    const clock = manualClock();
    const app = await startThrottledPlan(fw, clock, 1000, 2);
    const fields = async () => {
      const res = await app.request('/r', asked(KEY));
      return [res.status, res.headers['ratelimit-policy'], res.headers.ratelimit];
    };
    const policy = '"throttle";q=2;w=2';
    const planPolicy = '"free";q=100;w=1, "free-quota";q=1000;w=86400';
    expect(await fields()).toEqual([
      200,
      `${policy}, ${planPolicy}`,
      expect.stringMatching(/^"throttle";r=1;t=\d+, "free";r=99;t=\d+, "free-quota";r=999;t=\d+$/),
    ]);
    await fields();
    // The stage throttle refuses: its own items, the plan was never charged.
    expect(await fields()).toEqual([429, policy, expect.stringMatching(/^"throttle";r=0;t=\d+$/)]);
  });

  it('sends the plan throttle refusal with both RateLimit items', async () => {
    const clock = manualClock();
    const app = await fw.start({
      use: [
        pipeline({
          usagePlans: {
            plans: { tight: { throttle: { rate: 1, burst: 1 } } },
            keys: [{ id: 'alice', key: KEY, plan: 'tight' }],
            clock,
          },
          throttle: { rate: 100, burst: 100, clock },
        }),
      ],
      routes: [{ method: 'GET', path: '/r' }],
    });
    expect((await app.request('/r', asked(KEY))).status).toBe(200);
    const refused = await app.request('/r', asked(KEY));
    expect(refused.status).toBe(429);
    expect(refused.headers['ratelimit-policy']).toBe('"throttle";q=100;w=1, "tight";q=1;w=1');
    expect(refused.headers.ratelimit).toMatch(/^"throttle";r=98;t=\d+, "tight";r=0;t=\d+$/);
  });

  it('charges the quota only for admitted requests under concurrency', async () => {
    const clock = manualClock();
    const app = await startThrottledPlan(fw, clock, 5, 3);
    const burst = await Promise.all(
      Array.from({ length: 12 }, () => app.request('/r', asked(KEY))),
    );
    const messages = burst.map((res) =>
      res.status === 200 ? 'ok' : (res.json as { message: string }).message,
    );
    expect(messages.filter((m) => m === 'ok')).toHaveLength(3);
    expect(messages.filter((m) => m === 'Too Many Requests')).toHaveLength(9);
    clock.advance(10_000);
    // Three charged: two left of the quota of 5, whatever the nine refusals.
    const after = await Promise.all(Array.from({ length: 3 }, () => app.request('/r', asked(KEY))));
    expect(after.map((res) => res.status).sort()).toEqual([200, 200, 429]);
    expect(after.map((res) => res.json).filter(Boolean)).toEqual([{ message: 'Limit Exceeded' }]);
  });

  for (const chargeCacheHits of [true, false]) {
    it(`charges cache hits to the stage throttle and the quota: chargeCacheHits ${chargeCacheHits}`, async () => {
      const clock = manualClock();
      let calls = 0;
      const app = await fw.start({
        use: [
          pipeline({
            usagePlans: { plans: plans(3), keys: KEYS, clock },
            throttle: { rate: 100, burst: 100, clock },
            cache: { ttl: 300, clock },
            chargeCacheHits,
          }),
        ],
        routes: [{ method: 'GET', path: '/r', reply: () => ({ body: `call ${++calls}` }) }],
      });
      const ask = async (path: string) => {
        const res = await app.request(path, asked(KEY));
        return [res.status, res.headers['cache-status'], res.headers.ratelimit !== undefined];
      };
      expect(await app.request('/r', asked())).toMatchObject({ status: 403 });
      expect(await ask('/r')).toEqual([200, 'portcullis; fwd=miss; stored', true]);
      const hit = [200, 'portcullis; hit; ttl=300', chargeCacheHits];
      expect(await ask('/r')).toEqual(hit);
      expect(await ask('/r')).toEqual(hit);
      // Quota 3: charged hits used it up; uncharged ones left two for new URLs.
      const [status] = await ask('/r?other');
      expect(status).toBe(chargeCacheHits ? 429 : 200);
      expect((await ask('/r?third'))[0]).toBe(chargeCacheHits ? 429 : 200);
      expect((await ask('/r?fourth'))[0]).toBe(429);
      expect(calls).toBe(chargeCacheHits ? 1 : 3);
    });
  }

  it('throttles by API key when the stage throttle asks for it', async () => {
    const clock = manualClock();
    const app = await fw.start({
      use: [
        pipeline({
          usagePlans: { plans: plans(), keys: KEYS, clock },
          throttle: { rate: 1, burst: 1, key: 'apiKey', clock },
        }),
      ],
      routes: [{ method: 'GET', path: '/r' }],
    });
    expect((await app.request('/r', asked(KEY))).status).toBe(200);
    const refused = await app.request('/r', asked(KEY));
    expect(refused.status).toBe(429);
    expect(refused.json).toEqual({ message: 'Too Many Requests' });
  });

  it('proxies with the proxy shorthand, after the checks', async () => {
    const upstream = await startEchoUpstream();
    try {
      const app = await fw.start({
        use: [pipeline({ proxy: upstream.url, usagePlans: { plans: plans(), keys: KEYS } })],
      });
      expect((await app.request('/p', asked())).status).toBe(403);
      expect(upstream.hits.get('/p')).toBeUndefined();
      const res = await app.request('/p', asked(KEY));
      expect(res.status).toBe(200);
      expect(upstream.hits.get('/p')).toBe(1);
    } finally {
      await upstream.close();
    }
  });

  it('hands an error of a piece to the framework, as a piece mounted apart does', async () => {
    const app = await fw.start({
      use: [
        pipeline({
          cors: { origin: [ORIGIN] },
          throttle: {
            rate: 1,
            key: () => {
              throw new Error('key source down');
            },
          },
        }),
      ],
      routes: [{ method: 'GET', path: '/r' }],
      expectsErrors: /key source down/,
    });
    const res = await app.request('/r', asked());
    expect(res.status).toBe(500);
    expect((await app.request('/r', asked())).status).toBe(500);
  });

  it("hands a piece's asynchronous failure after another piece continued to the framework", async () => {
    const app = await fw.start({
      use: [
        pipeline({
          cors: { origin: [ORIGIN] },
          usagePlans: { plans: plans(), keys: KEYS },
          // The key is looked up in the store first (asynchronously): the throttle then throws.
          throttle: {
            rate: 1,
            key: () => {
              throw new Error('key source late');
            },
          },
        }),
      ],
      routes: [{ method: 'GET', path: '/r' }],
      expectsErrors: /key source late/,
    });
    expect((await app.request('/r', asked(KEY))).status).toBe(500);
    expect((await app.request('/r', asked())).status).toBe(403);
  });

  it('takes the authorizer as { fn, ...options } and as [fn, options]', async () => {
    const fn = (event: { authorizationToken?: string }) =>
      event.authorizationToken === 'Bearer good'
        ? { principalId: 'u1', allow: true }
        : { principalId: 'u1', allow: false };
    for (const authorizer of [
      { fn, type: 'TOKEN', ttl: 0 },
      [fn, { type: 'TOKEN', ttl: 0 }] as const,
    ]) {
      const app = await fw.start({
        use: [pipeline({ authorizer: authorizer as never })],
        routes: [
          {
            method: 'GET',
            path: '/r',
            reply: (gateway) => ({
              body: String((gateway as { principal?: { id?: string } }).principal?.id),
            }),
          },
        ],
      });
      const good = await app.request('/r', { headers: { authorization: 'Bearer good' } });
      expect(good.status).toBe(200);
      expect(good.body).toBe('u1');
      expect((await app.request('/r', { headers: { authorization: 'Bearer bad' } })).status).toBe(
        403,
      );
    }
  });

  it('refuses by resource policy before the API key is checked, with CORS headers', async () => {
    const policy = allowAllBut({ Resource: 'execute-api:/*/*/admin' });
    let charged = 0;
    const app = await fw.start({
      use: [
        pipeline({
          usagePlans: { plans: plans(), keys: KEYS },
          resourcePolicy: { policy, stage: 'prod' },
          cors: { origin: [ORIGIN] },
        }),
      ],
      routes: [
        { method: 'GET', path: '/r' },
        {
          method: 'GET',
          path: '/admin',
          reply: () => {
            charged++;
            return { body: 'admin' };
          },
        },
      ],
    });
    // Without a key: the policy refuses first (API Gateway's order), not the usage plans.
    const res = await app.request('/admin', asked());
    expect(res.status).toBe(403);
    expect(res.json).toEqual({
      Message:
        'User: anonymous is not authorized to perform: execute-api:Invoke on resource: ' +
        'arn:aws:execute-api:local:********0000:portcullis/prod/GET/admin with an explicit deny',
    });
    expect(res.headers['access-control-allow-origin']).toBe(ORIGIN);
    expect((await app.request('/admin', asked(KEY))).status).toBe(403);
    expect(charged).toBe(0);
    expect((await app.request('/r', asked())).json).toEqual({ message: 'Forbidden' });
    expect((await app.request('/r', asked(KEY))).status).toBe(200);
  });

  it('takes pieces already built, and lends out their management methods', async () => {
    const plansMiddleware = usagePlans({ plans: plans(), keys: [] });
    const pipe = pipeline({ cors: cors({ origin: [ORIGIN] }), usagePlans: plansMiddleware });
    expect(pipe.pieces.usagePlans).toBe(plansMiddleware);
    const app = await fw.start({ use: [pipe], routes: [{ method: 'GET', path: '/r' }] });
    const { key } = await pipe.pieces.usagePlans!.createKey({ plan: 'free' });
    expect((await app.request('/r', asked(key))).status).toBe(200);
  });
});

describe('pipeline() options', () => {
  it('names the piece and the option in start-up errors', () => {
    expect(() => pipeline({ throttle: { rate: -1 } })).toThrow(RangeError);
    expect(() => pipeline({ throttle: { rate: -1 } })).toThrow(/option "pipeline\.throttle\.rate"/);
    expect(() => pipeline({ cache: { ttl: 99999 } })).toThrow(/"pipeline\.cache\.ttl"/);
    expect(() => pipeline({ cors: { origni: '*' } as never })).toThrow(/"pipeline\.cors\.origni"/);
    expect(() =>
      pipeline({ usagePlans: { plans: { p: { quota: { limit: -1, period: 'day' } } } } }),
    ).toThrow(/"pipeline\.usagePlans\.plans\.p\.quota\.limit"/);
    expect(() => pipeline({ authorizer: { ttl: 1 } as never })).toThrow(/pipeline\.authorizer/);
    expect(() => pipeline({ chargeCacheHits: 'no' as never })).toThrow(/"chargeCacheHits"/);
    expect(() =>
      pipeline({ resourcePolicy: { policy: { Statement: [] }, stage: 'prod' } }),
    ).toThrow(/option "pipeline\.resourcePolicy\.policy\.Statement"/);
    expect(() => pipeline({ resourcePolicy: { stage: 'prod' } as never })).toThrow(
      /"pipeline\.resourcePolicy\.policy"/,
    );
  });

  it('refuses unknown pieces and a middleware of another kind', () => {
    expect(() => pipeline({ throtle: {} } as never)).toThrow(/unknown option "throtle"/);
    expect(() => pipeline({ throttle: cors() as never })).toThrow(/option "throttle"/);
    expect(() => pipeline(null as never)).toThrow(TypeError);
  });

  it('keeps its order whatever the order of the keys', () => {
    const policy = resourcePolicy({
      Statement: { Effect: 'Allow', Principal: '*', Action: '*', Resource: '*' },
    });
    const pipe = pipeline({ throttle: throttle({ rate: 1 }), resourcePolicy: policy, cors: {} });
    expect(Object.keys(pipe.pieces)).toEqual(['cors', 'resourcePolicy', 'throttle']);
    expect(pipe.pieces.resourcePolicy).toBe(policy);
  });
});

describe('pipeline() mounted on one route', () => {
  const servers: Server[] = [];
  afterEach(async () => {
    for (const server of servers.splice(0)) {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  const gate = () =>
    pipeline({ cors: { origin: [ORIGIN] }, usagePlans: { plans: plans(), keys: KEYS } });
  // biome-ignore lint/suspicious/noExplicitAny: each framework's app.
  type App = (...args: any[]) => void;
  const builders: Array<[string, () => App]> = [
    [
      'express4',
      () =>
        express4().get('/x', gate(), (_req: unknown, res: { send(b: string): void }) =>
          res.send('x'),
        ),
    ],
    [
      'express5',
      () =>
        express5().get('/x', gate(), (_req: unknown, res: { send(b: string): void }) =>
          res.send('x'),
        ),
    ],
    ...(
      [
        ['koa2', koa2],
        ['koa3', koa3],
      ] as const
    ).map(([name, Koa]): [string, () => App] => [
      name,
      () => {
        const router = new Router();
        router.get('/x', gate() as never, (ctx: { body: unknown }) => {
          ctx.body = 'x';
        });
        return new Koa().use(router.routes()).callback() as never;
      },
    ]),
  ];
  for (const [name, build] of builders) {
    it(`guards only that route [${name}]`, async () => {
      const { createServer } = await import('node:http');
      const server = createServer(build() as never);
      servers.push(server);
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const refused = await request(url, '/x', asked());
      expect(refused.status).toBe(403);
      expect(refused.headers['access-control-allow-origin']).toBe(ORIGIN);
      const admitted = await request(url, '/x', asked(KEY));
      expect(admitted.status).toBe(200);
      expect(admitted.body).toBe('x');
      expect((await request(url, '/elsewhere', asked())).status).toBe(404);
    });
  }
});
