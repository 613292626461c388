/**
 * The example export (`examples/openapi/petstore.yaml` with `options.mjs`) in the four frameworks:
 * every integration and security scheme it declares, driven over HTTP as a client would.
 */

import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, expect, it } from 'vitest';
import { gateway } from '../../src/index.js';
import { describeEachFramework } from '../support/frameworks.js';
import { request } from '../support/http.js';
import { mint } from '../support/jwt.js';
import { manualClock } from '../support/manual-clock.js';

const PETSTORE = resolve(import.meta.dirname, '../../examples/openapi/petstore.yaml');
const OPTIONS = resolve(import.meta.dirname, '../../examples/openapi/options.mjs');

const example = (await import(pathToFileURL(OPTIONS).href)) as {
  default: Parameters<typeof gateway.openapi>[1];
  DEMO_KEY: string;
  JWT_SECRET: string;
  authorizerCalls: { count: number };
  backend: import('node:http').Server;
};
afterAll(() => {
  example.backend.close();
});

const withKey = { 'x-api-key': example.DEMO_KEY };
const partner = { 'x-partner-id': 'acme', 'x-partner-secret': 'acme-secret' };
const ownerToken = (claims: Record<string, unknown> = {}) =>
  mint('HS256', example.JWT_SECRET, {
    sub: 'owner-7',
    iss: 'https://auth.petstore.example/',
    aud: 'petstore',
    ...claims,
  });

/** Whether this build runs the document's gateway responses (reported as not run otherwise). */
let gatewayResponsesRun = true;
gateway
  .openapi(PETSTORE, {
    ...example.default,
    onUnsupported: (report) => {
      if (report.items.some((item) => item.pointer === '/x-amazon-apigateway-gateway-responses'))
        gatewayResponsesRun = false;
    },
  })
  .close();

