import { Agent, get } from 'node:https';
import { describe, expect, it } from 'vitest';
import {
  clientTls,
  makeTestCertificates,
  mutualTlsServer,
} from '../../../test/support/certificates.js';
import { describeEachFramework } from '../../../test/support/frameworks.js';
import { request } from '../../../test/support/http.js';
import { cors } from '../cors/index.js';
import { clientCert } from './index.js';

const certs = makeTestCertificates();

/** The TLS server of API Gateway's custom domain: asks for a certificate, checks it against `ca`. */
const mtls = mutualTlsServer(certs);

/** The client side of a request: trusts the test CA and presents `pair` when given. */
const as = (pair?: { cert: Buffer; key: Buffer }) => ({ tls: clientTls(certs, pair) });

const echoRoute = {
  method: 'GET',
  path: '/r',
  reply: (gateway: unknown) => ({
    body: { clientCert: (gateway as { clientCert?: unknown }).clientCert ?? null },
  }),
};

describe('clientCert() options', () => {
  it('refuses unknown options, bad allow lists and empty or unknown rule fields', () => {
    expect(() => clientCert({ alow: [] } as never)).toThrow(/unknown option "alow"/);
    expect(() => clientCert({ allow: [] })).toThrow(/option "allow"/);
    expect(() => clientCert({ allow: 'CN=x' as never })).toThrow(/option "allow"/);
    expect(() => clientCert({ allow: [{}] })).toThrow(/option "allow\[0\]".*at least one field/);
    expect(() => clientCert({ allow: [null as never] })).toThrow(/option "allow\[0\]"/);
    expect(() => clientCert({ allow: [{ cn: 'x' } as never] })).toThrow(/unknown option "cn"/);
    expect(() => clientCert({ allow: [{ subject: '' }] })).toThrow(/option "allow\[0\].subject"/);
    expect(() => clientCert({ allow: [{ san: 42 as never }] })).toThrow(/option "allow\[0\].san"/);
    expect(() => clientCert({ allow: [{ fingerprint256: 'AB:CD' }] })).toThrow(
      /option "allow\[0\].fingerprint256"/,
    );
    expect(() => clientCert({ response: { status: 1000 } })).toThrow(/option "response.status"/);
  });
});

describeEachFramework('clientCert()', (framework) => {
  const start = (middleware: ReturnType<typeof clientCert>) =>
    framework.start({ tls: mtls, use: [middleware], routes: [echoRoute] });

  it('admits a verified certificate and puts API Gateway’s clientCert fields on the context', async () => {
    const app = await start(clientCert());
    const res = await app.request('/r', as(certs.client));
    expect(res.status).toBe(200);
    const { x509 } = certs.client;
    expect(res.json).toEqual({
      clientCert: {
        subjectDN: 'C=NO,O=Example Corp,OU=Payments,CN=client.example.com',
        issuerDN: 'O=Example Corp,CN=Example Test CA',
        serialNumber: '0a:1b:2c:3d',
        validity: { notBefore: x509.validFrom, notAfter: x509.validTo },
        fingerprint256: x509.fingerprint256,
      },
    });
  });

  it('answers 403 Forbidden without a certificate, with an expired one, or one of another CA', async () => {
    const app = await start(clientCert());
    for (const [name, pair] of [
      ['none', undefined],
      ['expired', certs.expiredClient],
      ['foreign', certs.foreignClient],
    ] as const) {
      const res = await app.request('/r', as(pair));
      expect(res.status, name).toBe(403);
      expect(res.json, name).toEqual({ message: 'Forbidden' });
      expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    }
  });

  it('answers 403 to a plain-HTTP request instead of crashing', async () => {
    const app = await framework.start({ use: [clientCert()], routes: [echoRoute] });
    const res = await app.request('/r');
    expect(res.status).toBe(403);
    expect(res.json).toEqual({ message: 'Forbidden' });
  });

  it('with allow, admits only certificates a rule matches: subject, SAN or fingerprint', async () => {
    const bySubject = await start(
      clientCert({ allow: [{ subject: 'C=NO,O=Example Corp,OU=Payments,CN=client.example.com' }] }),
    );
    expect((await bySubject.request('/r', as(certs.client))).status).toBe(200);
    expect((await bySubject.request('/r', as(certs.otherClient))).status).toBe(403);

    const bySan = await start(clientCert({ allow: [{ san: 'spiffe://example.com/payments' }] }));
    expect((await bySan.request('/r', as(certs.client))).status).toBe(200);
    expect((await bySan.request('/r', as(certs.otherClient))).status).toBe(403);

    const byFingerprint = await start(
      clientCert({
        allow: [
          {
            fingerprint256: certs.otherClient.x509.fingerprint256.replaceAll(':', '').toLowerCase(),
          },
        ],
      }),
    );
    expect((await byFingerprint.request('/r', as(certs.otherClient))).status).toBe(200);
    expect((await byFingerprint.request('/r', as(certs.client))).status).toBe(403);
  });

  it('needs every field of a rule, any rule, and never admits an unverified certificate', async () => {
    const app = await start(
      clientCert({
        allow: [
          { subject: /,CN=client\.example\.com$/g, issuer: 'O=Example Corp,CN=Example Test CA' },
          { san: /^other\./, issuer: /Nobody/ },
          // Only the certificate of the other CA has this subject.
          { subject: 'O=Example Corp,CN=client.example.com' },
        ],
      }),
    );
    // A global RegExp keeps lastIndex between tests: the second request must still pass.
    expect((await app.request('/r', as(certs.client))).status).toBe(200);
    expect((await app.request('/r', as(certs.client))).status).toBe(200);
    expect((await app.request('/r', as(certs.otherClient))).status).toBe(403);
    // A rule matches it, but another CA signed it: not verified, so never admitted.
    expect((await app.request('/r', as(certs.foreignClient))).status).toBe(403);
  });

  it('keeps answering on a keep-alive connection', async () => {
    const app = await start(clientCert({ allow: [{ san: 'client.example.com' }] }));
    const agent = new Agent({ keepAlive: true, maxSockets: 1, ...as(certs.client).tls });
    try {
      const sockets = new Set<unknown>();
      for (let i = 0; i < 3; i++) {
        const res = await new Promise<{ status: number; body: string }>((resolve, reject) => {
          const req = get(`${app.url}/r`, { agent }, (response) => {
            sockets.add(response.socket);
            let body = '';
            response.on('data', (chunk) => {
              body += chunk;
            });
            response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
          });
          req.on('error', reject);
        });
        expect(res.status).toBe(200);
        expect(JSON.parse(res.body).clientCert.subjectDN).toMatch(/,CN=client\.example\.com$/);
      }
      expect(sockets.size).toBe(1);
    } finally {
      agent.destroy();
    }
  });

  it('sends its 403 with the CORS headers when cors runs first, and takes an override', async () => {
    const app = await framework.start({
      tls: mtls,
      use: [
        cors({ origin: ['https://app.example.com'] }),
        clientCert({ response: { message: 'Certificate required' } }),
      ],
      routes: [echoRoute],
    });
    const res = await request(app.url, '/r', {
      headers: { origin: 'https://app.example.com' },
      ...as(),
    });
    expect(res.status).toBe(403);
    expect(res.json).toEqual({ message: 'Certificate required' });
    expect(res.headers['access-control-allow-origin']).toBe('https://app.example.com');
  });
});
