/** `gateway.clientCert()`: mutual TLS, as API Gateway's custom-domain mTLS with a truststore. */

import { createMiddleware } from '../../adapters/universal.js';
import { sendPrepared } from '../../core/errors.js';
import type { GatewayMiddleware } from '../../core/middleware.js';
import { type PeerCertificate, verifiedPeer } from './certificate.js';
import {
  type ClientCertConfig,
  type ClientCertOptions,
  resolveClientCertOptions,
} from './options.js';

/**
 * Admits a request only with a client certificate the TLS server verified: the app is served by
 * `https.createServer({ requestCert: true, rejectUnauthorized: false, ca })` and `ca` is the
 * truststore. Without a verified certificate (none sent, unknown issuer, expired, plain HTTP),
 * or when `allow` is given and no rule matches, the request gets 403 `{"message":"Forbidden"}`
 * and never reaches the handler. An admitted request's certificate is on the context as
 * `clientCert` (`subjectDN`, `issuerDN`, `serialNumber`, `validity`, `fingerprint256`).
 *
 * @example
 * app.use(gateway.clientCert({ allow: [{ san: 'payments.example.com' }] }));
 * @see https://docs.aws.amazon.com/apigateway/latest/developerguide/rest-api-mutual-tls.html
 */
export function clientCert(options?: ClientCertOptions): GatewayMiddleware {
  const config = resolveClientCertOptions(options);
  return createMiddleware('clientCert', function clientCert(ex, next) {
    const peer = verifiedPeer(ex.req.socket);
    if (peer === null || !allowed(config, peer)) return sendPrepared(ex, config.forbidden);
    ex.gateway.clientCert = peer.info;
    return next();
  });
}

function allowed(config: ClientCertConfig, peer: PeerCertificate): boolean {
  const rules = config.allow;
  if (rules === undefined) return true;
  for (const matches of rules) if (matches(peer)) return true;
  return false;
}
