/**
 * Test certificates made with the `openssl` CLI into a temporary directory: a CA, a server
 * certificate for 127.0.0.1, two good clients, an expired client and a client of another CA.
 */

import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface KeyPair {
  readonly cert: Buffer;
  readonly key: Buffer;
  readonly x509: X509Certificate;
}

export interface TestCertificates {
  /** The CA the servers trust. */
  readonly ca: Buffer;
  /** Signed by `ca`, for `127.0.0.1`. */
  readonly server: KeyPair;
  /** Signed by `ca`: `C=NO,O=Example Corp,OU=Payments,CN=client.example.com`, SANs DNS, URI, email. */
  readonly client: KeyPair;
  /** Signed by `ca`: `O=Example Corp,CN=other.example.com`, SAN `other.example.com`. */
  readonly otherClient: KeyPair;
  /** Signed by `ca`, valid only on 1–2 January 2020. */
  readonly expiredClient: KeyPair;
  /** Signed by another CA, not trusted by the servers. */
  readonly foreignClient: KeyPair;
}

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}

/** A P-256 key in `<name>.key` and a request for `subject` in `<name>.csr`, or a self-signed CA in `<name>.crt`. */
function newKey(dir: string, name: string, subject: string, kind: 'request' | 'ca'): void {
  const ca = kind === 'ca' ? ['-x509', '-days', '3'] : [];
  const out = `${name}.${kind === 'ca' ? 'crt' : 'csr'}`;
  const key = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  openssl(dir, ['req', ...ca, ...key, '-keyout', `${name}.key`, '-out', out, '-subj', subject]);
}

/** Signs `<name>.csr` with `<ca>` (x509 -req), with the extensions in `extensions`. */
function sign(dir: string, name: string, ca: string, serial: string, extensions: string): void {
  writeFileSync(join(dir, `${name}.ext`), extensions);
  openssl(dir, [
    'x509',
    '-req',
    '-in',
    `${name}.csr`,
    '-CA',
    `${ca}.crt`,
    '-CAkey',
    `${ca}.key`,
    '-set_serial',
    serial,
    '-days',
    '3',
    '-sha256',
    '-extfile',
    `${name}.ext`,
    '-out',
    `${name}.crt`,
  ]);
}

/** Signs `<name>.csr` with `<ca>` for a fixed past period: `openssl ca` is the CLI that takes dates. */
function signExpired(dir: string, name: string, ca: string): void {
  writeFileSync(join(dir, 'index.txt'), '');
  writeFileSync(join(dir, 'serial'), '1000\n');
  writeFileSync(
    join(dir, 'ca.cnf'),
    [
      '[ca]',
      'default_ca = test_ca',
      '[test_ca]',
      'database = index.txt',
      'new_certs_dir = .',
      'serial = serial',
      'default_md = sha256',
      'policy = any',
      'unique_subject = no',
      'x509_extensions = client',
      '[any]',
      'commonName = supplied',
      'organizationName = optional',
      '[client]',
      'extendedKeyUsage = clientAuth',
      '',
    ].join('\n'),
  );
  openssl(dir, [
    'ca',
    '-batch',
    '-config',
    'ca.cnf',
    '-cert',
    `${ca}.crt`,
    '-keyfile',
    `${ca}.key`,
    '-in',
    `${name}.csr`,
    '-out',
    `${name}.crt`,
    '-notext',
    '-startdate',
    '20200101000000Z',
    '-enddate',
    '20200102000000Z',
  ]);
}

function pair(dir: string, name: string): KeyPair {
  const cert = readFileSync(join(dir, `${name}.crt`));
  return { cert, key: readFileSync(join(dir, `${name}.key`)), x509: new X509Certificate(cert) };
}

const CLIENT_EXTENSIONS = 'extendedKeyUsage = clientAuth\n';

/** Makes every certificate (about a second of openssl runs) and removes the directory. */
export function makeTestCertificates(): TestCertificates {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-certs-'));
  try {
    newKey(dir, 'ca', '/O=Example Corp/CN=Example Test CA', 'ca');
    newKey(dir, 'other-ca', '/O=Elsewhere/CN=Other Test CA', 'ca');
    newKey(dir, 'server', '/CN=127.0.0.1', 'request');
    sign(
      dir,
      'server',
      'ca',
      '0x01',
      'subjectAltName = IP:127.0.0.1\nextendedKeyUsage = serverAuth\n',
    );
    newKey(dir, 'client', '/C=NO/O=Example Corp/OU=Payments/CN=client.example.com', 'request');
    sign(
      dir,
      'client',
      'ca',
      '0x0a1b2c3d',
      `${CLIENT_EXTENSIONS}subjectAltName = @alt\n[alt]\n` +
        'DNS.1 = client.example.com\nURI.1 = spiffe://example.com/payments\nemail.1 = ops@example.com\n',
    );
    newKey(dir, 'other', '/O=Example Corp/CN=other.example.com', 'request');
    sign(
      dir,
      'other',
      'ca',
      '0x02',
      `${CLIENT_EXTENSIONS}subjectAltName = DNS:other.example.com\n`,
    );
    newKey(dir, 'expired', '/O=Example Corp/CN=expired.example.com', 'request');
    signExpired(dir, 'expired', 'ca');
    newKey(dir, 'foreign', '/O=Example Corp/CN=client.example.com', 'request');
    sign(dir, 'foreign', 'other-ca', '0x03', CLIENT_EXTENSIONS);
    return {
      ca: readFileSync(join(dir, 'ca.crt')),
      server: pair(dir, 'server'),
      client: pair(dir, 'client'),
      otherClient: pair(dir, 'other'),
      expiredClient: pair(dir, 'expired'),
      foreignClient: pair(dir, 'foreign'),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The TLS server of API Gateway's custom domain with mutual TLS: asks for a client certificate
 * and checks it against `certs.ca`, but lets the handshake through without one, so that
 * `clientCert()` answers 403 instead of a TLS alert.
 */
export function mutualTlsServer(certs: TestCertificates) {
  return {
    cert: certs.server.cert,
    key: certs.server.key,
    ca: certs.ca,
    requestCert: true,
    rejectUnauthorized: false,
  };
}

/** The client side of a request to such a server: trusts the test CA, presents `pair` when given. */
export function clientTls(certs: TestCertificates, pair?: { cert: Buffer; key: Buffer }) {
  return pair === undefined ? { ca: certs.ca } : { ca: certs.ca, cert: pair.cert, key: pair.key };
}
