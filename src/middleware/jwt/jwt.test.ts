import { afterEach, describe, expect, it, vi } from 'vitest';
import { describeEachFramework } from '../../../test/support/frameworks.js';
import { forge, hmacToken, mint, rsaKeys } from '../../../test/support/jwt.js';
import { manualClock } from '../../../test/support/manual-clock.js';
import { RawConnection } from '../../../test/support/raw-http.js';
import { createMiddleware } from '../../adapters/universal.js';
import { cors } from '../cors/index.js';
import { throttle } from '../throttle/index.js';
import { jwt } from './index.js';

const SECRET = 'a-test-secret-of-at-least-32-bytes!!';
const NOW = Date.UTC(2026, 0, 5);
const nowS = NOW / 1000;
/** Claims of a token valid for an hour from NOW. */
const claims = (extra: Record<string, unknown> = {}) => ({
  sub: 'user-1',
  iat: nowS,
  exp: nowS + 3600,
  ...extra,
});
const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });
const hs = (extra?: Record<string, unknown>) => mint('HS256', SECRET, claims(extra));

/** A route that answers with what jwt put on the context. */
const whoami = {
  method: 'GET',
  path: '/me',
  reply: (gw: unknown) => ({
    body: { principal: (gw as { principal?: unknown } | undefined)?.principal ?? null },
  }),
};

const invalidToken = (description: string) =>
  `Bearer error="invalid_token", error_description="${description}"`;

afterEach(() => {
  vi.restoreAllMocks();
});

