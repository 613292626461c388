import { describe, expect, it } from 'vitest';
import { describeEachFramework, type Reply } from '../../../test/support/frameworks.js';
import { manualClock } from '../../../test/support/manual-clock.js';
import { RawConnection } from '../../../test/support/raw-http.js';
import type { GatewayMiddleware } from '../../core/middleware.js';
import { usagePlans } from '../usage-plans/index.js';
import { type CacheOptions, cache } from './index.js';

/** A GET /r that answers which host and protocol it was asked for, and counts its calls. */
function hostEcho() {
  const counter = { calls: 0 };
  const reply = (gateway: unknown): Reply => {
    counter.calls += 1;
    return { body: `call ${counter.calls}`, headers: { 'x-seen': String(gateway !== undefined) } };
  };
  return { counter, route: { method: 'GET', path: '/r', reply } };
}

describeEachFramework('cache() keys', (fw) => {
  async function start(options: CacheOptions, trustProxy = false) {
    const { counter, route } = hostEcho();
    const app = await fw.start({
      use: [cache({ clock: manualClock(), ...options })],
      routes: [route],
      trustProxy,
    });
    return { app, counter };
  }

  describe('a target with a fragment', () => {
    it('keys on the path and query the router reads: a fragment is neither', async () => {
      const { app, counter } = await start({});
      // Raw: clients drop a fragment; the routers read `/r#?a=1` as `/r` with no query.
      const conn = await RawConnection.open(app.url);
      const bodies: string[] = [];
      for (const target of ['/r#?a=1', '/r', '/r?a=1', '/r?a=1#?b=2', '/r#f']) {
        conn.write(`GET ${target} HTTP/1.1\r\nHost: a.example\r\n\r\n`);
        bodies.push((await conn.response())?.body ?? '');
      }
      conn.destroy();
      expect(bodies).toEqual(['call 1', 'call 1', 'call 2', 'call 2', 'call 1']);
      expect(counter.calls).toBe(2);
    });

    it('keys an absolute-form target on the path and query the router reads, not its authority', async () => {
      const { app, counter } = await start({});
      // Raw: Express and Koa route `http://other.example/r?a=1` as `/r?a=1`, for the Host sent.
      const conn = await RawConnection.open(app.url);
      const bodies: string[] = [];
      for (const target of ['/r?a=1', 'http://other.example/r?a=1', 'HTTP://x:1/r?a=1#f', '/r']) {
        conn.write(`GET ${target} HTTP/1.1\r\nHost: a.example\r\n\r\n`);
        bodies.push((await conn.response())?.body ?? '');
      }
      conn.destroy();
      expect(bodies).toEqual(['call 1', 'call 1', 'call 1', 'call 2']);
      expect(counter.calls).toBe(2);
    });

    it('keeps `/r??a=1` (the parameter `?a` for the app) apart from `/r?a=1`', async () => {
      const { app, counter } = await start({});
      const bodies: string[] = [];
      for (const path of ['/r??a=1', '/r?a=1', '/r??a=1'])
        bodies.push((await app.request(path)).body);
      expect(bodies).toEqual(['call 1', 'call 2', 'call 1']);
      expect(counter.calls).toBe(2);
    });
  });

  describe('the key ignores Host (two tenants of one app shared entries)', () => {
    it('keeps one entry per host: a tenant never gets another tenant’s response', async () => {
      const { app, counter } = await start({});
      const a1 = await app.request('/r', { headers: { host: 'a.example' } });
      const b1 = await app.request('/r', { headers: { host: 'b.example' } });
      const a2 = await app.request('/r', { headers: { host: 'a.example' } });
      const b2 = await app.request('/r', { headers: { host: 'b.example' } });
      expect(counter.calls).toBe(2);
      expect([a1.body, b1.body, a2.body, b2.body]).toEqual([
        'call 1',
        'call 2',
        'call 1',
        'call 2',
      ]);
      expect(b1.headers['cache-status']).toBe('portcullis; fwd=miss; stored');
      expect(b2.headers['cache-status']).toBe('portcullis; hit; ttl=300');
    });

    it('shares entries between hosts with host: false (an app with one host)', async () => {
      const { app, counter } = await start({ host: false });
      await app.request('/r', { headers: { host: 'a.example' } });
      const b = await app.request('/r', { headers: { host: 'b.example' } });
      expect(counter.calls).toBe(1);
      expect(b.body).toBe('call 1');
    });

    it('keys on the forwarded host and protocol when the app trusts its proxy', async () => {
      const { app, counter } = await start({}, true);
      const via = (host: string, proto: string) => ({
        headers: { host: 'backend:3000', 'x-forwarded-host': host, 'x-forwarded-proto': proto },
      });
      const a = await app.request('/r', via('a.example', 'https'));
      const b = await app.request('/r', via('b.example', 'https'));
      const aHttp = await app.request('/r', via('a.example', 'http'));
      const aAgain = await app.request('/r', via('a.example', 'https'));
      expect([a.body, b.body, aHttp.body, aAgain.body]).toEqual([
        'call 1',
        'call 2',
        'call 3',
        'call 1',
      ]);
      expect(counter.calls).toBe(3);
    });

    it('ignores forwarded headers when the app does not trust a proxy', async () => {
      const { app, counter } = await start({});
      const spoofed = { host: 'a.example', 'x-forwarded-host': 'evil.example' };
      await app.request('/r', { headers: { host: 'a.example' } });
      const res = await app.request('/r', { headers: spoofed });
      expect(counter.calls).toBe(1);
      expect(res.headers['cache-status']).toBe('portcullis; hit; ttl=300');
    });

    it('invalidates a path on every host', async () => {
      const mw = cache({ clock: manualClock() });
      const { counter, route } = hostEcho();
      const app = await fw.start({ use: [mw], routes: [route] });
      await app.request('/r', { headers: { host: 'a.example' } });
      await app.request('/r', { headers: { host: 'b.example' } });
      expect(await mw.invalidate('/r')).toBe(2);
      await app.request('/r', { headers: { host: 'a.example' } });
      expect(counter.calls).toBe(3);
    });
  });

  it('refuses a host option that is not a boolean, naming it', () => {
    expect(() => cache({ host: 'yes' as never })).toThrow(/"host"/);
  });
});

