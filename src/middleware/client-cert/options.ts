/** `clientCert()` options, their defaults, and the resolved configuration (the allow rules compiled). */

import {
  type ErrorResponseOptions,
  type PreparedResponse,
  prepareErrorResponse,
} from '../../core/errors.js';
import {
  assertKnownOptions,
  assertOptionsObject,
  optionRangeError,
  optionTypeError,
  stripUndefined,
} from '../../core/validate.js';
import type { PeerCertificate } from './certificate.js';

/**
 * One kind of certificate that may pass. Every field given must match (a rule with `subject`
 * and `issuer` needs both); a certificate passes when any rule matches.
 * @example { subject: 'C=NO,O=Example Corp,CN=payments.example.com' }
 * @example { san: 'spiffe://example.com/payments' }
 * @example { issuer: /,O=Example Corp,/, san: /\.internal\.example\.com$/ }
 */
export interface ClientCertRule {
  /**
   * The subject: a string is compared with the whole `subjectDN` (comma-separated RDNs in
   * certificate order, RFC 2253 escaping, as `gateway.clientCert.subjectDN` shows it and API
   * Gateway writes it); a RegExp is tested against it.
   */
  subject?: string | RegExp;
  /** The issuer, as `subject` (against `issuerDN`). */
  issuer?: string | RegExp;
  /**
   * A subject alternative name: a string equals one SAN value exactly (a DNS name, URI, email
   * or IP address, without its `DNS:` type; a wildcard in the certificate is not expanded); a
   * RegExp must match one.
   */
  san?: string | RegExp;
  /** The certificate's SHA-256 fingerprint: 64 hex digits, colons and case ignored. */
  fingerprint256?: string;
}

export interface ClientCertOptions {
  /**
   * Which verified certificates may pass; any rule that matches admits. Without it, every
   * certificate the server's `ca` verified passes.
   * @default undefined (any verified certificate)
   */
  allow?: readonly ClientCertRule[];
  /** Replaces the 403 `{"message":"Forbidden"}`. */
  response?: ErrorResponseOptions;
}

export const CLIENT_CERT_DEFAULTS = {
  allow: undefined,
  response: undefined,
} as const satisfies ClientCertOptions;

const KNOWN_OPTIONS = Object.keys(CLIENT_CERT_DEFAULTS);
const RULE_FIELDS = ['subject', 'issuer', 'san', 'fingerprint256'];
const SCOPE = 'clientCert';

/** A compiled rule: whether a peer's certificate matches it. */
export type CertificateMatcher = (peer: PeerCertificate) => boolean;

export interface ClientCertConfig {
  /** Undefined: any verified certificate passes. */
  readonly allow: readonly CertificateMatcher[] | undefined;
  readonly forbidden: PreparedResponse;
}

/** Validates `options` and compiles the allow rules. */
export function resolveClientCertOptions(options: ClientCertOptions = {}): ClientCertConfig {
  assertOptionsObject(SCOPE, options);
  assertKnownOptions(SCOPE, options, KNOWN_OPTIONS);
  const o = { ...CLIENT_CERT_DEFAULTS, ...stripUndefined(options) };
  return Object.freeze({
    allow: o.allow === undefined ? undefined : compileAllow(o.allow),
    forbidden: prepareErrorResponse('forbidden', o.response, SCOPE, 'response'),
  });
}

function compileAllow(allow: unknown): readonly CertificateMatcher[] {
  if (!Array.isArray(allow) || allow.length === 0)
    throw optionTypeError(SCOPE, 'allow', 'a non-empty array of rules', allow);
  return Object.freeze(allow.map((rule, index) => compileRule(rule, `allow[${index}]`)));
}

function compileRule(rule: unknown, option: string): CertificateMatcher {
  if (typeof rule !== 'object' || rule === null || Array.isArray(rule))
    throw optionTypeError(
      SCOPE,
      option,
      'a rule like { subject, issuer, san, fingerprint256 }',
      rule,
    );
  assertKnownOptions(SCOPE, rule, RULE_FIELDS);
  const r = stripUndefined(rule as ClientCertRule);
  if (Object.keys(r).length === 0)
    throw optionTypeError(
      SCOPE,
      option,
      'a rule with at least one field (an empty one admits every certificate)',
      rule,
    );
  const checks: CertificateMatcher[] = [];
  if (r.subject !== undefined) {
    const matches = textMatcher(r.subject, `${option}.subject`);
    checks.push((peer) => matches(peer.info.subjectDN));
  }
  if (r.issuer !== undefined) {
    const matches = textMatcher(r.issuer, `${option}.issuer`);
    checks.push((peer) => matches(peer.info.issuerDN));
  }
  if (r.san !== undefined) {
    const matches = textMatcher(r.san, `${option}.san`);
    checks.push((peer) => {
      for (const san of peer.sans) if (matches(san)) return true;
      return false;
    });
  }
  if (r.fingerprint256 !== undefined) {
    const wanted = normalisedFingerprint(r.fingerprint256, `${option}.fingerprint256`);
    checks.push((peer) => peer.info.fingerprint256 === wanted);
  }
  return (peer) => {
    for (const check of checks) if (!check(peer)) return false;
    return true;
  };
}

function textMatcher(value: unknown, option: string): (text: string) => boolean {
  if (typeof value === 'string' && value !== '') return (text) => text === value;
  if (value instanceof RegExp) {
    // A global or sticky RegExp remembers `lastIndex` between calls: every other test would fail.
    const pattern = new RegExp(value.source, value.flags.replace(/[gy]/g, ''));
    return (text) => pattern.test(text);
  }
  throw optionTypeError(SCOPE, option, 'a non-empty string or a RegExp', value);
}

const FINGERPRINT = /^[0-9a-f]{64}$/i;

/** `ab:cd:...` or `ABCD...` → Node's form, `AB:CD:...`. */
function normalisedFingerprint(value: unknown, option: string): string {
  const hex = typeof value === 'string' ? value.replaceAll(':', '') : '';
  if (!FINGERPRINT.test(hex))
    throw optionRangeError(
      SCOPE,
      option,
      'a SHA-256 fingerprint (64 hex digits, colons allowed)',
      value,
    );
  return (hex.toUpperCase().match(/../g) as string[]).join(':');
}
