/**
 * The pipeline against the same pieces mounted separately in the README's recommended order
 * (cors → ipFilter → clientCert → jwt → usagePlans → throttle → cache → proxy), on every
 * framework: for a matrix of requests both answer with the same status, headers that matter and
 * body. The client-certificate cases run over TLS, with and without a valid certificate.
 */

import { afterAll, beforeAll, expect, it } from 'vitest';
import type { GatewayMiddleware } from '../../src/core/middleware.js';
import { gateway } from '../../src/gateway.js';
import type { AuthorizerEvent } from '../../src/index.js';
import { PIPELINE_ORDER, type PipelineOptions } from '../../src/middleware/pipeline/index.js';
import { clientTls, makeTestCertificates, mutualTlsServer } from '../support/certificates.js';
import { describeEachFramework, type Framework } from '../support/frameworks.js';
import type { TestRequest, TestResponse } from '../support/http.js';
import { mint, randomSecret } from '../support/jwt.js';
import { type ManualClock, manualClock } from '../support/manual-clock.js';
import { allowAllBut } from '../support/policy.js';
import { startEchoUpstream, type Upstream } from '../support/upstream.js';

const ORIGIN = 'https://app.example.com';
const KEY = 'alice-key-0123456789abcdef';
const SECRET = randomSecret();
const certs = makeTestCertificates();

/** Mutual TLS, as API Gateway's custom domain: the client-certificate cases run on it. */
const MTLS = mutualTlsServer(certs);

let upstream: Upstream;
beforeAll(async () => {
  upstream = await startEchoUpstream();
});
afterAll(async () => {
  await upstream.close();
});

/** The response fields compared: everything a client acts on, minus what is per connection. */
const COMPARED = [
  'content-type',
  'access-control-allow-origin',
  'access-control-allow-credentials',
  'access-control-allow-methods',
  'access-control-allow-headers',
  'access-control-max-age',
  'access-control-expose-headers',
  'vary',
  'ratelimit',
  'ratelimit-policy',
  'retry-after',
  'cache-status',
  'age',
  'www-authenticate',
  'x-request-id',
];

function usagePlansOf(clock: ManualClock, quota = 1000) {
  return {
    plans: {
      free: {
        throttle: { rate: 100, burst: 100 },
        quota: { limit: quota, period: 'day' as const },
      },
    },
    keys: [{ id: 'alice', key: KEY, plan: 'free' }],
    clock,
  };
}

const keyed = (clock: ManualClock): PipelineOptions => ({
  cors: { origin: [ORIGIN], credentials: true },
  usagePlans: usagePlansOf(clock),
  throttle: { rate: 100, burst: 200, clock },
  cache: { ttl: 300, clock },
});

type Answer = ReturnType<typeof comparable>;

interface Case {
  readonly name: string;
  /** The statuses both stacks answer, in order: the case tests what it says. */
  readonly statuses: readonly number[];
  /**
   * Where the pipeline answers otherwise by design: asserts the difference, then removes it so
   * that the rest still compares.
   */
  readonly differs?: (apart: Answer[], piped: Answer[]) => void;
  readonly options: (clock: ManualClock) => PipelineOptions;
  readonly requests: ReadonlyArray<{ path?: string; init?: TestRequest; advance?: number }>;
  /** Served over mutual TLS (`MTLS`); each request's `init.tls` is the client's side. */
  readonly tls?: boolean;
}

const withKey = (key = KEY, extra: Record<string, string> = {}) => ({
  headers: { origin: ORIGIN, 'x-api-key': key, ...extra },
});
const token = mint('HS256', SECRET, { sub: 'carol' });

/** A keyed request over TLS that trusts the test CA and presents `pair` when given. */
const withCert = (pair?: { cert: Buffer; key: Buffer }) => ({
  ...withKey(),
  tls: clientTls(certs, pair),
});

