import { describe, expect, it } from 'vitest';
import { describeEachFramework, type Framework } from '../../../test/support/frameworks.js';
import { RawConnection } from '../../../test/support/raw-http.js';
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
});
