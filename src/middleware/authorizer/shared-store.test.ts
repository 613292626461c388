/**
 * `authorizer({ store })`: results shared between instances through `redisStore().authorizerResults`
 * on a real Redis, and a store that fails only costs a call of `fn`.
 */

import type { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { describeEachFramework } from '../../../test/support/frameworks.js';
import { manualClock } from '../../../test/support/manual-clock.js';
import { connectRedis, deleteByPrefix, uniquePrefix } from '../../../test/support/redis.js';
import type { AuthorizerResultStore } from '../../stores/authorizer.js';
import { redisStore } from '../../stores/redis/index.js';
import { authorizer } from './index.js';
import type { AuthorizerEvent, AuthorizerResult } from './types.js';

const TOKEN = 'Bearer shared-token-of-alice';
const withToken = (method = 'GET') => ({ method, headers: { authorization: TOKEN } });

let client: Redis | undefined;
const prefix = uniquePrefix('authorizer');
beforeAll(async () => {
  client = await connectRedis();
});
afterAll(async () => {
  if (client !== undefined) {
    await deleteByPrefix(client, prefix);
    client.disconnect();
  }
});

/** Allows exactly the resource asked about, counting calls. */
function exactPolicy() {
  const calls: AuthorizerEvent[] = [];
  const fn = (event: AuthorizerEvent): AuthorizerResult => {
    calls.push(event);
    return {
      principalId: 'alice',
      context: { tenant: 'acme' },
      policyDocument: {
        Statement: [{ Effect: 'Allow', Action: 'execute-api:Invoke', Resource: event.methodArn }],
      },
    };
  };
  return { fn, calls };
}

const ROUTES = ['GET', 'DELETE'].map((method) => ({
  method,
  path: '/pets',
  reply: (gateway: unknown) => ({
    body: { principal: (gateway as { principal: unknown }).principal },
  }),
}));

describeEachFramework('authorizer({ store: redisStore().authorizerResults })', (fw) => {
  it('asks fn once for two instances, each evaluating the shared policy for its own request', async (ctx) => {
    if (client === undefined) return ctx.skip();
    const clock = manualClock(Date.now());
    const { fn, calls } = exactPolicy();
    const name = `shared-${fw.name}`;
    const store = redisStore({ client, prefix, onStateChange: () => undefined });
    const options = { store: store.authorizerResults, name, clock };
    const one = await fw.start({ use: [authorizer(fn, options)], routes: ROUTES });
    const two = await fw.start({ use: [authorizer(fn, options)], routes: ROUTES });
    expect((await one.request('/pets', withToken())).status).toBe(200);
    const res = await two.request('/pets', withToken());
    expect(res.status).toBe(200);
    expect(res.json).toEqual({
      principal: { id: 'alice', via: 'authorizer', context: { tenant: 'acme' } },
    });
    expect(calls).toHaveLength(1);
    // The shared policy allows GET /pets only: instance two refuses DELETE without asking.
    expect((await two.request('/pets', withToken('DELETE'))).status).toBe(403);
    expect(calls).toHaveLength(1);
    // The token is never a key or a value in Redis.
    const keys = await client.keys(`${prefix}az:${name}:*`);
    expect(keys).toHaveLength(1);
    expect(keys[0]).not.toContain('shared-token');
    expect(await client.get(keys[0] as string)).not.toContain('shared-token');
    // Once the TTL passed (by the middleware's clock), a new instance asks fn again.
    clock.advance(300_000);
    const three = await fw.start({ use: [authorizer(fn, options)], routes: ROUTES });
    expect((await three.request('/pets', withToken())).status).toBe(200);
    expect(calls).toHaveLength(2);
  });

  it('calls fn as usual when the store throws, rejects, hangs or holds garbage', async () => {
    vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    const stores: AuthorizerResultStore[] = [
      {
        get: () => {
          throw new Error('down');
        },
        set: () => Promise.reject(new Error('down')),
      },
      { get: () => Promise.reject(new Error('down')), set: () => new Promise(() => {}) },
      { get: async () => '{"r": {"principalId": 1}, "e": 9e15}', set: async () => {} },
      { get: async () => 'not json', set: () => undefined as never },
    ];
    for (const store of stores) {
      const { fn, calls } = exactPolicy();
      const app = await fw.start({ use: [authorizer(fn, { store })], routes: ROUTES });
      expect((await app.request('/pets', withToken())).status).toBe(200);
      expect((await app.request('/pets', withToken())).status).toBe(200);
      expect(calls).toHaveLength(1);
    }
    // A store whose get never answers: the request still gets its answer within timeoutMs.
    const hung: AuthorizerResultStore = { get: () => new Promise(() => {}), set: async () => {} };
    const { fn } = exactPolicy();
    const app = await fw.start({
      use: [authorizer(fn, { store: hung, timeoutMs: 50 })],
      routes: ROUTES,
    });
    expect((await app.request('/pets', withToken())).status).toBe(500);
  });
});
