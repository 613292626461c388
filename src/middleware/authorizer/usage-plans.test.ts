/**
 * `usagePlans({ keySource: 'authorizer' })`: the API key comes from the authorizer's
 * `usageIdentifierKey` (API Gateway's API key source AUTHORIZER), never from the request, and
 * the proxy forwards nothing the client did not send.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeEachFramework, type Framework } from '../../../test/support/frameworks.js';
import {
  type EchoReply,
  startEchoUpstream,
  type Upstream,
} from '../../../test/support/upstream.js';
import { createMiddleware } from '../../adapters/universal.js';
import type { GatewayMiddleware } from '../../core/middleware.js';
import { proxy } from '../proxy/index.js';
import { usagePlans } from '../usage-plans/index.js';
import { authorizer } from './index.js';
import type { AuthorizerEvent } from './types.js';

const KEY = 'authorizer-key-0123456789abc';
const PLANS = { basic: { quota: { limit: 2, period: 'day' as const } } };
const KEYS = [{ id: 'acme', key: KEY, plan: 'basic' }];

let up: Upstream;
beforeAll(async () => {
  up = await startEchoUpstream();
});
afterAll(() => up.close());

/** Tokens `acme-*` belong to the tenant whose usage-plan key is KEY; `guest` has none. */
function tenantAuthorizer(event: AuthorizerEvent) {
  const token = event.type === 'REQUEST' ? event.headers.authorization : undefined;
  if (token === 'guest') return { principalId: 'guest', allow: true };
  if (token?.startsWith('acme-'))
    return { principalId: token, allow: true, usageIdentifierKey: KEY };
  throw new Error('Unauthorized');
}

/** Answers with what later middlewares see on the context, instead of proxying. */
const showContext = createMiddleware('showContext', (ex) => {
  const { apiKey, principal } = ex.gateway;
  ex.setHeader('content-type', 'application/json');
  ex.respond(200, JSON.stringify({ apiKey, principal: principal?.id }));
});

/** authorizer → usagePlans reading the authorizer's key → `last`. */
function startTenantApp(fw: Framework, last: GatewayMiddleware) {
  return fw.start({
    use: [
      authorizer(tenantAuthorizer),
      usagePlans({ plans: PLANS, keys: KEYS, keySource: 'authorizer' }),
      last,
    ],
  });
}

describe('usagePlans() keySource option', () => {
  it("takes 'authorizer' and still refuses other strings", () => {
    expect(() => usagePlans({ plans: PLANS, keySource: 'authorizer' })).not.toThrow();
    expect(() => usagePlans({ plans: PLANS, keySource: 'header' as never })).toThrow(
      /option "keySource" must be a function or 'authorizer'/,
    );
  });
});

describeEachFramework("usagePlans({ keySource: 'authorizer' })", (fw) => {
  it("admits with the authorizer's usageIdentifierKey and counts it against the key's quota", async () => {
    const app = await startTenantApp(fw, showContext);
    const first = await app.request('/r', { headers: { authorization: 'acme-1' } });
    expect(first.status).toBe(200);
    expect(first.json).toEqual({ apiKey: { id: 'acme', plan: 'basic' }, principal: 'acme-1' });
    // Another caller of the same tenant shares the key's quota (limit 2 a day).
    expect((await app.request('/r', { headers: { authorization: 'acme-2' } })).status).toBe(200);
    const over = await app.request('/r', { headers: { authorization: 'acme-1' } });
    expect(over.status).toBe(429);
    expect(over.json).toEqual({ message: 'Limit Exceeded' });
  });

  it('refuses 403 when the authorizer named no key, even if the client sends x-api-key', async () => {
    const app = await startTenantApp(fw, showContext);
    const res = await app.request('/r', { headers: { authorization: 'guest', 'x-api-key': KEY } });
    expect(res.status).toBe(403);
    expect(res.json).toEqual({ message: 'Forbidden' });
  });

  it('forwards the request to the upstream without the key, nor anything the client did not send', async () => {
    const app = await startTenantApp(fw, proxy(up.url));
    const res = await app.request('/pets?a=1', {
      headers: { authorization: 'acme-9', 'x-other': 'kept' },
    });
    expect(res.status).toBe(200);
    const seen = res.json as EchoReply;
    expect(seen.url).toBe('/pets?a=1');
    expect(seen.headers['x-other']).toBe('kept');
    expect(seen.headers['x-api-key']).toBeUndefined();
    expect(JSON.stringify(seen)).not.toContain(KEY);
  });
});
