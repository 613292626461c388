import { Agent } from 'node:http';
import { describe, expect, it } from 'vitest';
import { manualClock } from '../../../test/support/manual-clock.js';
import { PROXY_DEFAULTS, proxy } from './index.js';
import { resolveProxyOptions } from './options.js';
import { TargetPool } from './targets.js';

const URL_A = 'http://127.0.0.1:9001';

describe('proxy() options', () => {
  it('takes a URL, a list, a function or an options object', () => {
    expect(resolveProxyOptions(URL_A).targets).toEqual({ kind: 'list', urls: [new URL(URL_A)] });
    expect(resolveProxyOptions(new URL(URL_A)).targets.kind).toBe('list');
    expect(resolveProxyOptions([URL_A, 'https://b.example/api']).targets).toMatchObject({
      urls: [new URL(URL_A), new URL('https://b.example/api')],
    });
    expect(resolveProxyOptions(() => URL_A).targets.kind).toBe('function');
  });

  it('uses API Gateway’s defaults', () => {
    const config = resolveProxyOptions(URL_A);
    expect(config).toMatchObject({
      timeout: 29_000,
      idleTimeout: 29_000,
      ejectForMs: 10_000,
      bufferResponsesUpTo: 65_536,
      stripPrefix: true,
      xfwd: true,
      changeOrigin: true,
      forwardApiKey: false,
      ws: false,
      agent: undefined,
    });
    expect(config.badGateway.status).toBe(502);
    expect(JSON.parse(config.timeoutResponse.body.toString())).toEqual({
      message: 'Endpoint request timed out',
    });
    expect(Object.isFrozen(config)).toBe(true);
    expect(PROXY_DEFAULTS.timeout).toBe(29_000);
  });

  it.each([
    [undefined, /option "target"/],
    ['not a url', /option "target"/],
    ['ftp://x.example', /option "target"/],
    ['http://x.example/?q=1', /option "target"/],
    [[], /option "target"/],
    [[URL_A, 42], /option "target\[1\]"/],
    [{ target: URL_A, timeout: 0 }, /option "timeout"/],
    [{ target: URL_A, timeout: 1.5 }, /option "timeout"/],
    [{ target: URL_A, idleTimeout: 0 }, /option "idleTimeout"/],
    [{ target: URL_A, apiKeySources: { query: [''] } }, /option "apiKeySources.query"/],
    [{ target: URL_A, apiKeySources: { headers: ['bad name'] } }, /"apiKeySources.headers"/],
    [{ target: URL_A, apiKeySources: { header: 'x-key' } }, /unknown option "header"/],
    [{ target: URL_A, idleTimeout: '5s' }, /option "idleTimeout"/],
    [{ target: URL_A, ejectFor: -1 }, /option "ejectFor"/],
    [{ target: URL_A, bufferResponsesUpTo: -1 }, /option "bufferResponsesUpTo"/],
    [{ target: URL_A, bufferResponsesUpTo: 1.5 }, /option "bufferResponsesUpTo"/],
    [{ target: URL_A, prefix: 'orders' }, /option "prefix"/],
    [{ target: URL_A, prefix: '/a?b' }, /option "prefix"/],
    [{ target: URL_A, xfwd: 'yes' }, /option "xfwd"/],
    [{ target: URL_A, agent: {} }, /option "agent"/],
    [{ target: URL_A, pathRewrite: { '(': '/x' } }, /option "pathRewrite"/],
    [{ target: URL_A, pathRewrite: { '^/a': 1 } }, /option "pathRewrite\["\^\/a"\]"/],
    [
      { target: URL_A, requestHeaders: { set: { 'bad name': 'x' } } },
      /option "requestHeaders.set"/,
    ],
    [
      { target: URL_A, responseHeaders: { set: { a: 'x\r\ny' } } },
      /option "responseHeaders.set.a"/,
    ],
    [{ target: URL_A, responseHeaders: { drop: ['a'] } }, /unknown option "drop"/],
    [
      { target: URL_A, responses: { badGateway: { status: 99 } } },
      /option "responses.badGateway.status"/,
    ],
    [{ target: URL_A, responses: { gone: {} } }, /unknown option "gone"/],
    [{ target: URL_A, responses: { badRequest: { status: 9 } } }, /"responses.badRequest.status"/],
    [
      { target: URL_A, requestHeaders: { set: { 'Transfer-Encoding': 'chunked' } } },
      /option "requestHeaders.set" must be free of Content-Length and Transfer-Encoding/,
    ],
    [
      { target: URL_A, requestHeaders: { remove: ['content-length'] } },
      /option "requestHeaders.remove" must be free of Content-Length/,
    ],
    [{ target: URL_A, tmeout: 5 }, /unknown option "tmeout"/],
  ])('refuses %j at start-up, naming the option', (options, message) => {
    expect(() => proxy(options as never)).toThrow(message);
  });

  it('accepts an agent, or false', () => {
    const agent = new Agent({ keepAlive: true });
    expect(resolveProxyOptions({ target: URL_A, agent }).agent).toBe(agent);
    expect(resolveProxyOptions({ target: URL_A, agent: false }).agent).toBe(false);
    agent.destroy();
  });

  it('does not mutate the options it is given', () => {
    const options = Object.freeze({
      target: Object.freeze([URL_A]),
      requestHeaders: Object.freeze({
        set: Object.freeze({ a: 'b' }),
        remove: Object.freeze(['c']),
      }),
    });
    expect(() => proxy(options)).not.toThrow();
  });

  it('rewrites paths with the first matching rule, keeping a leading slash', async () => {
    const { rewrite } = resolveProxyOptions({
      target: URL_A,
      pathRewrite: { '^/api': '', '^/a': '/b' },
    });
    expect(await rewrite!('/api/items?x=1', undefined)).toBe('/items?x=1');
    expect(await rewrite!('/api', undefined)).toBe('/');
    expect(await rewrite!('/abc', undefined)).toBe('/bbc');
    const fn = resolveProxyOptions({
      target: URL_A,
      pathRewrite: async (p: string) => (p === '/k' ? undefined : 'x'),
    });
    expect(await fn.rewrite!('/k', undefined)).toBe('/k');
    expect(await fn.rewrite!('/z', undefined)).toBe('/x');
  });
});

