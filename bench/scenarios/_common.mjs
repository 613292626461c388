/** What every scenario shares: the one listening helper, the response body, and the configurations under test. */

import http from 'node:http';

/** The JSON every handler answers, identical in every scenario so only the middleware differs. */
export const BODY = { message: 'hello', items: [1, 2, 3] };

/** The cross-origin caller; every CORS contestant allows exactly this origin. */
export const ORIGIN = 'https://app.example.com';

/** The API key of the usage-plan cases (sent by the load generator in `x-api-key`). */
export const API_KEY = 'bench0123456789abcdef0123456789abcdef0123';

/**
 * The authorizer of the authorizer cases, as a real Lambda authorizer is written: it knows the
 * bench's key (sent in `x-api-key`, so every GET case still sends the same bytes) and allows
 * every method and path of the API, building the `Resource` from `event.methodArn`. Its answer
 * is cached (300 s): the cases measure a cache hit, whose policy is evaluated per request.
 */
export const AUTHORIZER = [
  (event) => {
    if (event.headers['x-api-key'] !== API_KEY) throw new Error('Unauthorized');
    const [arn, stage] = event.methodArn.split('/');
    return {
      principalId: 'bench',
      policyDocument: {
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Action: 'execute-api:Invoke', Resource: `${arn}/${stage}/*` },
        ],
      },
      context: { plan: 'pro' },
    };
  },
  { identitySource: 'header:x-api-key' },
];

/** A throttle that never triggers during a run: the measured cost is the bookkeeping alone. */
export const NEVER_THROTTLE = { rate: 1_000_000, burst: 1_000_000 };

/** One plan with a throttle and a quota that never run out during a run. */
export const USAGE_PLANS = {
  plans: {
    pro: { throttle: NEVER_THROTTLE, quota: { limit: 1_000_000_000, period: 'day' } },
  },
  keys: [{ id: 'bench', key: API_KEY, plan: 'pro' }],
};

/**
 * The TTL of the gateway's cache cases: an hour (the largest `maxTtl` allows). Under callgrind on
 * a busy machine a run of the instructions probe outlasted 300 s, and the entry expired inside
 * the counted window: a miss, the 5 ms handler and re-optimisation were counted as hits (Koa
 * cache hit: JIT 31k–66k instead of 2.6k instructions per request).
 */
export const CACHE_TTL = 3600;

/**
 * The cache for the cases without usage plans. Every GET case is sent the same `x-api-key`;
 * with no usage plans to check it, the cache would pass such requests by (`apiKeyHeader`), so
 * these apps say they have no API keys, as apicache's (which never looks at the header) has not.
 */
export const CACHE_WITHOUT_KEYS = { ttl: CACHE_TTL, apiKeyHeader: false };

/** The route that a cache is meant to save: it takes 5 ms. */
export const SLOW_MS = 5;

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** The upstream URL of the proxy cases, given by the runner. */
export function upstream() {
  const url = process.env.BENCH_UPSTREAM;
  if (!url)
    throw new Error(
      'BENCH_UPSTREAM is not set: proxy scenarios need the upstream the runner starts',
    );
  return url;
}

/**
 * Serves `handler` on an ephemeral port of 127.0.0.1 and tells the runner which, on stdout, as
 * `READY <port>`. Keep-alive is long so that idle gaps between runs do not close connections mid-run.
 */
export function serve(handler) {
  const server = http.createServer({ keepAliveTimeout: 65_000 }, handler);
  server.listen(0, '127.0.0.1', () => {
    process.stdout.write(`READY ${server.address().port}\n`);
  });
  process.on('SIGTERM', () => process.exit(0));
  return server;
}

/**
 * `serve`, but `READY <port>` only once `prepare(port)` resolved: the scale cases fill their
 * stores (10,000 to 1,000,000 entries) before the runner may send anything.
 */
export function serveAfter(handler, prepare) {
  const server = http.createServer({ keepAliveTimeout: 65_000 }, handler);
  server.listen(0, '127.0.0.1', async () => {
    const { port } = server.address();
    const started = Date.now();
    await prepare(port);
    process.stderr.write(`prepared in ${Date.now() - started} ms\n`);
    process.stdout.write(`READY ${port}\n`);
  });
  process.on('SIGTERM', () => process.exit(0));
  return server;
}

/** The number a scale case takes as its first argument (`10000`, `1e6`). */
export function countArgument(fallback) {
  const raw = process.argv[2];
  const count = raw === undefined ? fallback : Number(raw);
  if (!Number.isInteger(count) || count < 1) throw new Error(`not a count: ${raw}`);
  return count;
}

/**
 * Sends `count` GET requests to `pathOf(i)` (i from 0), `concurrency` at a time on keep-alive
 * connections, and waits for every answer: how the peers' caches are filled, through their own
 * middleware.
 */
export async function fillOverHttp(port, count, pathOf, concurrency = 32) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  let next = 0;
  const one = (path) =>
    new Promise((resolve, reject) => {
      http
        .get({ host: '127.0.0.1', port, path, agent }, (res) => {
          res.resume();
          res.on('end', resolve);
        })
        .on('error', reject);
    });
  const worker = async () => {
    while (next < count) await one(pathOf(next++));
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  agent.destroy();
}

/**
 * The whole front door of the full-stack and pipeline cases: cors + usage plans + throttle + a
 * cache (an hour, see `CACHE_TTL`), as `gateway.pipeline()` takes it.
 */
export const FRONT_DOOR = {
  cors: { origin: [ORIGIN] },
  usagePlans: USAGE_PLANS,
  throttle: NEVER_THROTTLE,
  cache: CACHE_TTL,
};
