import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { describeEachFramework, type Framework } from '../../../test/support/frameworks.js';
import {
  ecKeys,
  edKeys,
  type JwksServer,
  mint,
  rsaKeys,
  startJwksServer,
} from '../../../test/support/jwt.js';
import { type ManualClock, manualClock } from '../../../test/support/manual-clock.js';
import { jwt } from './index.js';
import type { JwtOptions } from './types.js';

const NOW = Date.UTC(2026, 0, 5);
const nowS = NOW / 1000;
const rsa1 = rsaKeys();
const rsa2 = rsaKeys();
const ec = ecKeys();
const ed = edKeys();
const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });
const rs = (kid: string | undefined, keys = rsa1, sub = 'user-1') =>
  mint('RS256', keys.privateKey, { sub, exp: nowS + 3600 }, kid === undefined ? {} : { kid });
const unknownKey =
  'Bearer error="invalid_token", error_description="The token signing key is unknown"';

describeEachFramework('jwt() with a JWKS', (fw) => {
  let jwks: JwksServer;
  beforeAll(async () => {
    jwks = await startJwksServer({});
  });
  afterAll(() => jwks.close());

  /** An app verifying against the test's JWKS server, which starts with `keys`. */
  async function start(
    keys: Record<string, ReturnType<typeof rsaKeys>['publicKey']>,
    options: Partial<JwtOptions> = {},
    clock: ManualClock = manualClock(NOW),
  ) {
    jwks.keys.clear();
    jwks.algs.clear();
    for (const [kid, key] of Object.entries(keys)) jwks.keys.set(kid, key);
    jwks.fetches = 0;
    jwks.hang = false;
    jwks.drip = false;
    jwks.failWith = undefined;
    return startApp(fw, {
      jwksUri: jwks.uri,
      algorithms: ['RS256', 'ES256', 'EdDSA'],
      clock,
      ...options,
    });
  }

  it('verifies RS256, ES256 and EdDSA tokens with keys fetched once', async () => {
    const app = await start(
      { r: rsa1.publicKey, e: ec.publicKey, d: ed.publicKey },
      { cacheSize: 0 },
    );
    const claims = { sub: 'u', exp: nowS + 60 };
    for (let i = 0; i < 3; i++) {
      expect(
        (await app.request('/me', bearer(mint('RS256', rsa1.privateKey, claims, { kid: 'r' }))))
          .status,
      ).toBe(200);
      expect(
        (await app.request('/me', bearer(mint('ES256', ec.privateKey, claims, { kid: 'e' }))))
          .status,
      ).toBe(200);
      expect(
        (await app.request('/me', bearer(mint('EdDSA', ed.privateKey, claims, { kid: 'd' }))))
          .status,
      ).toBe(200);
    }
    expect(jwks.fetches).toBe(1);
  });

  it('accepts a rotated key after one refetch', async () => {
    const app = await start({ k1: rsa1.publicKey });
    expect((await app.request('/me', bearer(rs('k1')))).status).toBe(200);
    expect(jwks.fetches).toBe(1);
    jwks.keys.set('k2', rsa2.publicKey);
    expect((await app.request('/me', bearer(rs('k2', rsa2)))).status).toBe(200);
    expect(jwks.fetches).toBe(2);
    expect((await app.request('/me', bearer(rs('k2', rsa2, 'other')))).status).toBe(200);
    expect(jwks.fetches).toBe(2);
  });

  it('refuses a removed key once the cached set expires, even for a token it verified before', async () => {
    const clock = manualClock(NOW);
    const app = await start(
      { k1: rsa1.publicKey, k2: rsa2.publicKey },
      { jwksCacheMaxAge: 60_000 },
      clock,
    );
    const old = rs('k1');
    expect((await app.request('/me', bearer(old))).status).toBe(200);
    jwks.keys.delete('k1');
    clock.advance(59_999);
    expect((await app.request('/me', bearer(old))).status).toBe(200);
    clock.advance(1);
    const refused = await app.request('/me', bearer(old));
    expect(refused.status).toBe(401);
    expect(refused.headers['www-authenticate']).toBe(unknownKey);
    expect((await app.request('/me', bearer(rs('k2', rsa2)))).status).toBe(200);
    expect(jwks.fetches).toBe(2);
  });

  it('rate-limits refetches for unknown kids', async () => {
    const clock = manualClock(NOW);
    const app = await start({ k1: rsa1.publicKey }, { jwksRequestsPerMinute: 2 }, clock);
    expect((await app.request('/me', bearer(rs('k1')))).status).toBe(200);
    for (const kid of ['x1', 'x2', 'x3', 'x4']) {
      const res = await app.request('/me', bearer(rs(kid)));
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toBe(unknownKey);
    }
    expect(jwks.fetches).toBe(3);
    clock.advance(60_000);
    expect((await app.request('/me', bearer(rs('x5')))).status).toBe(401);
    expect(jwks.fetches).toBe(4);
  });

  it('uses the only key for a token without kid, and refuses it when the set has several', async () => {
    const one = await start({ k1: rsa1.publicKey });
    expect((await one.request('/me', bearer(rs(undefined)))).status).toBe(200);
    const two = await start({ k1: rsa1.publicKey, k2: rsa2.publicKey });
    expect((await two.request('/me', bearer(rs(undefined)))).status).toBe(401);
  });

  it('refuses an HS256 token carrying a kid of the set (algorithm confusion)', async () => {
    const app = await start({ k1: rsa1.publicKey });
    const secret = rsa1.publicKey.export({ format: 'pem', type: 'spki' }) as string;
    const token = mint(
      'HS256',
      secret.padEnd(64, ' '),
      { sub: 'x', exp: nowS + 60 },
      { kid: 'k1' },
    );
    const res = await app.request('/me', bearer(token));
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toMatch(/The token algorithm is not allowed/);
  });

  it('verifies with a key only the algorithm its JWK names (RFC 7517 §4.4)', async () => {
    const app = await start({ k1: rsa1.publicKey }, { algorithms: ['RS256', 'PS256'] });
    jwks.algs.set('k1', 'RS256');
    const claims = { sub: 'u', exp: nowS + 60 };
    expect(
      (await app.request('/me', bearer(mint('RS256', rsa1.privateKey, claims, { kid: 'k1' }))))
        .status,
    ).toBe(200);
    const ps = await app.request(
      '/me',
      bearer(mint('PS256', rsa1.privateKey, claims, { kid: 'k1' })),
    );
    jwks.algs.clear();
    expect(ps.status).toBe(401);
    expect(ps.headers['www-authenticate']).toMatch(/The token algorithm is not allowed/);
  });

  describe('when the key set cannot be fetched', () => {
    let clock: ManualClock;
    beforeEach(() => {
      clock = manualClock(NOW);
    });

    it('answers 500 while nothing is cached, and recovers when the issuer does', async () => {
      const app = await start({ k1: rsa1.publicKey }, {}, clock);
      jwks.failWith = 503;
      const res = await app.request('/me', bearer(rs('k1')));
      expect(res.status).toBe(500);
      expect(res.json).toEqual({ message: 'Internal server error' });
      expect(res.headers['www-authenticate']).toBeUndefined();
      jwks.failWith = undefined;
      // Within jwksRetryAfter of the failure the set is not fetched again; after it, it is.
      expect((await app.request('/me', bearer(rs('k1')))).status).toBe(500);
      clock.advance(1000);
      expect((await app.request('/me', bearer(rs('k1')))).status).toBe(200);
    });

    it('does not pass a burst on to a failing issuer: one fetch per jwksRetryAfter', async () => {
      const app = await start({ k1: rsa1.publicKey }, { jwksRetryAfter: 5000 }, clock);
      jwks.failWith = 503;
      const burst = await Promise.all(
        Array.from({ length: 10 }, () => app.request('/me', bearer(rs('k1')))),
      );
      expect(burst.map((r) => r.status)).toEqual(Array(10).fill(500));
      for (let i = 0; i < 10; i++) {
        expect((await app.request('/me', bearer(rs('k1')))).status).toBe(500);
      }
      expect(jwks.fetches).toBe(1);
      clock.advance(4999);
      expect((await app.request('/me', bearer(rs('k1')))).status).toBe(500);
      expect(jwks.fetches).toBe(1);
      clock.advance(1);
      expect((await app.request('/me', bearer(rs('k1')))).status).toBe(500);
      expect(jwks.fetches).toBe(2);
    });

    it('answers 500 when the issuer is unreachable', async () => {
      const app = await startApp(fw, {
        jwksUri: 'http://127.0.0.1:9/jwks.json',
        algorithms: ['RS256'],
      });
      expect((await app.request('/me', bearer(rs('k1')))).status).toBe(500);
    });

    for (const mode of ['hang', 'drip'] as const) {
      it(`never waits beyond jwksTimeout for an issuer that ${mode === 'hang' ? 'stays silent' : 'sends a byte at a time'}`, async () => {
        const app = await start({ k1: rsa1.publicKey }, { jwksTimeout: 300 });
        jwks[mode] = true;
        const started = performance.now();
        const res = await app.request('/me', bearer(rs('k1')));
        const elapsed = performance.now() - started;
        jwks[mode] = false;
        expect(res.status).toBe(500);
        expect(elapsed).toBeGreaterThanOrEqual(250);
        expect(elapsed).toBeLessThan(1000);
      });
    }

    it('keeps using the cached set when a refetch for an unknown kid fails', async () => {
      const app = await start({ k1: rsa1.publicKey });
      expect((await app.request('/me', bearer(rs('k1', rsa1, 'a')))).status).toBe(200);
      jwks.failWith = 500;
      expect((await app.request('/me', bearer(rs('zz')))).status).toBe(401);
      expect((await app.request('/me', bearer(rs('k1', rsa1, 'b')))).status).toBe(200);
    });
  });

  it('fetches once for concurrent first requests', async () => {
    const app = await start({ k1: rsa1.publicKey });
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => app.request('/me', bearer(rs('k1', rsa1, `u${i}`)))),
    );
    expect(results.map((r) => r.status)).toEqual(Array(20).fill(200));
    expect(jwks.fetches).toBe(1);
  });
});

function startApp(fw: Framework, options: JwtOptions) {
  return fw.start({
    use: [jwt(options)],
    routes: [{ method: 'GET', path: '/me', reply: (gw) => ({ body: gw as object }) }],
  });
}
