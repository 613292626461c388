/**
 * What issue 26 and the README promise of `gateway.pipeline()` that no other test drove: an empty
 * pipeline passes every request on, the shorthand forms of the keys, the CORS headers on every
 * piece's refusal, and the built pieces' management methods through `pipeline.pieces`.
 */

import { beforeAll, expect, it } from 'vitest';
import { describeEachFramework } from '../../../test/support/frameworks.js';
import { mint, randomSecret } from '../../../test/support/jwt.js';
import { manualClock } from '../../../test/support/manual-clock.js';
import { deadPort } from '../../../test/support/upstream.js';
import type { AuthorizerEvent } from '../authorizer/index.js';
import { pipeline } from './index.js';

const ORIGIN = 'https://app.example.com';
const SECRET = randomSecret();
const asked = { headers: { origin: ORIGIN } };

let dead: { url: string };
beforeAll(async () => {
  dead = await deadPort();
});

describeEachFramework('pipeline() audit', (fw) => {
  it('passes every request on with no pieces, as the README says', async () => {
    let calls = 0;
    const app = await fw.start({
      use: [pipeline({})],
      routes: [{ method: 'POST', path: '/r', reply: () => ({ status: 201, body: `${++calls}` }) }],
    });
    const res = await app.request('/r', { method: 'POST', body: 'x' });
    expect([res.status, res.body]).toEqual([201, '1']);
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('takes cors: true and cache as a TTL in seconds', async () => {
    let calls = 0;
    const app = await fw.start({
      use: [pipeline({ cors: true, cache: 60 })],
      routes: [{ method: 'GET', path: '/r', reply: () => ({ body: `call ${++calls}` }) }],
    });
    const miss = await app.request('/r', asked);
    expect([miss.status, miss.body]).toEqual([200, 'call 1']);
    expect(miss.headers['access-control-allow-origin']).toBe('*');
    expect(miss.headers['cache-status']).toBe('portcullis; fwd=miss; stored');
    const hit = await app.request('/r', asked);
    expect([hit.status, hit.body]).toEqual([200, 'call 1']);
    expect(hit.headers['cache-status']).toBe('portcullis; hit; ttl=60');
    expect(hit.headers['access-control-allow-origin']).toBe('*');
  });

  it('takes the authorizer as a function alone (a REQUEST authorizer on Authorization)', async () => {
    const app = await fw.start({
      use: [
        pipeline({
          cors: true,
          // The parameter needs its type: with `Built` (a function too) in the union TypeScript
          // infers none for it.
          authorizer: (event: AuthorizerEvent) => {
            const headers = 'headers' in event ? event.headers : undefined;
            return { principalId: 'u1', allow: headers?.authorization === 'Bearer good' };
          },
        }),
      ],
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
    const as = (authorization: string) =>
      app.request('/r', { headers: { origin: ORIGIN, authorization } });
    const good = await as('Bearer good');
    expect([good.status, good.body]).toEqual([200, 'u1']);
    const refused = await as('Bearer bad');
    expect(refused.status).toBe(403);
    expect(refused.headers['access-control-allow-origin']).toBe('*');
    expect((await app.request('/r', asked)).status).toBe(401);
  });

  it("puts the CORS headers on every piece's refusal: ipFilter, jwt, throttle, proxy", async () => {
    const clock = manualClock();
    const cors = { origin: [ORIGIN] };
    const cases = [
      { options: { cors, ipFilter: { allow: ['10.0.0.0/8'] } }, status: 403 },
      { options: { cors, jwt: { secret: SECRET, algorithms: ['HS256' as const] } }, status: 401 },
      { options: { cors, proxy: { target: dead.url } }, status: 502 },
    ];
    for (const { options, status } of cases) {
      const app = await fw.start({
        use: [pipeline(options)],
        routes: [{ method: 'GET', path: '/r' }],
      });
      const res = await app.request('/r', asked);
      expect(res.status, Object.keys(options).join()).toBe(status);
      expect(res.headers['access-control-allow-origin']).toBe(ORIGIN);
    }
    const throttled = await fw.start({
      use: [pipeline({ cors, throttle: { rate: 1, burst: 1, clock } })],
      routes: [{ method: 'GET', path: '/r' }],
    });
    expect((await throttled.request('/r', asked)).status).toBe(200);
    const refused = await throttled.request('/r', asked);
    expect(refused.status).toBe(429);
    expect(refused.headers['access-control-allow-origin']).toBe(ORIGIN);
    expect(refused.headers['retry-after']).toBeDefined();
    // A valid token passes the jwt piece, so the refusal above was the piece's, not the route's.
    const jwt = await fw.start({
      use: [pipeline({ cors, jwt: { secret: SECRET, algorithms: ['HS256'] } })],
      routes: [{ method: 'GET', path: '/r' }],
    });
    const token = mint('HS256', SECRET, { sub: 'carol' });
    const admitted = await jwt.request('/r', {
      headers: { origin: ORIGIN, authorization: `Bearer ${token}` },
    });
    expect(admitted.status).toBe(200);
  });

  it("lends out the cache's invalidate(), as the README's example uses it", async () => {
    let calls = 0;
    const front = pipeline({ cache: 300 });
    const app = await fw.start({
      use: [front],
      routes: [{ method: 'GET', path: '/weather', reply: () => ({ body: `call ${++calls}` }) }],
    });
    expect((await app.request('/weather?city=Oslo')).body).toBe('call 1');
    expect((await app.request('/weather?city=Oslo')).body).toBe('call 1');
    expect(await front.pieces.cache!.invalidate('/weather')).toBe(1);
    expect((await app.request('/weather?city=Oslo')).body).toBe('call 2');
  });
});
