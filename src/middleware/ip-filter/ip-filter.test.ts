import { describe, expect, it } from 'vitest';
import { describeEachFramework } from '../../../test/support/frameworks.js';
import { cors } from '../cors/index.js';
import { ipFilter } from './index.js';

/** Request headers from a client at `address` (the apps trust X-Forwarded-For where asked). */
const from = (address: string) => ({ headers: { 'x-forwarded-for': address } });

/** A route that answers what the context holds, so that a test sees whether the handler ran. */
const echoRoute = {
  method: 'GET',
  path: '/r',
  reply: (gateway: unknown) => ({ body: { reached: true, gateway } }),
};

describe('ipFilter() options', () => {
  it('throws at start-up naming an invalid entry', () => {
    expect(() => ipFilter({ allow: ['10.0.0.0/8', 'localhost'] })).toThrow(
      /option "allow\[1\]" must be an IP address or CIDR range .*got "localhost"/,
    );
    expect(() => ipFilter({ deny: ['10.0.0.1/8'] })).toThrow(/option "deny\[0\]".*host bits/);
    expect(() => ipFilter({ deny: ['10.0.0.0/33'] })).toThrow(/option "deny\[0\]"/);
    expect(() => ipFilter({ deny: ['fe80::1%eth0'] })).toThrow(/option "deny\[0\]".*zone/);
    expect(() => ipFilter({ deny: [42 as never] })).toThrow(TypeError);
    expect(() => ipFilter({ deny: '10.0.0.0/8' as never })).toThrow(/option "deny"/);
    expect(() => ipFilter({ deny: null as never })).toThrow(/option "deny" must be an array/);
    expect(() => ipFilter({ allow: 42 as never })).toThrow(/option "allow" must be an array/);
  });

  it('refuses an empty filter, an empty allow list, unknown options and bad responses', () => {
    expect(() => ipFilter({})).toThrow(/give "allow", "deny" or both/);
    expect(() => ipFilter({ allow: [] })).toThrow(/option "allow"/);
    expect(() => ipFilter({ alow: ['10.0.0.0/8'] } as never)).toThrow(/unknown option "alow"/);
    expect(() => ipFilter({ deny: ['10.0.0.0/8'], response: { status: 42 } })).toThrow(
      /option "response.status"/,
    );
  });

  it('does not mutate the options it is given', () => {
    const options = Object.freeze({ allow: Object.freeze([' 10.0.0.0/8 ']), deny: undefined });
    expect(() => ipFilter(options)).not.toThrow();
    expect(options.allow).toEqual([' 10.0.0.0/8 ']);
  });
});

