import { createSecretKey } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { describeEachFramework } from '../../../test/support/frameworks.js';
import { ecKeys, edKeys, forge, hmacToken, mint, rsaKeys } from '../../../test/support/jwt.js';
import { jwt } from './index.js';

const SECRET = 'a-test-secret-of-at-least-32-bytes!!';
const nowS = Math.floor(Date.now() / 1000);
const claims = { sub: 'user-1', exp: nowS + 3600 };
const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });
const rsa = rsaKeys();
const ec = ecKeys();
const ed = edKeys();
const pem = (key: typeof rsa.publicKey) => key.export({ format: 'pem', type: 'spki' }) as string;

describe('jwt() options', () => {
  it('needs exactly one key source', () => {
    expect(() => jwt({ algorithms: ['HS256'] })).toThrow(
      /exactly one of the options "secret", "publicKey", "jwksUri"/,
    );
    expect(() =>
      jwt({ secret: SECRET, publicKey: pem(rsa.publicKey), algorithms: ['HS256'] }),
    ).toThrow(/exactly one/);
  });

  it('requires algorithms and refuses none', () => {
    expect(() => jwt({ secret: SECRET } as never)).toThrow(/option "algorithms"/);
    expect(() => jwt({ secret: SECRET, algorithms: [] })).toThrow(/option "algorithms"/);
    expect(() => jwt({ secret: SECRET, algorithms: ['none' as never] })).toThrow(RangeError);
    expect(() => jwt({ secret: SECRET, algorithms: ['HS256', 'None' as never] })).toThrow(
      /"none" is refused/,
    );
    expect(() => jwt({ secret: SECRET, algorithms: ['HS1' as never] })).toThrow(
      /option "algorithms"/,
    );
  });

  it('refuses HS* with a public key or a JWKS (algorithm confusion), and asymmetric ones with a secret', () => {
    expect(() => jwt({ publicKey: pem(rsa.publicKey), algorithms: ['RS256', 'HS256'] })).toThrow(
      /algorithm confusion/,
    );
    expect(() =>
      jwt({ jwksUri: 'https://issuer.example/jwks.json', algorithms: ['HS256'] }),
    ).toThrow(/algorithm confusion/);
    expect(() => jwt({ secret: SECRET, algorithms: ['RS256'] })).toThrow(/option "algorithms"/);
  });

  it('refuses a public key that does not fit an algorithm, a secret key object, and short secrets', () => {
    expect(() => jwt({ publicKey: pem(rsa.publicKey), algorithms: ['ES256'] })).toThrow(
      /a rsa key verifies/,
    );
    expect(() => jwt({ publicKey: ec.publicKey, algorithms: ['ES384'] })).toThrow(
      /option "algorithms"/,
    );
    expect(() => jwt({ publicKey: ed.publicKey, algorithms: ['RS256'] })).toThrow(
      /option "algorithms"/,
    );
    expect(() =>
      jwt({ publicKey: createSecretKey(Buffer.alloc(32)), algorithms: ['RS256'] }),
    ).toThrow(/option "publicKey"/);
    expect(() => jwt({ publicKey: 'not a pem', algorithms: ['RS256'] })).toThrow(
      /option "publicKey"/,
    );
    expect(() => jwt({ secret: 'short', algorithms: ['HS256'] })).toThrow(
      /option "secret" must be at least 32 bytes/,
    );
    expect(() => jwt({ secret: 42 as never, algorithms: ['HS256'] })).toThrow(/option "secret"/);
  });

  it('refuses bad numbers, lists, token sources, responses and unknown options', () => {
    const base = { secret: SECRET, algorithms: ['HS256'] as const };
    expect(() => jwt({ ...base, clockTolerance: -1 })).toThrow(/option "clockTolerance"/);
    expect(() => jwt({ ...base, maxTokenLength: 10 })).toThrow(/option "maxTokenLength"/);
    expect(() => jwt({ ...base, cacheSize: -1 })).toThrow(/option "cacheSize"/);
    expect(() => jwt({ ...base, credentialsRequired: 'no' as never })).toThrow(
      /option "credentialsRequired"/,
    );
    expect(() => jwt({ ...base, scopes: ['a "b"'] })).toThrow(/option "scopes"/);
    expect(() => jwt({ ...base, requiredClaims: [1 as never] })).toThrow(/option "requiredClaims"/);
    expect(() => jwt({ ...base, issuer: [] })).toThrow(/option "issuer"/);
    expect(() => jwt({ ...base, audience: 5 as never })).toThrow(/option "audience"/);
    expect(() => jwt({ ...base, token: {} })).toThrow(/option "token"/);
    expect(() => jwt({ ...base, token: { header: 'bad header' } })).toThrow(
      /option "token.header"/,
    );
    expect(() => jwt({ ...base, token: { headr: 'x' } as never })).toThrow(/option "token.headr"/);
    expect(() => jwt({ ...base, responses: { unauthorized: { status: 99 } } })).toThrow(
      /option "responses.unauthorized.status"/,
    );
    expect(() => jwt({ ...base, responses: { unauthorized: 'nope' as never } })).toThrow(
      /option "responses.unauthorized"/,
    );
    expect(() => jwt({ ...base, responses: { unauthorised: {} } as never })).toThrow(
      /unknown option "unauthorised"/,
    );
    expect(() => jwt({ ...base, clock: {} as never })).toThrow(/option "clock"/);
    expect(() => jwt({ ...base, jwksUri: undefined, secrett: 'x' } as never)).toThrow(
      /unknown option "secrett"/,
    );
    const jwks = { jwksUri: 'https://issuer.example/jwks.json', algorithms: ['RS256'] as const };
    expect(() => jwt({ ...jwks, jwksUri: 'ftp://x/y' })).toThrow(/option "jwksUri"/);
    expect(() => jwt({ ...jwks, jwksTimeout: 0 })).toThrow(/option "jwksTimeout"/);
    expect(() => jwt({ ...jwks, jwksRequestsPerMinute: 1.5 })).toThrow(
      /option "jwksRequestsPerMinute"/,
    );
    expect(() => jwt({ ...jwks, jwksCacheMaxAge: -1 })).toThrow(/option "jwksCacheMaxAge"/);
  });

  it('does not mutate the options it is given', () => {
    expect(() =>
      jwt(
        Object.freeze({
          secret: SECRET,
          algorithms: Object.freeze(['HS256'] as const),
          scopes: Object.freeze(['a']),
        }),
      ),
    ).not.toThrow();
  });
});