const CASES: Case[] = [
  {
    name: 'no key',
    statuses: [403],
    options: keyed,
    requests: [{ init: { headers: { origin: ORIGIN } } }],
  },
  {
    name: 'bad key',
    statuses: [403],
    options: keyed,
    requests: [{ init: withKey('not-a-key-0123456789') }],
  },
  {
    name: 'cache miss then hit',
    statuses: [200, 200],
    options: keyed,
    requests: [{ init: withKey() }, { init: withKey(), advance: 5000 }],
  },
  {
    name: 'stage throttle refuses',
    statuses: [200, 429],
    options: (clock) => ({ ...keyed(clock), throttle: { rate: 1, burst: 1, clock } }),
    requests: [
      { path: '/r?a', init: withKey() },
      { path: '/r?b', init: withKey() },
    ],
    // Apart, usage plans charged the plan before the stage throttle refused: its 429 reports
    // the plan's items too. In the pipeline the refused request was never charged to the plan.
    differs: (apart, piped) => {
      expect(labels(apart[1]!)).toEqual(['free', 'free-quota', 'throttle']);
      expect(labels(piped[1]!)).toEqual(['throttle']);
      dropRateLimit(apart[1]!, piped[1]!);
    },
  },
  {
    name: 'quota exhausted',
    statuses: [200, 429],
    options: (clock) => ({ ...keyed(clock), usagePlans: usagePlansOf(clock, 1) }),
    requests: [
      { path: '/r?a', init: withKey() },
      { path: '/r?b', init: withKey() },
    ],
    // In the pipeline the stage throttle runs before the quota (API Gateway's order), so the
    // quota's 429 reports the stage throttle's item as well.
    differs: (apart, piped) => {
      expect(labels(apart[1]!)).toEqual(['free', 'free-quota']);
      expect(labels(piped[1]!)).toEqual(['free', 'free-quota', 'throttle']);
      dropRateLimit(apart[1]!, piped[1]!);
    },
  },
  {
    name: 'preflight',
    statuses: [204],
    options: keyed,
    requests: [
      {
        init: {
          method: 'OPTIONS',
          headers: { origin: ORIGIN, 'access-control-request-method': 'PUT' },
        },
      },
    ],
  },
  {
    name: 'proxied',
    statuses: [200, 403],
    options: (clock) => ({ ...keyed(clock), cache: undefined, proxy: upstream.url }),
    requests: [
      { path: '/p', init: withKey() },
      { path: '/p', init: { headers: { origin: ORIGIN } } },
    ],
  },
  {
    name: 'jwt missing, invalid, valid',
    statuses: [401, 401, 200],
    options: (clock) => ({ ...keyed(clock), jwt: { secret: SECRET, algorithms: ['HS256'] } }),
    requests: [
      { init: withKey() },
      { path: '/r?bad', init: withKey(KEY, { authorization: `Bearer ${token}x` }) },
      { path: '/r?good', init: withKey(KEY, { authorization: `Bearer ${token}` }) },
    ],
  },
  {
    name: 'clientCert: none, expired, another CA, valid (then a cache hit)',
    statuses: [403, 403, 403, 200, 200],
    tls: true,
    options: (clock) => ({ ...keyed(clock), clientCert: {} }),
    requests: [
      { init: withCert() },
      { init: withCert(certs.expiredClient) },
      { init: withCert(certs.foreignClient) },
      { init: withCert(certs.client) },
      { init: withCert(certs.client), advance: 5000 },
    ],
  },
  {
    name: 'clientCert allow list: another subject refused, the listed one admitted',
    statuses: [403, 200],
    tls: true,
    options: (clock) => ({
      ...keyed(clock),
      clientCert: { allow: [{ subject: 'C=NO,O=Example Corp,OU=Payments,CN=client.example.com' }] },
    }),
    requests: [
      { path: '/r?other', init: withCert(certs.otherClient) },
      { path: '/r?listed', init: withCert(certs.client) },
    ],
  },
  {
    name: 'clientCert refuses before usage plans charge the quota',
    statuses: [403, 200, 429],
    tls: true,
    // A quota of one request: had the refused request been charged, the admitted one would be 429.
    options: (clock) => ({ ...keyed(clock), usagePlans: usagePlansOf(clock, 1), clientCert: {} }),
    requests: [
      { path: '/r?a', init: withCert() },
      { path: '/r?b', init: withCert(certs.client) },
      { path: '/r?c', init: withCert(certs.client) },
    ],
    // The quota's 429, as in 'quota exhausted': the pipeline's lists the stage throttle's item too.
    differs: (apart, piped) => {
      expect(labels(apart[2]!)).toEqual(['free', 'free-quota']);
      expect(labels(piped[2]!)).toEqual(['free', 'free-quota', 'throttle']);
      dropRateLimit(apart[2]!, piped[2]!);
    },
  },
  {
    name: 'resource policy: a denied user agent refused before the key is checked, another admitted',
    statuses: [403, 200],
    options: (clock) => ({
      ...keyed(clock),
      resourcePolicy: {
        policy: allowAllBut({
          Resource: 'execute-api:/*/GET/r',
          Condition: { StringEquals: { 'aws:UserAgent': 'blocked-agent' } },
        }),
      },
    }),
    requests: [
      { path: '/r?a', init: { headers: { origin: ORIGIN, 'user-agent': 'blocked-agent' } } },
      { path: '/r?b', init: withKey(KEY, { 'user-agent': 'fine-agent' }) },
    ],
  },
  {
    name: 'authorizer: denied, then allowed with its context',
    statuses: [403, 200],
    options: (clock) => ({
      ...keyed(clock),
      authorizer: {
        fn: (event: AuthorizerEvent) => {
          const team = 'headers' in event ? event.headers?.['x-team'] : undefined;
          return {
            principalId: 'dave',
            policyDocument: {
              Version: '2012-10-17',
              Statement: [
                {
                  Effect: team === 'red' ? ('Allow' as const) : ('Deny' as const),
                  Action: 'execute-api:Invoke',
                  Resource: '*',
                },
              ],
            },
            context: { team: team ?? '' },
          };
        },
        type: 'REQUEST',
        identitySource: ['header:x-team'],
      },
    }),
    requests: [
      { path: '/r?a', init: withKey(KEY, { 'x-team': 'blue' }) },
      { path: '/r?b', init: withKey(KEY, { 'x-team': 'red' }) },
    ],
  },
  {
    name: 'ipFilter denied',
    statuses: [403],
    options: (clock) => ({ ...keyed(clock), ipFilter: { allow: ['10.0.0.0/8'] } }),
    requests: [{ init: withKey() }],
  },
];

