/**
 * Path traversal out of the target's base path: dot segments, plain or percent-encoded, are
 * resolved after mount stripping and `pathRewrite` (RFC 3986 §5.2.4); what would still climb
 * above the base, or hides a `..` behind an encoded slash, a backslash or a `;`, is refused with
 * 400 and never reaches the upstream. Sent over raw sockets: Node's client and `fetch` would
 * resolve the dots before sending.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeEachFramework, type Framework } from '../../../test/support/frameworks.js';
import {
  RawConnection,
  type RecordingUpstream,
  startRecordingUpstream,
} from '../../../test/support/raw-http.js';
import { mountAt } from '../../../test/support/upstream.js';
import { proxy } from './index.js';
import type { ProxyOptions } from './options.js';
import { confinedPath, withoutParams } from './paths.js';

let up: RecordingUpstream;
beforeAll(async () => {
  up = await startRecordingUpstream();
});
afterAll(() => up.close());

/** Sends `GET <path>` exactly as written; resolves with the status and what the upstream got. */
async function send(
  baseUrl: string,
  path: string,
): Promise<{ status?: number; forwarded: string[] }> {
  const from = up.requests.length;
  const conn = await RawConnection.open(baseUrl);
  conn.write(`GET ${path} HTTP/1.1\r\nHost: gateway\r\nConnection: close\r\n\r\n`);
  const res = await conn.response('GET');
  conn.destroy();
  return { status: res?.status, forwarded: up.requests.slice(from).map((r) => r.url) };
}

/** The proxy mounted at `/svc` (Express: `app.use('/svc')`; Koa: `prefix`), target base `/api`. */
function startMounted(fw: Framework, options: Partial<ProxyOptions> = {}) {
  const mw = proxy({
    target: `${up.url}/api`,
    prefix: fw.kind === 'koa' ? '/svc' : undefined,
    ...options,
  });
  return fw.start({ use: [mountAt(fw.name, '/svc', mw)] });
}

const ESCAPING = [
  '/svc/../admin',
  '/svc/%2e%2e/admin',
  '/svc/%2E%2E/admin',
  '/svc/.%2e/admin',
  '/svc/%2E%2E%2Fadmin',
  '/svc/..%2fadmin',
  '/svc/..%2Fadmin',
  '/svc/..%5cadmin',
  '/svc/..\\admin',
  '/svc/a/../../admin',
  '/svc/a/%2e%2e/%2e%2e/admin?x=1',
  '/svc/..;/admin',
  '/svc/..',
  '/svc/%2e%2e',
  '/svc/./../admin',
];

const CONFINED: ReadonlyArray<readonly [string, string]> = [
  ['/svc/a/../b', '/api/b'],
  ['/svc/./x', '/api/x'],
  ['/svc/a/%2e%2e/b', '/api/b'],
  ['/svc/a/b/..', '/api/a/'],
  ['/svc/a/%2E', '/api/a/'],
  // The query is not a path: dots there are data.
  ['/svc/x?path=../../etc&y=%2e%2e', '/api/x?path=../../etc&y=%2e%2e'],
  // Nothing else is decoded: a double-encoded dot, an encoded slash and `...` are plain names.
  ['/svc/%252e%252e/admin', '/api/%252e%252e/admin'],
  ['/svc/a%2fb', '/api/a%2fb'],
  ['/svc/.../x', '/api/.../x'],
  ['/svc/file.name.txt', '/api/file.name.txt'],
  ['/svc/a%20b/c', '/api/a%20b/c'],
];

describeEachFramework('proxy() path confinement', (fw) => {
  it.each(ESCAPING)('refuses %s with 400 and forwards nothing (path traversal)', async (path) => {
    const app = await startMounted(fw);
    const { status, forwarded } = await send(app.url, path);
    expect([path, status, forwarded]).toEqual([path, 400, []]);
  });

  it.each(CONFINED)(
    'forwards %s as %s (dot segments resolved, nothing else decoded)',
    async (path, expected) => {
      const app = await startMounted(fw);
      const { status, forwarded } = await send(app.url, path);
      expect([status, forwarded]).toEqual([200, [expected]]);
    },
  );

  it('answers the gateway’s JSON 400, replaceable through responses.badRequest', async () => {
    const app = await startMounted(fw);
    const conn = await RawConnection.open(app.url);
    conn.write('GET /svc/%2e%2e/admin HTTP/1.1\r\nHost: gateway\r\n\r\n');
    const res = await conn.response('GET');
    conn.destroy();
    expect([res?.status, res?.headers['content-type'], res?.body]).toEqual([
      400,
      'application/json; charset=utf-8',
      '{"message":"Bad Request"}',
    ]);
    const custom = await startMounted(fw, { responses: { badRequest: { status: 404 } } });
    expect(await send(custom.url, '/svc/../admin')).toEqual({ status: 404, forwarded: [] });
  });

  it('refuses a pathRewrite result that would escape the target', async () => {
    const app = await startMounted(fw, { pathRewrite: { '^/v1': '/../admin' } });
    expect(await send(app.url, '/svc/v1/x')).toEqual({ status: 400, forwarded: [] });
  });

  it('with stripPrefix: false, refuses dot segments climbing above the mount', async () => {
    const app = await startMounted(fw, { stripPrefix: false });
    expect(await send(app.url, '/svc/../admin')).toEqual({ status: 400, forwarded: [] });
    expect(await send(app.url, '/svc/a/../b')).toEqual({ status: 200, forwarded: ['/api/svc/b'] });
  });

  it('refuses an escape without a mount too, relative to the target base', async () => {
    const app = await fw.start({ use: [proxy(`${up.url}/api`)] });
    expect(await send(app.url, '/%2e%2e/admin')).toEqual({ status: 400, forwarded: [] });
    expect(await send(app.url, '/a/./b')).toEqual({ status: 200, forwarded: ['/api/a/b'] });
  });
});

describe('confinedPath()', () => {
  it('returns a path without dot segments unchanged (the same string)', () => {
    const path = '/orders/42?sort=a.b&q=%2e%2e';
    expect(confinedPath(path)).toBe(path);
  });

  it('resolves dot segments as RFC 3986 §5.2.4 does, keeping empty segments', () => {
    expect(confinedPath('/a/b/c/./../../g')).toBe('/a/g');
    expect(confinedPath('/a//../b')).toBe('/a/b');
    expect(confinedPath('/a/..')).toBe('/');
    expect(confinedPath('/.')).toBe('/');
  });

  it('returns undefined for what climbs above the root or hides a ..', () => {
    for (const path of ['/..', '/a/../..', '/%2E%2e/x', '/..%2Fx', '/x/..%5C..', '/..;x/y'])
      expect([path, confinedPath(path)]).toEqual([path, undefined]);
  });
});

describe('withoutParams()', () => {
  it('drops every parameter named (decoded), keeping the rest byte for byte and in order', () => {
    const names = new Set(['api_key']);
    expect(withoutParams('/p?a=%20&api_key=1&b&api%5Fkey=2&api_key', names)).toBe('/p?a=%20&b');
    expect(withoutParams('/p?api_key=1', names)).toBe('/p');
    expect(withoutParams('/p', names)).toBe('/p');
    expect(withoutParams('/p?bad=%E0%A4%A&api_key=1', names)).toBe('/p?bad=%E0%A4%A');
  });
});
