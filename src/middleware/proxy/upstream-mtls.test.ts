import { Agent, createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { makeTestCertificates } from '../../../test/support/certificates.js';
import { describeEachFramework } from '../../../test/support/frameworks.js';
import { proxy } from './index.js';

const certs = makeTestCertificates();

/**
 * A backend that accepts only TLS clients with a certificate of the test CA (its handshake
 * fails otherwise) and answers with the subject it saw, as a backend checking that requests
 * come from its gateway would.
 */
let backend: Server;
let backendUrl: string;

beforeAll(async () => {
  backend = createServer(
    {
      cert: certs.server.cert,
      key: certs.server.key,
      ca: certs.ca,
      requestCert: true,
      rejectUnauthorized: true,
    },
    (req, res) => {
      const peer = (req.socket as TLSSocket).getPeerX509Certificate();
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ gatewaySubject: peer?.subject ?? null }));
    },
  );
  await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', resolve));
  backendUrl = `https://127.0.0.1:${(backend.address() as AddressInfo).port}`;
});
afterAll(async () => {
  backend.closeAllConnections();
  await new Promise((resolve) => backend.close(resolve));
});

/** An https.Agent that trusts the backend's CA and presents `pair`, when given. */
const agentWith = (pair?: { cert: Buffer; key: Buffer }) =>
  new Agent({ keepAlive: true, ca: certs.ca, ...(pair === undefined ? {} : pair) });

describeEachFramework('proxy() to a backend that requires a client certificate', (fw) => {
  const agents: Agent[] = [];
  afterAll(() => {
    for (const agent of agents) agent.destroy();
  });
  const gatewayWith = (agent?: Agent) => {
    if (agent !== undefined) agents.push(agent);
    return fw.start({
      use: [proxy(agent === undefined ? { target: backendUrl } : { target: backendUrl, agent })],
    });
  };

  it('presents the certificate of its https.Agent, and the backend answers', async () => {
    const app = await gatewayWith(agentWith(certs.client));
    const first = await app.request('/r');
    expect(first.status).toBe(200);
    expect(first.json).toEqual({ gatewaySubject: certs.client.x509.subject });
    // The keep-alive connection, certificate and all, serves the next request too.
    expect((await app.request('/r')).status).toBe(200);
  });

  it('answers 502 Bad Gateway when the agent presents no certificate', async () => {
    const app = await gatewayWith(agentWith());
    const res = await app.request('/r');
    expect(res.status).toBe(502);
    expect(res.json).toEqual({ message: 'Bad Gateway' });
  });

  it('answers 502 Bad Gateway when the certificate is not one the backend trusts', async () => {
    const app = await gatewayWith(agentWith(certs.foreignClient));
    expect((await app.request('/r')).status).toBe(502);
  });

  it('answers 502 Bad Gateway without an agent (no certificate, backend CA not trusted)', async () => {
    const app = await gatewayWith();
    expect((await app.request('/r')).status).toBe(502);
  });
});