const KEY = 'alice-key-0123456789abcdef';
const OTHER_KEY = 'bob-key-0123456789abcdef00';

describeEachFramework('cache() and credentials', (fw) => {
  async function start(options: CacheOptions, use: GatewayMiddleware[] = []) {
    let calls = 0;
    const mw = cache({ clock: manualClock(), ...options });
    const app = await fw.start({
      use: [mw, ...use],
      routes: [{ method: 'GET', path: '/r', reply: () => ({ body: `call ${++calls}` }) }],
    });
    return { app, calls: () => calls };
  }
  const withKey = (key: string) => ({ headers: { 'x-api-key': key } });

  describe('a cache mounted before usagePlans served a key holder’s response to anyone', () => {
    it('bypasses the cache for a request with an API key nobody admitted yet', async () => {
      const { app, calls } = await start({});
      const first = await app.request('/r', withKey(KEY));
      await app.request('/r', withKey(KEY));
      const anonymous = await app.request('/r');
      expect(first.headers['cache-status']).toBe('portcullis; fwd=bypass');
      expect(anonymous.body).toBe('call 3');
      expect(calls()).toBe(3);
    });

    it('does not store a response to a request that usage plans behind it admitted', async () => {
      const plans = usagePlans({
        plans: { free: {} },
        keys: [{ id: 'alice', key: KEY, plan: 'free' }],
        // A key the cache cannot see: its own header, read by a function.
        keySource: (req: {
          headers?: Record<string, string>;
          req?: { headers: Record<string, string> };
        }) => (req.req ?? req).headers?.['x-token'],
      });
      const { app, calls } = await start({}, [plans]);
      const keyed = await app.request('/r', { headers: { 'x-token': KEY } });
      const anonymous = await app.request('/r');
      expect([keyed.status, keyed.headers['cache-status']]).toEqual([
        200,
        'portcullis; fwd=bypass',
      ]);
      expect(anonymous.status).toBe(403);
      expect(calls()).toBe(1);
    });

    it('caches per key when the key header is in headers', async () => {
      const { app, calls } = await start({ headers: ['x-api-key'] });
      await app.request('/r', withKey(KEY));
      const again = await app.request('/r', withKey(KEY));
      const other = await app.request('/r', withKey(OTHER_KEY));
      expect([again.body, other.body]).toEqual(['call 1', 'call 2']);
      expect(calls()).toBe(2);
    });

    it('shares entries with shared: true or apiKeyHeader: false', async () => {
      for (const options of [{ shared: true }, { apiKeyHeader: false as const }]) {
        const { app, calls } = await start(options);
        await app.request('/r', withKey(KEY));
        expect((await app.request('/r')).body).toBe('call 1');
        expect(calls()).toBe(1);
      }
    });

    it('heeds the header named by apiKeyHeader', async () => {
      const { app, calls } = await start({ apiKeyHeader: 'X-Key' });
      await app.request('/r', { headers: { 'x-key': KEY } });
      await app.request('/r', withKey(KEY));
      expect((await app.request('/r')).body).toBe('call 2');
      expect(calls()).toBe(2);
    });
  });

  it('refuses an apiKeyHeader that is not a header name or false, naming it', () => {
    for (const bad of ['', 'x key', true, 7])
      expect(() => cache({ apiKeyHeader: bad as never })).toThrow(/"apiKeyHeader"/);
  });
});
