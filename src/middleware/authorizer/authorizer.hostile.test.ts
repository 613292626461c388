import { afterAll, describe, expect, it } from 'vitest';
import { describeEachFramework, type Framework } from '../../../test/support/frameworks.js';
import { RawConnection, startRecordingUpstream } from '../../../test/support/raw-http.js';
import { proxy } from '../proxy/index.js';
import { type AuthorizerOptions, authorizer } from './index.js';
import type { AuthorizerFunction } from './types.js';

const ARN = 'arn:aws:execute-api:local:000000000000:portcullis/$default';
const TOKEN = { authorization: 'Bearer token-of-alice' };

/** Routes that say which one answered. */
const ROUTES = ['/admin', '/admin/users', '/public', '/public/:name'].flatMap((path) =>
  ['GET', 'DELETE'].map((method) => ({ method, path, reply: { body: { route: path } } })),
);

const policy = (...Statement: unknown[]) =>
  (() => ({
    principalId: 'alice',
    policyDocument: { Version: '2012-10-17', Statement },
  })) as AuthorizerFunction;

function start(fw: Framework, fn: AuthorizerFunction, options: AuthorizerOptions = {}) {
  return fw.start({ use: [authorizer(fn, { ttl: 0, ...options })], routes: ROUTES });
}

/** Sends `target` exactly as written (a URL parser would resolve its dot segments first). */
async function rawGet(url: string, target: string) {
  const conn = await RawConnection.open(url);
  try {
    conn.write(
      `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${TOKEN.authorization}\r\nConnection: close\r\n\r\n`,
    );
    return await conn.response('GET');
  } finally {
    conn.destroy();
  }
}

describeEachFramework('authorizer() against hostile policies and paths', (fw) => {
  describe('a statement with an element this gateway does not evaluate', () => {
    const allowAll = { Effect: 'Allow', Action: 'execute-api:Invoke', Resource: `${ARN}/*` };
    for (const [element, value] of [
      ['NotResource', `${ARN}/*/admin*`],
      ['NotAction', 'execute-api:ManageConnections'],
      ['Condition', { IpAddress: { 'aws:SourceIp': '192.0.2.0/24' } }],
      ['NotPrincipal', { AWS: '*' }],
    ] as const) {
      it(`answers 500 for ${element} rather than ignoring it`, async () => {
        const app = await start(fw, policy({ ...allowAll, [element]: value }));
        const res = await app.request('/admin', { headers: TOKEN });
        expect(res.status).toBe(500);
        expect(res.json).toEqual({ message: 'Internal server error' });
      });
    }

    it('answers 500 for a statement with NotResource instead of Resource', async () => {
      const { Resource: _, ...noResource } = allowAll;
      const app = await start(
        fw,
        policy({ ...noResource, NotResource: `${ARN}/*/admin*` }, { ...allowAll, Effect: 'Deny' }),
      );
      expect((await app.request('/public', { headers: TOKEN })).status).toBe(500);
    });
  });

  describe('a Deny on /admin', () => {
    const fn = policy(
      { Effect: 'Allow', Action: 'execute-api:Invoke', Resource: `${ARN}/*` },
      {
        Effect: 'Deny',
        Action: 'execute-api:Invoke',
        Resource: [`${ARN}/*/admin`, `${ARN}/*/admin/*`],
      },
    );

    it('holds for every spelling of the path the router serves from /admin', async () => {
      const app = await start(fw, fn);
      for (const path of [
        '/admin',
        '/ADMIN',
        '/admin/',
        '/%61dmin',
        '/admin%2Fusers',
        '/Admin/Users',
        '/public/../admin',
        '/./admin',
        '/admin;x',
        '/admin?x=1',
        '/admin/users#frag',
      ]) {
        const res = await app.request(path, { headers: TOKEN });
        const route = (res.json as { route?: string } | undefined)?.route ?? '';
        expect(route.startsWith('/admin') ? `${path} reached ${route}` : 'refused').toBe('refused');
      }
    });

    it('holds for the absolute form and a method the router does not know', async () => {
      const app = await start(fw, fn);
      const port = new URL(app.url).port;
      for (const line of [
        `GET http://127.0.0.1:${port}/admin HTTP/1.1`,
        `GET HTTP://127.0.0.1:${port}/admin/users HTTP/1.1`,
        'PROPFIND /admin HTTP/1.1',
        'GET //admin HTTP/1.1',
      ]) {
        const conn = await RawConnection.open(app.url);
        try {
          conn.write(
            `${line}\r\nHost: 127.0.0.1\r\nAuthorization: ${TOKEN.authorization}\r\nConnection: close\r\n\r\n`,
          );
          const res = await conn.response(line.split(' ')[0]);
          expect(res?.status, line).toBeGreaterThanOrEqual(200);
          expect(res?.body.includes('"route":"/admin'), line).toBe(false);
        } finally {
          conn.destroy();
        }
      }
    });
  });

  describe('a policy in front of the proxy, whose upstream resolves dot segments', () => {
    /**
     * Shows `wayIn` reaching the upstream as /admin through the proxy alone (a real way in), then
     * each of `targets` refused with the authorizer in front, the upstream asked nothing more.
     */
    async function expectProxyGuarded(fn: AuthorizerFunction, wayIn: string, targets: string[]) {
      const upstream = await startRecordingUpstream();
      afterAll(() => upstream.close());
      const open = await fw.start({ use: [proxy(upstream.url)] });
      expect((await rawGet(open.url, wayIn))?.status).toBe(200);
      expect(upstream.requests.map((r) => r.url)).toEqual(['/admin']);
      const guarded = await fw.start({
        use: [authorizer(fn, { ttl: 0 }), proxy(upstream.url)],
      });
      for (const target of targets)
        expect((await rawGet(guarded.url, target))?.status, target).toBe(403);
      expect(upstream.requests).toHaveLength(1);
      return guarded;
    }

    it('admits by an Allow on /pets/* only a path that stays under /pets upstream', async () => {
      const fn = policy({
        Effect: 'Allow',
        Action: 'execute-api:Invoke',
        Resource: `${ARN}/GET/pets/*`,
      });
      const guarded = await expectProxyGuarded(fn, '/pets/%2e%2e/admin', [
        '/pets/%2e%2e/admin',
        '/pets/%2E%2E/%61dmin',
        '/pets/..;/admin',
        '/pets/%ff/../../admin',
      ]);
      // A path under /pets in both spellings is still admitted.
      expect((await rawGet(guarded.url, '/pets/%64og'))?.status).toBe(200);
    });

    it('refuses by a Deny on /admin every path the upstream reads as /admin', async () => {
      const fn = policy(
        { Effect: 'Allow', Action: 'execute-api:Invoke', Resource: `${ARN}/*` },
        { Effect: 'Deny', Action: 'execute-api:Invoke', Resource: `${ARN}/GET/admin` },
      );
      await expectProxyGuarded(fn, '/pets/%2e%2e/admin', [
        '/pets/%2e%2e/admin',
        '/%2e/admin',
        '/%ff/../admin',
      ]);
    });
  });
});