describe('TargetPool', () => {
  const urls = ['http://a.test', 'http://b.test', 'http://c.test'].map((u) => new URL(u));
  const hosts = (list: URL[]) => list.map((u) => u.hostname[0]).join('');

  it('goes round-robin and skips an ejected upstream until ejectFor has passed', () => {
    const clock = manualClock();
    const pool = new TargetPool(urls, 10_000, clock);
    expect(hosts([pool.pick(), pool.pick(), pool.pick(), pool.pick()])).toBe('abca');
    pool.eject(urls[1]!);
    expect(hosts([pool.pick(), pool.pick(), pool.pick()])).toBe('cac');
    clock.advance(9_999);
    expect(hosts([pool.pick(), pool.pick()])).toBe('ac');
    clock.advance(1);
    expect(hosts([pool.pick(), pool.pick(), pool.pick()])).toBe('abc');
  });

  it('offers another upstream for the retry, never the failed or an ejected one', () => {
    const clock = manualClock();
    const pool = new TargetPool(urls.slice(0, 2), 10_000, clock);
    const first = pool.pick();
    pool.eject(first);
    expect(pool.alternative(first)?.hostname).toBe('b.test');
    pool.eject(urls[1]!);
    expect(pool.alternative(urls[1]!)).toBeUndefined();
    // All ejected: the one whose ejection ends first is still tried.
    expect(pool.pick().hostname).toBe('a.test');
  });

  it('never ejects a single upstream', () => {
    const pool = new TargetPool(urls.slice(0, 1), 10_000, manualClock());
    pool.eject(urls[0]!);
    expect(pool.pick()).toBe(urls[0]);
    expect(pool.alternative(urls[0]!)).toBeUndefined();
  });
});
