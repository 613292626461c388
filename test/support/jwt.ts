/** Real tokens for tests: keys generated per run, tokens signed with jsonwebtoken (EdDSA with node:crypto), and a real JWKS server. */

import {
  createHmac,
  generateKeyPairSync,
  type KeyObject,
  randomBytes,
  sign as signBytes,
} from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import jsonwebtoken from 'jsonwebtoken';

export interface KeyPair {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
}

export const rsaKeys = (): KeyPair => generateKeyPairSync('rsa', { modulusLength: 2048 });
export const ecKeys = (): KeyPair => generateKeyPairSync('ec', { namedCurve: 'P-256' });
export const edKeys = (): KeyPair => generateKeyPairSync('ed25519');
export const randomSecret = (): string => randomBytes(32).toString('base64url');

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

/** Signs `payload` as a compact JWS; `header` is merged over `{ alg, typ: 'JWT' }`. */
export function mint(
  alg: string,
  key: KeyObject | string,
  payload: Record<string, unknown>,
  header: Record<string, unknown> = {},
): string {
  if (alg === 'EdDSA') {
    const input = `${b64({ alg, typ: 'JWT', ...header })}.${b64(payload)}`;
    const signature = signBytes(null, Buffer.from(input), key as KeyObject);
    return `${input}.${signature.toString('base64url')}`;
  }
  const { kid, ...rest } = header;
  return jsonwebtoken.sign(payload, key as never, {
    algorithm: alg as jsonwebtoken.Algorithm,
    ...(kid === undefined ? {} : { keyid: String(kid) }),
    header: rest as never,
  });
}

/** A token with any header and payload and a signature of arbitrary bytes (hostile tests). */
export function forge(header: unknown, payload: unknown, signature = 'c2ln'): string {
  return `${b64(header)}.${b64(payload)}.${signature}`;
}

/**
 * An HS256 token built by hand, as an attacker would: any header and payload (jsonwebtoken's
 * `sign` refuses a string `exp` or a public key as the HMAC secret).
 */
export function hmacToken(header: unknown, payload: unknown, secret: string | Buffer): string {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

/** A real JWKS endpoint serving the public halves of `keys` by kid; `keys` may be changed between requests. */
export interface JwksServer {
  readonly uri: string;
  readonly keys: Map<string, KeyObject>;
  /** The `alg` a key's JWK declares, by kid (none when absent). */
  readonly algs: Map<string, string>;
  /** Requests it answered. */
  fetches: number;
  /** When set, requests get no answer at all (the connection hangs). */
  hang: boolean;
  /** When set, requests get their headers, then a space every 50 ms and never the end. */
  drip: boolean;
  /** When set, requests get this status and no keys. */
  failWith: number | undefined;
  close(): Promise<void>;
}

export async function startJwksServer(keys: Record<string, KeyObject>): Promise<JwksServer> {
  const state = {
    keys: new Map(Object.entries(keys)),
    algs: new Map<string, string>(),
    fetches: 0,
    hang: false,
    drip: false,
    failWith: undefined as number | undefined,
  };
  const server: Server = createServer((_req, res) => {
    if (state.hang) return;
    if (state.drip) {
      res.writeHead(200, { 'content-type': 'application/json' });
      const timer = setInterval(() => res.write(' '), 50);
      res.on('close', () => clearInterval(timer));
      return;
    }
    state.fetches++;
    if (state.failWith !== undefined) {
      res.statusCode = state.failWith;
      res.end('{}');
      return;
    }
    const jwks = [...state.keys].map(([kid, key]) => ({
      ...key.export({ format: 'jwk' }),
      kid,
      use: 'sig',
      ...(state.algs.has(kid) ? { alg: state.algs.get(kid) } : {}),
    }));
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ keys: jwks }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(state, {
    uri: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}
