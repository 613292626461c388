/**
 * `forwardApiKey: false` keeps the API key from the upstream wherever `usagePlans()` read it:
 * its `header` option (learned per request from the gateway context), and, for a key read by
 * `keySource`, the headers and query parameters named in `apiKeySources`.
 */

import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachFramework } from '../../../test/support/frameworks.js';
import {
  type EchoReply,
  startEchoUpstream,
  type Upstream,
} from '../../../test/support/upstream.js';
import { usagePlans } from '../usage-plans/index.js';
import { proxy } from './index.js';

let up: Upstream;
beforeAll(async () => {
  up = await startEchoUpstream();
});
afterAll(() => up.close());

const KEY = 'proxy-key-0123456789abcdef';
const PLANS = { basic: {} };
const KEYS = [{ id: 'client', key: KEY, plan: 'basic' }];
const echo = (res: { json: unknown }) => res.json as EchoReply;

// biome-ignore lint/suspicious/noExplicitAny: Express req or Koa ctx
const fromQuery = (req: any) => req.query?.api_key as string | undefined;

describeEachFramework('proxy() API key stripping', (fw) => {
  it('does not forward the header usagePlans reads the key from (header: "x-key"), unless forwardApiKey', async () => {
    const app = await fw.start({
      use: [
        usagePlans({ plans: PLANS, keys: KEYS, header: 'X-Key' }),
        proxy({ target: up.url, prefix: '/fwd', forwardApiKey: true }),
        proxy(up.url),
      ],
    });
    const res = await app.request('/k', { headers: { 'x-key': KEY, 'x-other': 'kept' } });
    expect(res.status).toBe(200);
    expect(echo(res).headers['x-key']).toBeUndefined();
    expect(echo(res).headers['x-other']).toBe('kept');
    const forwarded = await app.request('/fwd/k', { headers: { 'x-key': KEY } });
    expect(echo(forwarded).headers['x-key']).toBe(KEY);
  });

  it('does not forward a key read by keySource from the query (apiKeySources.query), keeping the other parameters', async () => {
    const app = await fw.start({
      use: [
        usagePlans({ plans: PLANS, keys: KEYS, keySource: fromQuery }),
        proxy({ target: up.url, apiKeySources: { query: 'api_key' } }),
      ],
    });
    const res = await app.request(`/q?a=1&api_key=${KEY}&b=2&api_keyx=3`);
    expect(res.status).toBe(200);
    expect(echo(res).url).toBe('/q?a=1&b=2&api_keyx=3');
    // The name as the query parser reads it: percent-encoded is the same parameter.
    const encoded = await app.request(`/q?api%5Fkey=${KEY}&z=1`);
    expect([encoded.status, echo(encoded).url]).toEqual([200, '/q?z=1']);
    const only = await app.request(`/q?api_key=${KEY}`);
    expect(echo(only).url).toBe('/q');
  });

  it('does not forward the headers named in apiKeySources.headers, nor x-api-key', async () => {
    const app = await fw.start({
      use: [proxy({ target: up.url, apiKeySources: { headers: ['X-Gateway-Key'] } })],
    });
    const res = await app.request('/h?api_key=kept', {
      headers: { 'x-gateway-key': KEY, 'x-api-key': KEY, 'x-other': 'kept' },
    });
    const seen = echo(res);
    expect([seen.headers['x-gateway-key'], seen.headers['x-api-key']]).toEqual([
      undefined,
      undefined,
    ]);
    expect(seen.headers['x-other']).toBe('kept');
    // Only the parameters it names are dropped.
    expect(seen.url).toBe('/h?api_key=kept');
  });

  it('forwards everything with forwardApiKey: true', async () => {
    const app = await fw.start({
      use: [
        proxy({
          target: up.url,
          forwardApiKey: true,
          apiKeySources: { headers: 'x-gateway-key', query: ['api_key'] },
        }),
      ],
    });
    const seen = echo(
      await app.request(`/f?api_key=${KEY}`, {
        headers: { 'x-gateway-key': KEY, 'x-api-key': KEY },
      }),
    );
    expect([seen.url, seen.headers['x-gateway-key'], seen.headers['x-api-key']]).toEqual([
      `/f?api_key=${KEY}`,
      KEY,
      KEY,
    ]);
  });
});