/** The pieces `options` names, each built by its own factory, in the pipeline's order. */
function separately(options: PipelineOptions): GatewayMiddleware[] {
  const factories = gateway as unknown as Record<string, (value: unknown) => GatewayMiddleware>;
  return PIPELINE_ORDER.filter((name) => options[name] !== undefined).map((name) => {
    // The two pieces whose factory takes a first argument of its own besides the options.
    if (name === 'resourcePolicy') {
      const { policy, ...rest } = options.resourcePolicy as { policy: unknown };
      return gateway.resourcePolicy(policy as never, rest);
    }
    if (name === 'authorizer') {
      const { fn, ...rest } = options.authorizer as { fn: unknown };
      return gateway.authorizer(fn as never, rest);
    }
    return factories[name]!(options[name]);
  });
}

async function run(fw: Framework, use: GatewayMiddleware[], c: Case, clock: ManualClock) {
  let calls = 0;
  const app = await fw.start({
    use,
    ...(c.tls === true ? { tls: MTLS } : {}),
    routes: [
      { method: 'GET', path: '/r', reply: (gw) => ({ body: { calls: ++calls, gw: seen(gw) } }) },
    ],
  });
  const port = new URL(app.url).port;
  const answers: Answer[] = [];
  for (const step of c.requests) {
    clock.advance(step.advance ?? 0);
    const init = step.init ?? {};
    // A fixed request id, so that echoed ids (headers, proxied bodies) compare.
    const headers = { 'x-request-id': 'fixed-request-id', ...init.headers };
    answers.push(comparable(await app.request(step.path ?? '/r', { ...init, headers }), port));
  }
  return answers;
}

/** What the route saw of the context (the request id aside, which is random without a header). */
function seen(gw: unknown) {
  const { apiKey, principal, clientCert, cache, throttle } = gw as Record<string, unknown>;
  return { apiKey, principal, clientCert, cache, throttle };
}

/**
 * RateLimit lists compared as sets: in the pipeline the stage throttle's item comes before the
 * plan's, since the plan is charged after the stage throttle admitted the request.
 */
const LISTS = new Set(['ratelimit', 'ratelimit-policy']);

/** The policy labels of an answer's RateLimit field, sorted. */
function labels(answer: Answer): string[] {
  const items = (answer.headers.ratelimit ?? []) as string[];
  return items.map((item) => item.slice(1, item.indexOf('"', 1))).sort();
}

function dropRateLimit(...answers: Answer[]): void {
  for (const answer of answers) {
    delete answer.headers.ratelimit;
    delete answer.headers['ratelimit-policy'];
  }
}

/** A proxied echo names the app's port and a fresh trace id: neither tells the stacks apart. */
function normalised(body: string, port: string): string {
  return body.replaceAll(port, 'PORT').replace(/"traceparent":"[^"]*"/, '"traceparent":"…"');
}

function comparable(res: TestResponse, port: string) {
  const headers: Record<string, unknown> = {};
  for (const name of COMPARED) {
    const value = res.headers[name];
    headers[name] = LISTS.has(name) && typeof value === 'string' ? value.split(', ').sort() : value;
  }
  return { status: res.status, headers, body: normalised(res.body, port) };
}

describeEachFramework('pipeline() and the pieces mounted apart', (fw) => {
  for (const c of CASES) {
    it(`answer alike: ${c.name}`, async () => {
      const apartClock = manualClock();
      const apart = await run(fw, separately(c.options(apartClock)), c, apartClock);
      const pipeClock = manualClock();
      const piped = await run(fw, [gateway.pipeline(c.options(pipeClock))], c, pipeClock);
      expect(piped.map((answer) => answer.status)).toEqual(c.statuses);
      c.differs?.(apart, piped);
      expect(piped).toEqual(apart);
    });
  }
});
