/** A verified peer certificate read once per TLS connection: API Gateway's `clientCert` fields and the SAN values. */

import type { X509Certificate } from 'node:crypto';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { ClientCertInfo } from '../../core/context.js';

/** What `clientCert` knows of a connection's certificate. */
export interface PeerCertificate {
  readonly info: ClientCertInfo;
  /** Subject alternative names, each value without its type (`client.example.com`, `spiffe://...`). */
  readonly sans: readonly string[];
}

/**
 * One entry per TLS connection, so that a keep-alive connection's certificate is read and
 * formatted once. `null`: the connection has no verified certificate. A certificate cannot
 * change on a connection unless the server itself renegotiates (TLS 1.2 only).
 */
const peers = new WeakMap<Socket, PeerCertificate | null>();

/**
 * The verified client certificate of the connection, or null: not TLS (plain HTTP, or TLS
 * terminated by a proxy in front), no certificate, or one the server's `ca` did not verify
 * (`socket.authorized` false: unknown issuer, expired, not yet valid).
 */
export function verifiedPeer(socket: Socket | null | undefined): PeerCertificate | null {
  if (socket === null || socket === undefined) return null;
  const known = peers.get(socket);
  if (known !== undefined) return known;
  const peer = readPeer(socket as Partial<TLSSocket>);
  // An unverified socket is not cached: `authorized` is only final once the handshake is done.
  if (peer !== null) peers.set(socket, peer);
  return peer;
}

function readPeer(socket: Partial<TLSSocket>): PeerCertificate | null {
  if (socket.encrypted !== true || socket.authorized !== true) return null;
  const x509 = socket.getPeerX509Certificate?.();
  if (x509 === undefined) return null;
  return Object.freeze({ info: certificateInfo(x509), sans: Object.freeze(sanValues(x509)) });
}

/** `$context.identity.clientCert`'s fields (without the PEM). */
export function certificateInfo(x509: X509Certificate): ClientCertInfo {
  return Object.freeze({
    subjectDN: distinguishedName(x509.subject),
    issuerDN: distinguishedName(x509.issuer),
    serialNumber: colonHex(x509.serialNumber),
    validity: Object.freeze({ notBefore: x509.validFrom, notAfter: x509.validTo }),
    fingerprint256: x509.fingerprint256,
  });
}

/**
 * Node prints a name one RDN per line, in certificate order, values already escaped as RFC 2253
 * §2.4 asks (`O=Example\, Inc.`) and multi-valued RDNs joined by ` + `. API Gateway writes them
 * comma-separated in certificate order, most general first (`C=US,O=Example,CN=My Client`, as its
 * Lambda events show), not reversed as RFC 2253 §2.1 would. An escaped `+` in a value is `\+`,
 * never ` + `.
 * @see https://datatracker.ietf.org/doc/html/rfc2253#section-2.4
 */
export function distinguishedName(printed: string): string {
  return printed.replaceAll('\n', ',').replaceAll(' + ', '+');
}

/** `0A1B2C` → `0a:1b:2c`, the way API Gateway writes a serial number. */
export function colonHex(hex: string): string {
  const even = hex.length % 2 === 0 ? hex : `0${hex}`;
  return (even.toLowerCase().match(/../g) ?? []).join(':');
}

/**
 * The values of Node's `subjectAltName` (`DNS:a.example, URI:spiffe://x, IP Address:10.0.0.1`),
 * without their types. Since CVE-2021-44532 Node writes a value holding a comma, quote or other
 * special character as a JSON string (`DNS:"a\u002c b"`), so that no value can forge another.
 */
export function sanValues(x509: Pick<X509Certificate, 'subjectAltName'>): string[] {
  const text = x509.subjectAltName;
  if (text === undefined) return [];
  const values: string[] = [];
  let i = 0;
  while (i < text.length) {
    const colon = text.indexOf(':', i);
    if (colon === -1) break;
    let end: number;
    if (text[colon + 1] === '"') {
      const quote = closingQuote(text, colon + 2);
      if (quote === -1) break; // not Node's format: keep what was read, match nothing more
      end = quote + 1;
      values.push(JSON.parse(text.slice(colon + 1, end)) as string);
    } else {
      end = text.indexOf(', ', colon);
      if (end === -1) end = text.length;
      values.push(text.slice(colon + 1, end));
    }
    i = end + 2; // past ", "
  }
  return values;
}

/** Index of the `"` that closes a JSON string whose content starts at `from`, or -1. */
function closingQuote(text: string, from: number): number {
  for (let i = from; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === '"') return i;
  }
  return -1;
}