describeEachFramework('ipFilter()', (framework) => {
  it('admits an allowed socket address and lets the handler run', async () => {
    const app = await framework.start({
      use: [ipFilter({ allow: ['127.0.0.0/8', '::1'] })],
      routes: [echoRoute],
    });
    const res = await app.request('/r');
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ reached: true });
  });

  it('answers 403 Forbidden to an address outside the allow list, before the handler', async () => {
    const app = await framework.start({
      use: [ipFilter({ allow: ['10.0.0.0/8'] })],
      routes: [echoRoute],
    });
    const res = await app.request('/r');
    expect(res.status).toBe(403);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(res.json).toEqual({ message: 'Forbidden' });
    expect(res.headers['x-request-id']).toBeDefined();
  });

  it('ignores X-Forwarded-For unless the app trusts its proxy', async () => {
    const app = await framework.start({
      use: [ipFilter({ allow: ['10.0.0.0/8'] })],
      routes: [echoRoute],
    });
    expect((await app.request('/r', from('10.1.2.3'))).status).toBe(403);
  });

  it('uses the address the app trusts (Express trust proxy, Koa app.proxy), like throttle', async () => {
    const app = await framework.start({
      trustProxy: true,
      use: [ipFilter({ allow: ['10.0.0.0/8', '2001:db8::/32'], deny: ['10.9.0.0/16'] })],
      routes: [echoRoute],
    });
    const statusFrom = async (address: string) => (await app.request('/r', from(address))).status;
    expect(await statusFrom('10.1.2.3')).toBe(200);
    expect(await statusFrom('11.1.2.3')).toBe(403);
    expect(await statusFrom('2001:db8::42')).toBe(200);
    expect(await statusFrom('2001:db9::42')).toBe(403);
    // An IPv4-mapped address is its IPv4 address.
    expect(await statusFrom('::ffff:10.1.2.3')).toBe(200);
    expect(await statusFrom('::ffff:11.1.2.3')).toBe(403);
  });

  it('lets an explicit deny win over an allow that also matches', async () => {
    const app = await framework.start({
      trustProxy: true,
      use: [ipFilter({ allow: ['10.0.0.0/8', '10.9.8.7'], deny: ['10.9.0.0/16'] })],
      routes: [echoRoute],
    });
    expect((await app.request('/r', from('10.9.8.7'))).status).toBe(403);
    expect((await app.request('/r', from('10.8.8.7'))).status).toBe(200);
  });

  it('with only a deny list, admits every other address', async () => {
    const app = await framework.start({
      trustProxy: true,
      use: [ipFilter({ deny: ['203.0.113.0/24', '::ffff:198.51.100.7'] })],
      routes: [echoRoute],
    });
    expect((await app.request('/r', from('203.0.113.9'))).status).toBe(403);
    expect((await app.request('/r', from('198.51.100.7'))).status).toBe(403);
    expect((await app.request('/r', from('198.51.100.8'))).status).toBe(200);
    expect((await app.request('/r', from('2001:db8::1'))).status).toBe(200);
  });

  it('refuses an address that is not an IP address (untrusted garbage), without crashing', async () => {
    const app = await framework.start({
      trustProxy: true,
      use: [ipFilter({ deny: ['203.0.113.0/24'] })],
      routes: [echoRoute],
    });
    for (const garbage of [
      'unknown',
      '999.1.1.1',
      '10.0.0.1:443',
      '[::1]',
      '1.2.3.04',
      'x'.repeat(5000),
    ]) {
      const res = await app.request('/r', from(garbage));
      expect(res.status, garbage).toBe(403);
      expect(res.json).toEqual({ message: 'Forbidden' });
    }
    expect((await app.request('/r', from('198.51.100.1'))).status).toBe(200);
  });

  it('matches a zone-qualified IPv6 client address without its zone', async () => {
    const app = await framework.start({
      trustProxy: true,
      use: [ipFilter({ allow: ['fe80::/10'] })],
      routes: [echoRoute],
    });
    expect((await app.request('/r', from('fe80::1%eth0'))).status).toBe(200);
  });

  it('records the refusal on the context as ACCESS_DENIED', async () => {
    let seen: unknown;
    const app = await framework.start({
      use: [
        {
          express: (req: { gateway?: unknown }, res: { on: Function }, next: () => void) => {
            res.on('finish', () => {
              seen = (req.gateway as { error?: unknown }).error;
            });
            next();
          },
          koa: async (
            ctx: { state: { gateway?: { error?: unknown } } },
            next: () => Promise<void>,
          ) => {
            await next();
            seen = ctx.state.gateway?.error;
          },
        },
        ipFilter({ allow: ['10.0.0.0/8'] }),
      ],
      routes: [echoRoute],
    });
    expect((await app.request('/r')).status).toBe(403);
    await new Promise((resolve) => setImmediate(resolve));
    expect(seen).toEqual({ responseType: 'ACCESS_DENIED', message: 'Forbidden' });
  });

  it('sends its 403 with the CORS headers when cors runs first, and takes an override', async () => {
    const app = await framework.start({
      use: [
        cors({ origin: ['https://app.example.com'] }),
        ipFilter({
          allow: ['10.0.0.0/8'],
          response: { status: 404, message: 'Not Found', headers: { 'x-why': 'ip' } },
        }),
      ],
      routes: [echoRoute],
    });
    const res = await app.request('/r', { headers: { origin: 'https://app.example.com' } });
    expect(res.status).toBe(404);
    expect(res.json).toEqual({ message: 'Not Found' });
    expect(res.headers['x-why']).toBe('ip');
    expect(res.headers['access-control-allow-origin']).toBe('https://app.example.com');
  });

  it('answers each of many concurrent clients by its own address', async () => {
    const app = await framework.start({
      trustProxy: true,
      use: [ipFilter({ allow: ['10.0.0.0/8', '2001:db8::/32'] })],
      routes: [echoRoute],
    });
    const clients = Array.from(
      { length: 60 },
      (_, i) => [`10.0.0.${i}`, `11.0.0.${i}`, `2001:db8::${i}`, `2001:db9::${i}`][i % 4]!,
    );
    const statuses = await Promise.all(
      clients.map(async (address) => (await app.request('/r', from(address))).status),
    );
    expect(statuses).toEqual(clients.map((_, i) => (i % 2 === 0 ? 200 : 403)));
  });

  it('filters on 10,000 ranges of both families', async () => {
    const allow: string[] = [];
    for (let i = 0; i < 5000; i++) allow.push(`10.${i >> 8}.${i & 255}.0/24`);
    for (let i = 0; i < 5000; i++) allow.push(`2001:db8:${i.toString(16)}::/48`);
    const app = await framework.start({
      trustProxy: true,
      use: [ipFilter({ allow })],
      routes: [echoRoute],
    });
    expect((await app.request('/r', from('10.19.135.77'))).status).toBe(200); // 10.19.135.0/24: i = 4999
    expect((await app.request('/r', from('10.19.136.77'))).status).toBe(403);
    expect((await app.request('/r', from('2001:db8:1387:ffff::1'))).status).toBe(200);
    expect((await app.request('/r', from('2001:db8:1388::1'))).status).toBe(403);
  });
});