describeEachFramework('the example petstore', (fw) => {
  // As `portcullis serve` runs it: what the document does not define is the gateway's to refuse.
  const start = (options = example.default) =>
    fw.start({
      use: [
        gateway.openapi(PETSTORE, { unmatched: 'refuse', ...options, onUnsupported: () => {} }),
      ],
    });

  it('serves the mock health check without a key, under each stage', async () => {
    const app = await start();
    for (const stage of ['dev', 'prod']) {
      const res = await app.request(`/${stage}/health`);
      expect([res.status, res.body, res.headers['cache-control']]).toEqual([
        200,
        '{"status":"ok"}',
        'no-store',
      ]);
    }
  });

  it('lists pets through the payload 1.0 Lambda with the API key, with the stage and its variables', async () => {
    const app = await start();
    const res = await app.request('/dev/pets?type=cat', { headers: withKey });
    expect(res.status).toBe(200);
    expect(res.json).toEqual([{ id: '2', name: 'Tom', type: 'cat', age: 2 }]);
    expect([res.headers['x-stage'], res.headers['x-catalogue']]).toEqual(['dev', 'dev']);
    expect((await app.request('/dev/pets')).status).toBe(403);
    expect((await app.request('/dev/pets', { headers: { 'x-api-key': 'nope' } })).status).toBe(403);
  });

  it('adds a pet through the payload 2.0 Lambda for a JWT holder, after validating the body', async () => {
    const app = await start();
    const post = (body: unknown, token = ownerToken()) =>
      app.request('/prod/pets', {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const added = await post({ name: 'Bo', type: 'dog' });
    expect(added.status).toBe(201);
    expect(added.json).toMatchObject({ name: 'Bo', type: 'dog', owner: 'owner-7' });
    for (const invalid of [
      { name: 'Bo' },
      { name: 'Bo', type: 'cow' },
      { name: 'Bo', type: 'dog', colour: 'red' },
    ]) {
      const refused = await post(invalid);
      expect(refused.status).toBe(400);
      expect(refused.body).toContain('"Invalid request body"');
    }
    expect((await post({ name: 'Bo', type: 'dog' }, ownerToken({ aud: 'elsewhere' }))).status).toBe(
      401,
    );
    const anonymous = await app.request('/prod/pets', { method: 'POST', body: '{}' });
    expect(anonymous.status).toBe(401);
  });

  it('answers the photo as binary from a base64 Lambda result', async () => {
    const app = await start();
    const res = await fetch(`${app.url}/prod/pets/1/photo`, { headers: withKey });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/png');
    const bytes = Buffer.from(await res.arrayBuffer());
    expect(bytes.subarray(0, 8)).toEqual(
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    );
  });

  it('maps parameters to and from the pet service, and requires the mapped header', async () => {
    const app = await start();
    const res = await app.request('/dev/pets/2', {
      headers: { ...withKey, 'x-locale': 'de', 'x-request-id': 'petstore-1' },
    });
    expect(res.status).toBe(200);
    expect(res.headers['x-pet-source']).toBe('pet-service');
    expect(res.json).toEqual({
      id: '2',
      name: 'Tom',
      type: 'cat',
      age: 2,
      locale: 'de',
      catalogue: 'dev',
      via: 'petstore',
      requestId: 'petstore-1',
    });
    const missing = await app.request('/dev/pets/2', { headers: withKey });
    expect(missing.status).toBe(400);
    expect(missing.body).toContain('"Missing required request parameters: [X-Locale]"');
  });

  it('proxies the catalogue for partners the request authorizer admits, caching its answer', async () => {
    const app = await start();
    const before = example.authorizerCalls.count;
    for (let i = 0; i < 3; i++) {
      const res = await app.request('/dev/catalogue/toys/balls?colour=red', {
        method: i === 2 ? 'POST' : 'GET',
        headers: partner,
      });
      expect(res.status).toBe(200);
      expect(res.json).toMatchObject({ version: 'dev', item: 'toys/balls', query: '?colour=red' });
    }
    expect(example.authorizerCalls.count - before).toBe(1);
    const wrong = await app.request('/dev/catalogue/toys', {
      headers: { ...partner, 'x-partner-secret': 'guess' },
    });
    expect(wrong.status).toBe(401);
    expect((await app.request('/dev/catalogue/toys')).status).toBe(401);
  });

  it('keeps the admin resources to the networks the resource policy allows', async () => {
    const app = await start();
    expect((await app.request('/prod/admin/stats')).status).toBe(200);
    const outsider = await app.request('/prod/admin/stats', { localAddress: '127.0.0.2' });
    expect(outsider.status).toBe(403);
    expect((await app.request('/prod/health', { localAddress: '127.0.0.2' })).status).toBe(200);
  });

  it('answers CORS preflights for the shop origin only', async () => {
    const app = await start();
    const preflight = (origin: string) =>
      app.request('/prod/pets', {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST' },
      });
    const shop = await preflight('https://shop.petstore.example');
    expect(shop.status).toBe(204);
    expect(shop.headers['access-control-allow-origin']).toBe('https://shop.petstore.example');
    expect(shop.headers['access-control-max-age']).toBe('600');
    expect(
      (await preflight('https://evil.example')).headers['access-control-allow-origin'],
    ).toBeUndefined();
  });

  it.skipIf(!gatewayResponsesRun)(
    "answers refusals with the document's gateway responses",
    async () => {
      const app = await start();
      const unknown = await app.request('/prod/no/such/thing');
      expect([unknown.status, unknown.json]).toEqual([
        404,
        { error: { type: 'NOT_FOUND', message: 'No such resource: GET /prod/no/such/thing' } },
      ]);
      const keyless = await app.request('/dev/pets');
      expect([keyless.status, keyless.body]).toEqual([
        403,
        '{"error":{"type":"INVALID_API_KEY","message":"Send your key in x-api-key"}}',
      ]);
      // DEFAULT_4XX: the refusal's own type, message and request id; the piece's own headers kept.
      const anonymous = await app.request('/prod/pets', {
        method: 'POST',
        headers: { 'x-request-id': 'owner-less', origin: 'https://shop.petstore.example' },
      });
      expect(anonymous.status).toBe(401);
      expect(anonymous.json).toEqual({
        error: { type: 'UNAUTHORIZED', message: 'Unauthorized', requestId: 'owner-less' },
      });
      expect(anonymous.headers['www-authenticate']).toMatch(/^Bearer/);
      expect(anonymous.headers['access-control-allow-origin']).toBe(
        'https://shop.petstore.example',
      );
      const outsider = await app.request('/prod/admin/stats', { localAddress: '127.0.0.2' });
      expect([outsider.status, (outsider.json as { error: { type: string } }).error.type]).toEqual([
        403,
        'ACCESS_DENIED',
      ]);
      const invalid = await app.request('/dev/pets/2', { headers: withKey });
      expect(invalid.json).toMatchObject({
        error: {
          type: 'BAD_REQUEST_PARAMETERS',
          message: 'Missing required request parameters: [X-Locale]',
        },
      });
    },
  );

  it('throttles the prod stage beyond its burst of 100', async () => {
    // The stage's own rate and burst on a clock that stands still: at 50 a second, 150 requests
    // that a loaded machine spreads over a second or more would otherwise all be refilled for.
    const { stages, ...rest } = example.default!;
    const app = await start({
      ...rest,
      stages: {
        ...stages,
        prod: { ...stages!.prod, throttle: { ...stages!.prod!.throttle!, clock: manualClock() } },
      },
    });
    const answers = await Promise.all(
      Array.from({ length: 150 }, () => request(app.url, '/prod/health')),
    );
    const statuses = answers.map((res) => res.status);
    expect(statuses.filter((status) => status === 200).length).toBe(100);
    expect(statuses.filter((status) => status === 429).length).toBe(50);
    const throttled = answers.find((res) => res.status === 429)!;
    expect(throttled.headers['retry-after']).toBeDefined();
    if (gatewayResponsesRun) {
      expect(throttled.json).toEqual({
        error: { type: 'THROTTLED', message: 'Slow down, there are only so many pets' },
      });
      expect(throttled.headers['x-petstore-plan-help']).toBe('https://petstore.example/plans');
    }
  });

  it('serves about 10 % of prod requests from the canary (2 000 requests, within 5 standard deviations)', async () => {
    // Without the stage's throttle (100 at once, 50 a second), which this many requests exceed.
    const { stages, ...rest } = example.default!;
    const app = await start({
      ...rest,
      stages: { ...stages, prod: { ...stages!.prod, throttle: undefined } },
    });
    // 2 000 requests through the whole gateway: seconds of CPU, past the default 20 s on a loaded
    // machine (no time is measured here, the bound only catches a hang).
    let canary = 0;
    const total = 2000;
    for (let sent = 0; sent < total; sent += 50) {
      const answers = await Promise.all(
        Array.from({ length: 50 }, () =>
          request(app.url, '/prod/catalogue/toys', { headers: partner }),
        ),
      );
      for (const res of answers) {
        expect(res.status).toBe(200);
        if ((res.json as { version: string }).version === 'v2') canary++;
        else expect((res.json as { version: string }).version).toBe('v1');
      }
    }
    // Binomial(2000, 0.1): mean 200, standard deviation 13.4.
    expect(canary).toBeGreaterThan(200 - 5 * 13.4);
    expect(canary).toBeLessThan(200 + 5 * 13.4);
  }, 60_000);
});
