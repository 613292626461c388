import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeEachFramework } from '../../../test/support/frameworks.js';
import { hmacToken, mint, rsaKeys } from '../../../test/support/jwt.js';
import { manualClock } from '../../../test/support/manual-clock.js';
import { jwt } from './index.js';
import type { JwtOptions } from './types.js';

const SECRET = 'a-test-secret-of-at-least-32-bytes!!';
const NOW = Date.UTC(2026, 0, 5);
const nowS = NOW / 1000;
const rsa = rsaKeys();
const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });
const claims = { sub: 'user-1', exp: nowS + 3600 };
const invalid = 'Bearer error="invalid_token", error_description="The token is invalid"';
const me = { method: 'GET', path: '/me', reply: { body: 'ok' } };

/** A server on 127.0.0.1 answering every request with `handler`. */
async function listen(handler: Parameters<typeof createServer>[1]): Promise<{
  url: string;
  close(): Promise<void>;
}> {
  const server: Server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * An HS256 token whose header and payload JSON are written by hand: duplicate keys and numbers
 * such as 1e400 that JSON.stringify cannot write.
 */
function handWritten(headerJson: string, payloadJson = JSON.stringify(claims)): string {
  const encode = (json: string) => Buffer.from(json).toString('base64url');
  const input = `${encode(headerJson)}.${encode(payloadJson)}`;
  return `${input}.${createHmac('sha256', SECRET).update(input).digest('base64url')}`;
}

/** The JSON of a key set holding the test's RSA public key as `kid: k`, padded to `padding` bytes. */
function keySetBody(padding = 0): string {
  const key = { ...rsa.publicKey.export({ format: 'jwk' }), kid: 'k', use: 'sig' };
  return JSON.stringify({ keys: [key], padding: 'x'.repeat(padding) });
}

describe('jwt() options', () => {
  it('refuses a jwksUri with credentials at start-up, which fetch() could never use', () => {
    expect(() =>
      jwt({ jwksUri: 'https://user:pass@issuer.example/jwks.json', algorithms: ['RS256'] }),
    ).toThrow(/option "jwksUri"/);
  });
});

describeEachFramework('jwt() against hostile tokens', (fw) => {
  const start = (options: Partial<JwtOptions> = {}) =>
    fw.start({
      use: [jwt({ secret: SECRET, algorithms: ['HS256'], clock: manualClock(NOW), ...options })],
      routes: [me],
    });

  describe('a token whose header lists critical extensions (RFC 7515 §4.1.11)', () => {
    it('is refused as invalid, since no extension is understood', async () => {
      const app = await start();
      for (const crit of [['exp'], ['b64'], ['x-unknown'], [], 'exp']) {
        const token = hmacToken({ alg: 'HS256', typ: 'JWT', crit, b64: true }, claims, SECRET);
        const res = await app.request('/me', bearer(token));
        expect(res.status, JSON.stringify(crit)).toBe(401);
        expect(res.headers['www-authenticate']).toBe(invalid);
      }
    });

    it('is refused even when the same token without crit was cached as valid', async () => {
      const app = await start();
      expect((await app.request('/me', bearer(mint('HS256', SECRET, claims)))).status).toBe(200);
      const token = hmacToken({ alg: 'HS256', crit: ['exp'] }, claims, SECRET);
      expect((await app.request('/me', bearer(token))).status).toBe(401);
    });
  });

  it('keeps each jwt() its own cache: a token admitted by one is checked anew by another', async () => {
    const clock = manualClock(NOW);
    const app = await fw.start({
      use: [
        jwt({ secret: SECRET, algorithms: ['HS256'], clock, audience: 'orders' }),
        jwt({ secret: SECRET, algorithms: ['HS256'], clock, audience: 'admin' }),
      ],
      routes: [me],
    });
    const orders = mint('HS256', SECRET, { ...claims, aud: 'orders' });
    for (let i = 0; i < 2; i++) {
      const res = await app.request('/me', bearer(orders));
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toContain('The token audience is not accepted');
    }
    const both = mint('HS256', SECRET, { ...claims, aud: [{ aud: 'admin' }, 'orders', 'admin'] });
    expect((await app.request('/me', bearer(both))).status).toBe(200);
  });

  it('reads duplicate header keys as jsonwebtoken does (the last one wins for both)', async () => {
    const app = await start();
    expect(
      (await app.request('/me', bearer(handWritten('{"alg":"none","alg":"HS256"}')))).status,
    ).toBe(200);
    const none = await app.request('/me', bearer(handWritten('{"alg":"HS256","alg":"none"}')));
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toContain('The token algorithm is not allowed');
  });

  it('reads exp and nbf only as JSON numbers, out-of-range ones included', async () => {
    const app = await start();
    const cases: Array<[string, number, string?]> = [
      [`{"sub":"u","exp":${nowS + 0.5}}`, 200],
      ['{"sub":"u","exp":1e400}', 200], // Infinity: no end, as a token without exp
      ['{"sub":"u","exp":-1}', 401, 'The token expired'],
      ['{"sub":"u","exp":-1e400}', 401, 'The token expired'],
      ['{"sub":"u","exp":"NaN"}', 401, 'The token is invalid'],
      [`{"sub":"u","exp":"${nowS + 60}"}`, 401, 'The token is invalid'],
      ['{"sub":"u","exp":null}', 401, 'The token is invalid'],
      ['{"sub":"u","nbf":1e400}', 401, 'The token is not valid yet'],
      [`{"sub":"u","exp":${nowS + 60},"exp":-1}`, 401, 'The token expired'],
    ];
    for (const [json, status, description] of cases) {
      const res = await app.request('/me', bearer(handWritten('{"alg":"HS256"}', json)));
      expect(res.status, json).toBe(status);
      if (description !== undefined)
        expect(res.headers['www-authenticate'], json).toContain(description);
    }
  });

  it('ignores jku, x5u and x5c: only the configured key verifies', async () => {
    const app = await start();
    const attacker = 'an-attacker-secret-of-32-bytes-or-more';
    for (const extra of [
      { jku: 'http://127.0.0.1:1/jwks.json' },
      { x5u: 'http://127.0.0.1:1/cert.pem' },
      { x5c: ['MIIB'] },
      { jwk: { kty: 'oct', k: Buffer.from(attacker).toString('base64url') } },
    ]) {
      const forged = hmacToken({ alg: 'HS256', ...extra }, claims, attacker);
      expect((await app.request('/me', bearer(forged))).status, Object.keys(extra)[0]).toBe(401);
      const signed = hmacToken({ alg: 'HS256', ...extra }, claims, SECRET);
      expect((await app.request('/me', bearer(signed))).status, Object.keys(extra)[0]).toBe(200);
    }
  });
});

describeEachFramework('jwt() against a hostile key set endpoint', (fw) => {
  let keys: Awaited<ReturnType<typeof listen>>;
  beforeAll(async () => {
    keys = await listen((req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(keySetBody(req.url === '/huge' ? 2 * 1024 * 1024 : 0));
    });
  });
  afterAll(() => keys.close());

  const start = (jwksUri: string) =>
    fw.start({
      use: [jwt({ jwksUri, algorithms: ['RS256'], clock: manualClock(NOW), jwksTimeout: 5000 })],
      routes: [me],
    });
  const token = () => mint('RS256', rsa.privateKey, claims, { kid: 'k' });

  it('uses a key set of ordinary size', async () => {
    const app = await start(`${keys.url}/small`);
    expect((await app.request('/me', bearer(token()))).status).toBe(200);
  });

  it('refuses a key set body over 1 MiB (500, the set is unavailable)', async () => {
    const app = await start(`${keys.url}/huge`);
    const res = await app.request('/me', bearer(token()));
    expect(res.status).toBe(500);
    expect(res.json).toEqual({ message: 'Internal server error' });
  });

  it('does not follow a redirect (an https set could be sent to plain http)', async () => {
    const redirect = await listen((_req, res) => {
      res.writeHead(302, { location: `${keys.url}/small` });
      res.end();
    });
    try {
      const app = await start(`${redirect.url}/jwks.json`);
      expect((await app.request('/me', bearer(token()))).status).toBe(500);
    } finally {
      await redirect.close();
    }
  });
});
