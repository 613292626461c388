/**
 * The demo's token issuer: a random HS256 secret made at start, and one token signed with it, so
 * that `/secure` can be tried with curl. A real app gets tokens from its identity provider and
 * verifies them with `jwksUri`.
 */

import { randomBytes } from 'node:crypto';
import jsonwebtoken from 'jsonwebtoken';
import type { JwtOptions } from '../../src/index.js';

export interface DemoIssuer {
  /** Options for `gateway.jwt()` that accept `token`. */
  readonly options: JwtOptions;
  /** A token for the demo user, valid for a day. */
  readonly token: string;
}

export const DEMO_ISSUER = 'https://issuer.demo.portcullis.dev';
export const DEMO_AUDIENCE = 'demo-api';

export function demoIssuer(): DemoIssuer {
  const secret = randomBytes(32);
  const token = jsonwebtoken.sign({ sub: 'demo-user', scope: 'orders:read' }, secret, {
    algorithm: 'HS256',
    issuer: DEMO_ISSUER,
    audience: DEMO_AUDIENCE,
    expiresIn: '1d',
  });
  return {
    options: {
      secret,
      algorithms: ['HS256'],
      issuer: DEMO_ISSUER,
      audience: DEMO_AUDIENCE,
      scopes: ['orders:read'],
    },
    token,
  };
}
