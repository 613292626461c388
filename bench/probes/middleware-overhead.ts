/**
 * Measures what `throttle()` and `usagePlans()` add per request, in process: the same Koa-shaped
 * call through a no-op portcullis middleware, through `throttle()` (memory store, a limit that
 * never triggers, 10,000 distinct client addresses) and through `usagePlans()` (one key on a plan
 * with a throttle and a daily quota that never run out), on real `IncomingMessage` /
 * `ServerResponse` objects. The differences are the middlewares' own cost. Not a test:
 *
 *   node --import tsx bench/probes/middleware-overhead.ts
 */

import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { createMiddleware } from '../../src/adapters/universal.js';
import type { GatewayMiddleware, KoaContextLike } from '../../src/core/middleware.js';
import { throttle } from '../../src/middleware/throttle/throttle.js';
import { usagePlans } from '../../src/middleware/usage-plans/usage-plans.js';

const ROUNDS = 5;
const PER_ROUND = 200_000;
const CLIENTS = 10_000;

const noop = createMiddleware('noop', (_ex, next) => next());
const throttled = throttle({ rate: 1_000_000, burst: 1_000_000 });
const API_KEY = 'bench0123456789abcdef0123456789abcdef0123';
const plans = usagePlans({
  plans: {
    pro: {
      throttle: { rate: 1_000_000, burst: 1_000_000 },
      quota: { limit: 1_000_000_000, period: 'day' },
    },
  },
  keys: [{ id: 'bench', key: API_KEY, plan: 'pro' }],
});
const next = () => Promise.resolve();

function context(i: number): KoaContextLike {
  const req = new IncomingMessage(new Socket());
  req.method = 'GET';
  req.url = '/hello';
  req.headers['x-api-key'] = API_KEY;
  const res = new ServerResponse(req);
  return {
    req,
    res,
    state: {},
    path: '/hello',
    originalUrl: '/hello',
    ip: `10.0.${(i >> 8) & 255}.${i & 255}`,
    status: 404,
    body: undefined,
  };
}

async function run(middleware: GatewayMiddleware): Promise<number> {
  const start = process.hrtime.bigint();
  for (let i = 0; i < PER_ROUND; i++) await middleware(context(i % CLIENTS), next);
  return Number(process.hrtime.bigint() - start) / PER_ROUND / 1000;
}

const contestants = { noop, throttle: throttled, usagePlans: plans };
const samples: Record<string, number[]> = { noop: [], throttle: [], usagePlans: [] };
for (const middleware of Object.values(contestants)) await run(middleware); // warm-up
for (let round = 0; round < ROUNDS; round++)
  for (const [name, middleware] of Object.entries(contestants))
    samples[name]!.push(await run(middleware));
const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const base = median(samples.noop!);
console.log(`no-op portcullis middleware: ${base.toFixed(2)} µs/request (includes the exchange)`);
for (const name of ['throttle', 'usagePlans']) {
  const cost = median(samples[name]!);
  console.log(
    `${`${name}():`.padEnd(28)} ${cost.toFixed(2)} µs/request, ${(cost - base).toFixed(2)} µs added`,
  );
}