describeEachFramework('jwt() with a secret (HS256)', (fw) => {
  const start = (options: Partial<Parameters<typeof jwt>[0]> = {}, clock = manualClock(NOW)) =>
    fw.start({
      use: [jwt({ secret: SECRET, algorithms: ['HS256'], clock, ...options })],
      routes: [whoami],
    });

  it('admits a valid token and puts the principal on the context', async () => {
    const app = await start();
    const res = await app.request('/me', bearer(hs({ scope: 'read write', role: 'admin' })));
    expect(res.status).toBe(200);
    expect(res.json).toEqual({
      principal: {
        id: 'user-1',
        via: 'jwt',
        scopes: ['read', 'write'],
        claims: { ...claims(), scope: 'read write', role: 'admin' },
      },
    });
  });

  it('reads the Bearer scheme case-insensitively', async () => {
    const app = await start();
    for (const scheme of ['bearer', 'BEARER', 'BeArEr']) {
      const res = await app.request('/me', { headers: { authorization: `${scheme} ${hs()}` } });
      expect(res.status, scheme).toBe(200);
    }
  });

  describe('without a token', () => {
    it('answers 401 Unauthorized with a bare Bearer challenge (RFC 6750 §3.1)', async () => {
      const app = await start();
      for (const headers of [{}, { authorization: 'Basic dXNlcjpwYXNz' }] as Record<
        string,
        string
      >[]) {
        const res = await app.request('/me', { headers });
        expect(res.status).toBe(401);
        expect(res.json).toEqual({ message: 'Unauthorized' });
        expect(res.headers['www-authenticate']).toBe('Bearer');
        expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
      }
    });

    it('lets the request through with no principal when credentialsRequired is false', async () => {
      const app = await start({ credentialsRequired: false });
      const res = await app.request('/me');
      expect(res.status).toBe(200);
      expect(res.json).toEqual({ principal: null });
    });

    it('still refuses a present but invalid token when credentialsRequired is false', async () => {
      const app = await start({ credentialsRequired: false });
      const res = await app.request('/me', bearer(`${hs()}x`));
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toBe(invalidToken('The token signature is invalid'));
      const empty = await app.request('/me', { headers: { authorization: 'Bearer ' } });
      expect(empty.status).toBe(401);
      expect(empty.headers['www-authenticate']).toBe(invalidToken('The token is malformed'));
    });
  });

  describe('with an invalid token', () => {
    it('refuses an expired token, with the clock tolerance honoured', async () => {
      const clock = manualClock(NOW + 3600_000);
      const strict = await start({}, clock);
      const res = await strict.request('/me', bearer(hs()));
      expect(res.status).toBe(401);
      expect(res.json).toEqual({ message: 'Unauthorized' });
      expect(res.headers['www-authenticate']).toBe(invalidToken('The token expired'));
      const tolerant = await start({ clockTolerance: 5 }, clock);
      expect((await tolerant.request('/me', bearer(hs()))).status).toBe(200);
    });

    it('refuses a token not valid yet (nbf)', async () => {
      const app = await start();
      const res = await app.request('/me', bearer(hs({ nbf: nowS + 60 })));
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toBe(invalidToken('The token is not valid yet'));
    });

    it('refuses a wrong issuer or audience, and accepts any listed one', async () => {
      const app = await start({
        issuer: ['https://a.example', 'https://b.example'],
        audience: 'api',
      });
      const ok = await app.request(
        '/me',
        bearer(hs({ iss: 'https://b.example', aud: ['x', 'api'] })),
      );
      expect(ok.status).toBe(200);
      const iss = await app.request('/me', bearer(hs({ iss: 'https://c.example', aud: 'api' })));
      expect(iss.status).toBe(401);
      expect(iss.headers['www-authenticate']).toBe(
        invalidToken('The token issuer is not accepted'),
      );
      const aud = await app.request('/me', bearer(hs({ iss: 'https://a.example', aud: 'other' })));
      expect(aud.status).toBe(401);
      expect(aud.headers['www-authenticate']).toBe(
        invalidToken('The token audience is not accepted'),
      );
    });

    it('refuses a token without sub or without a required claim', async () => {
      const app = await start({ requiredClaims: ['tenant'] });
      expect((await app.request('/me', bearer(hs({ tenant: 't1' })))).status).toBe(200);
      const noTenant = await app.request('/me', bearer(hs()));
      expect(noTenant.status).toBe(401);
      expect(noTenant.headers['www-authenticate']).toBe(
        invalidToken('The token lacks a required claim'),
      );
      const noSub = await app.request('/me', bearer(hs({ sub: undefined, tenant: 't1' })));
      expect(noSub.status).toBe(401);
    });

    it('refuses a token signed with another secret, never echoing the token', async () => {
      const app = await start();
      const token = mint('HS256', 'another-secret-of-at-least-32-bytes!!', claims());
      const res = await app.request('/me', bearer(token));
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toBe(invalidToken('The token signature is invalid'));
      expect(res.body).not.toContain(token.split('.')[1]);
    });
  });

  describe('with scopes', () => {
    it('admits a token with one of the scopes in scope or scp, else 403 insufficient_scope', async () => {
      const app = await start({ scopes: ['orders:read', 'orders:admin'] });
      expect((await app.request('/me', bearer(hs({ scope: 'a orders:read' })))).status).toBe(200);
      expect((await app.request('/me', bearer(hs({ scp: ['orders:admin'] })))).status).toBe(200);
      expect((await app.request('/me', bearer(hs({ scp: 'b orders:admin' })))).status).toBe(200);
      for (const extra of [{ scope: 'orders:write' }, {}, { scp: 42 }]) {
        const res = await app.request('/me', bearer(hs(extra)));
        expect(res.status).toBe(403);
        expect(res.json).toEqual({ message: 'Forbidden' });
        expect(res.headers['www-authenticate']).toBe(
          'Bearer error="insufficient_scope", scope="orders:read orders:admin"',
        );
      }
    });
  });

  describe('token sources', () => {
    it('reads only the named header, cookie or query parameter', async () => {
      const app = await start({
        token: { header: 'x-token', cookie: 'session', query: 'access_token' },
      });
      const token = hs();
      expect((await app.request('/me', { headers: { 'x-token': token } })).status).toBe(200);
      expect((await app.request('/me', { headers: { 'x-token': `Bearer ${token}` } })).status).toBe(
        200,
      );
      const cookie = { headers: { cookie: `a=1; session=${token}; b=2` } };
      expect((await app.request('/me', cookie)).status).toBe(200);
      expect((await app.request(`/me?x=1&access_token=${token}`)).status).toBe(200);
      expect((await app.request('/me', bearer(token))).status).toBe(401);
    });

    it('reads no token from a fragment, which the router reads as no query', async () => {
      const app = await start({ token: { query: 'access_token' } });
      const token = hs();
      // Raw: clients drop a fragment; Node's parser lets `#` through to the router.
      const conn = await RawConnection.open(app.url);
      const statuses: Array<number | undefined> = [];
      for (const target of [`/me#?access_token=${token}`, `/me?access_token=${token}#f`]) {
        conn.write(`GET ${target} HTTP/1.1\r\nHost: x\r\n\r\n`);
        statuses.push((await conn.response())?.status);
      }
      conn.destroy();
      expect(statuses).toEqual([401, 200]);
    });

    it('reads no token from `??name=`, which the app parses as the parameter `?name`', async () => {
      const app = await start({ token: { query: 'access_token' } });
      expect((await app.request(`/me??access_token=${hs()}`)).status).toBe(401);
      expect((await app.request(`/me?x=1&access_token=${hs()}`)).status).toBe(200);
    });

    it('takes the token from a function, sync or async', async () => {
      const sync = await start({ token: (req: unknown) => headerOf(req, 'x-t') });
      expect((await sync.request('/me', { headers: { 'x-t': hs() } })).status).toBe(200);
      expect((await sync.request('/me')).status).toBe(401);
      const async = await start({ token: async (req: unknown) => headerOf(req, 'x-t') });
      expect((await async.request('/me', { headers: { 'x-t': hs() } })).status).toBe(200);
      expect((await async.request('/me')).status).toBe(401);
    });

    it('hands a throwing or wrongly typed token function to the framework as an error (500), process up', async () => {
      for (const token of [
        () => {
          throw new Error('boom getter');
        },
        async () => {
          throw new Error('boom getter');
        },
        () => 42 as never,
      ]) {
        const app = await fw.start({
          use: [jwt({ secret: SECRET, algorithms: ['HS256'], token })],
          routes: [whoami],
          expectsErrors: /boom getter|token\(req\) must return/,
        });
        const res = await app.request('/me');
        expect(res.status).toBe(500);
      }
    });
  });

  it('puts CORS headers on its 401 when cors() runs first', async () => {
    const app = await fw.start({
      use: [
        cors({ origin: ['https://app.example'], exposedHeaders: ['www-authenticate'] }),
        jwt({ secret: SECRET, algorithms: ['HS256'] }),
      ],
      routes: [whoami],
    });
    const res = await app.request('/me', { headers: { origin: 'https://app.example' } });
    expect(res.status).toBe(401);
    expect(res.headers['access-control-allow-origin']).toBe('https://app.example');
    expect(res.headers['access-control-expose-headers']).toBe('www-authenticate');
    expect(res.headers['www-authenticate']).toBe('Bearer');
  });

  it("lets throttle({ key: 'principal' }) give each caller a bucket of their own", async () => {
    const clock = manualClock(NOW);
    const app = await fw.start({
      use: [
        jwt({ secret: SECRET, algorithms: ['HS256'], clock }),
        throttle({ rate: 0.001, burst: 1, key: 'principal', clock }),
      ],
      routes: [whoami],
    });
    const alice = bearer(hs({ sub: 'alice' }));
    const bob = bearer(hs({ sub: 'bob' }));
    expect((await app.request('/me', alice)).status).toBe(200);
    expect((await app.request('/me', alice)).status).toBe(429);
    expect((await app.request('/me', bob)).status).toBe(200);
  });

  it("fails a request that reaches throttle({ key: 'principal' }) without a principal, never sharing a bucket", async () => {
    const app = await fw.start({
      use: [
        jwt({
          secret: SECRET,
          algorithms: ['HS256'],
          credentialsRequired: false,
          clock: manualClock(NOW),
        }),
        throttle({ rate: 1000, key: 'principal' }),
      ],
      routes: [whoami],
      expectsErrors: /key 'principal' needs jwt\(\) or an authorizer/,
    });
    expect((await app.request('/me')).status).toBe(500);
    expect((await app.request('/me', bearer(hs()))).status).toBe(200);
  });

  it("records API Gateway's response type of each refusal on the context", async () => {
    const seen: Array<string | undefined> = [];
    const recorder = createMiddleware('recorder', async (ex, next) => {
      await next();
      seen.push(ex.gateway.error?.responseType);
    });
    const app = await fw.start({
      use: [
        recorder,
        jwt({ secret: SECRET, algorithms: ['HS256'], scopes: ['x'], clock: manualClock(NOW) }),
      ],
      routes: [whoami],
    });
    await app.request('/me');
    await app.request('/me', bearer(hs({ exp: nowS - 1, scope: 'x' })));
    await app.request('/me', bearer(mint('HS256', `${SECRET}-other`, claims({ scope: 'x' }))));
    await app.request('/me', bearer('not.a.token'));
    await app.request('/me', bearer(hs({ scope: 'y' })));
    await app.request('/me', bearer(hs({ scope: 'x' })));
    await vi.waitFor(() => expect(seen).toHaveLength(6));
    expect(seen).toEqual([
      'UNAUTHORIZED',
      'EXPIRED_TOKEN',
      'INVALID_SIGNATURE',
      'UNAUTHORIZED',
      'ACCESS_DENIED',
      undefined,
    ]);
  });

  it('replaces the refusal bodies and statuses, keeping the challenge', async () => {
    const app = await start({
      scopes: ['admin'],
      responses: {
        unauthorized: { body: { error: 'LOGIN_REQUIRED' } },
        forbidden: { status: 401, message: 'Need admin' },
      },
    });
    const missing = await app.request('/me');
    expect([missing.status, missing.json, missing.headers['www-authenticate']]).toEqual([
      401,
      { error: 'LOGIN_REQUIRED' },
      'Bearer',
    ]);
    const forbidden = await app.request('/me', bearer(hs()));
    expect([forbidden.status, forbidden.json, forbidden.headers['www-authenticate']]).toEqual([
      401,
      { message: 'Need admin' },
      'Bearer error="insufficient_scope", scope="admin"',
    ]);
  });

  describe('the verified-token cache', () => {
    it('verifies a re-sent token once, and never serves it past its exp', async () => {
      const jsonwebtoken = (await import('jsonwebtoken')).default;
      const verify = vi.spyOn(jsonwebtoken, 'verify');
      const clock = manualClock(NOW);
      const app = await start({}, clock);
      const token = hs({ exp: nowS + 60 });
      for (let i = 0; i < 5; i++)
        expect((await app.request('/me', bearer(token))).status).toBe(200);
      expect(verify).toHaveBeenCalledTimes(1);
      clock.advance(59_999);
      expect((await app.request('/me', bearer(token))).status).toBe(200);
      clock.advance(1);
      const expired = await app.request('/me', bearer(token));
      expect(expired.status).toBe(401);
      expect(expired.headers['www-authenticate']).toBe(invalidToken('The token expired'));
    });

    it('honours clockTolerance and nbf for cached tokens', async () => {
      const clock = manualClock(NOW);
      const app = await start({ clockTolerance: 10 }, clock);
      const token = hs({ nbf: nowS + 5, exp: nowS + 60 });
      expect((await app.request('/me', bearer(token))).status).toBe(200);
      clock.advance(69_999);
      expect((await app.request('/me', bearer(token))).status).toBe(200);
      clock.advance(1);
      expect((await app.request('/me', bearer(token))).status).toBe(401);
      clock.set(NOW - 5001);
      expect((await app.request('/me', bearer(token))).status).toBe(401);
    });

    it('verifies every request with cacheSize 0', async () => {
      const jsonwebtoken = (await import('jsonwebtoken')).default;
      const verify = vi.spyOn(jsonwebtoken, 'verify');
      const app = await start({ cacheSize: 0 });
      const token = hs();
      for (let i = 0; i < 3; i++)
        expect((await app.request('/me', bearer(token))).status).toBe(200);
      expect(verify).toHaveBeenCalledTimes(3);
    });

    it('keeps claims immutable for the next request with the same token', async () => {
      const app = await fw.start({
        use: [jwt({ secret: SECRET, algorithms: ['HS256'], clock: manualClock(NOW) })],
        routes: [
          {
            method: 'GET',
            path: '/mutate',
            reply: (gw) => {
              const claims = (gw as { principal: { claims: Record<string, unknown> } }).principal
                .claims;
              let changed = true;
              try {
                claims.role = 'admin';
              } catch {
                changed = false;
              }
              return { body: { changed, role: claims.role ?? null } };
            },
          },
        ],
      });
      const token = hs({ role: 'user' });
      await app.request('/mutate', bearer(token));
      const second = await app.request('/mutate', bearer(token));
      expect(second.json).toEqual({ changed: false, role: 'user' });
    });
  });

  describe('hostile tokens', () => {
    const rsa = rsaKeys();
    const rsaPem = rsa.publicKey.export({ format: 'pem', type: 'spki' }) as string;
    const good = hs();
    const [h, p, s] = good.split('.') as [string, string, string];
    const hostile: Record<string, string> = {
      'alg none': forge({ alg: 'none', typ: 'JWT' }, claims(), ''),
      'alg none with a signature': forge({ alg: 'none' }, claims()),
      'alg NONE': forge({ alg: 'NONE' }, claims()),
      truncated: good.slice(0, good.length - 10),
      'no signature': `${h}.${p}.`,
      'four segments': `${good}.${s}`,
      'two segments': `${h}.${p}`,
      'non-base64url': `${h}.${p.slice(0, 5)}+/=${p.slice(5)}.${s}`,
      'header not JSON': `${Buffer.from('{alg:HS256').toString('base64url')}.${p}.${s}`,
      'header a JSON string': `${Buffer.from('"HS256"').toString('base64url')}.${p}.${s}`,
      'payload not JSON': `${h}.${Buffer.from('nope').toString('base64url')}.${s}`,
      'exp as a string': hmacToken(
        { alg: 'HS256' },
        { ...claims(), exp: String(nowS + 3600) },
        SECRET,
      ),
      'nbf as a string': hmacToken({ alg: 'HS256' }, { ...claims(), nbf: 'yesterday' }, SECRET),
      'kid as a number': forge({ alg: 'HS256', kid: 7 }, claims()),
      'RS256 token for an HS256 app': mint('RS256', rsa.privateKey, claims()),
      'HS256 signed with the public key': hmacToken({ alg: 'HS256' }, claims(), rsaPem),
      'unicode junk': `é.${p}.${s}`,
      '100 KB': `${h}.${'A'.repeat(100 * 1024)}.${s}`,
      'dots only': '..',
    };

    it('answers each with 401 invalid_token, never 500', async () => {
      const app = await fw.start({
        use: [jwt({ secret: SECRET, algorithms: ['HS256'], clock: manualClock(NOW) })],
        routes: [whoami],
        serverOptions: { maxHeaderSize: 256 * 1024 },
      });
      for (const [name, token] of Object.entries(hostile)) {
        const res = await app.request('/me', bearer(token));
        expect(res.status, name).toBe(401);
        expect(res.json, name).toEqual({ message: 'Unauthorized' });
        expect(res.headers['www-authenticate'], name).toMatch(/^Bearer error="invalid_token"/);
      }
    });

    it('refuses a 100 KB token as too long, from any source', async () => {
      const app = await fw.start({
        use: [
          jwt({
            secret: SECRET,
            algorithms: ['HS256'],
            token: { header: 'authorization', cookie: 's', query: 't' },
          }),
        ],
        routes: [whoami],
        serverOptions: { maxHeaderSize: 512 * 1024 },
      });
      const huge = hostile['100 KB'] as string;
      for (const init of [bearer(huge), { headers: { cookie: `s=${huge}` } }]) {
        const res = await app.request('/me', init);
        expect(res.status).toBe(401);
        expect(res.headers['www-authenticate']).toBe(invalidToken('The token is too long'));
      }
      const query = await app.request(`/me?t=${huge}`);
      expect(query.headers['www-authenticate']).toBe(invalidToken('The token is too long'));
    });
  });
});

function headerOf(req: unknown, name: string): string | undefined {
  const r = req as {
    headers?: Record<string, string>;
    request?: { headers: Record<string, string> };
  };
  return (r.headers ?? r.request?.headers)?.[name];
}