describeEachFramework('jwt() with a public key', (fw) => {
  const cases = [
    ['RS256', rsa],
    ['PS256', rsa],
    ['ES256', ec],
    ['EdDSA', ed],
  ] as const;

  for (const [alg, keys] of cases) {
    it(`admits an ${alg} token and refuses one signed by another key`, async () => {
      const app = await fw.start({
        use: [jwt({ publicKey: pem(keys.publicKey), algorithms: [alg] })],
        routes: [{ method: 'GET', path: '/me', reply: (gw) => ({ body: gw as object }) }],
      });
      const ok = await app.request('/me', bearer(mint(alg, keys.privateKey, claims)));
      expect(ok.status).toBe(200);
      expect((ok.json as { principal: unknown }).principal).toMatchObject({
        id: 'user-1',
        via: 'jwt',
      });
      const other = alg === 'EdDSA' ? edKeys() : alg === 'ES256' ? ecKeys() : rsaKeys();
      const forged = await app.request('/me', bearer(mint(alg, other.privateKey, claims)));
      expect(forged.status).toBe(401);
      expect(forged.headers['www-authenticate']).toBe(
        'Bearer error="invalid_token", error_description="The token signature is invalid"',
      );
    });
  }

  it('checks exp and iss of EdDSA tokens as jsonwebtoken does for the others', async () => {
    const app = await fw.start({
      use: [
        jwt({
          publicKey: ed.publicKey,
          algorithms: ['EdDSA'],
          issuer: 'https://i.example',
          audience: 'api',
        }),
      ],
      routes: [{ method: 'GET', path: '/me' }],
    });
    const token = (extra: object) =>
      mint('EdDSA', ed.privateKey, { ...claims, iss: 'https://i.example', aud: 'api', ...extra });
    expect((await app.request('/me', bearer(token({})))).status).toBe(200);
    const refusals = {
      expired: [{ exp: nowS - 10 }, 'The token expired'],
      'exp as a string': [{ exp: String(nowS + 60) }, 'The token is invalid'],
      'not yet valid': [{ nbf: nowS + 600 }, 'The token is not valid yet'],
      issuer: [{ iss: 'https://evil.example' }, 'The token issuer is not accepted'],
      audience: [{ aud: ['x'] }, 'The token audience is not accepted'],
    } as const;
    for (const [name, [extra, description]] of Object.entries(refusals)) {
      const res = await app.request('/me', bearer(token(extra)));
      expect(res.status, name).toBe(401);
      expect(res.headers['www-authenticate'], name).toBe(
        `Bearer error="invalid_token", error_description="${description}"`,
      );
    }
  });

  it('refuses the algorithm-confusion attack: HS256 signed with the RSA public key as secret', async () => {
    const publicPem = pem(rsa.publicKey);
    const app = await fw.start({
      use: [jwt({ publicKey: publicPem, algorithms: ['RS256'] })],
      routes: [{ method: 'GET', path: '/me' }],
    });
    for (const token of [
      hmacToken({ alg: 'HS256', typ: 'JWT' }, claims, publicPem),
      hmacToken({ alg: 'HS256' }, claims, rsa.publicKey.export({ format: 'der', type: 'spki' })),
      forge({ alg: 'none' }, claims, ''),
      forge({ alg: 'RS256' }, claims),
    ]) {
      const res = await app.request('/me', bearer(token));
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toMatch(/^Bearer error="invalid_token"/);
    }
  });
});
