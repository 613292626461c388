/**
 * One app instance for the multi-process tests: Express with a global throttle and a usage-plan
 * quota, both on a redisStore (default options) shared with the other instances; and, for the
 * repeated rounds, a bucket per round (`/rounds/throttled?round=N`) and a key per round
 * (`API_KEY` + `-N`, on `/rounds/quota`) with a quota of 15 each. On REDIS_URL, or
 * on a Redis Cluster when CLUSTER_PORTS lists its nodes. With HOG=1 a neighbour in the same
 * process burns 80 ms of every 100 ms of the event loop. Prints `{"port":N}` when ready.
 */

import { once } from 'node:events';
import express from 'express';
import { Cluster, Redis } from 'ioredis';
import { throttle } from '../../src/middleware/throttle/index.js';
import { usagePlans } from '../../src/middleware/usage-plans/index.js';
import { redisStore } from '../../src/redis.js';

/** Rounds the tests may run, each on a bucket and a key of its own. */
const ROUNDS = 5;
const clusterPorts = process.env.CLUSTER_PORTS?.split(',').map(Number);
const client =
  clusterPorts === undefined
    ? new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379')
    : new Cluster(clusterPorts.map((port) => ({ host: '127.0.0.1', port })));
await once(client, 'ready');
const store = redisStore({ client, prefix: process.env.PREFIX ?? 'portcullis-test:' });
const app = express();
app.use('/throttled', throttle({ rate: 0.001, burst: 20, key: 'global', store }));
app.use(
  '/quota',
  usagePlans({
    plans: { tiny: { quota: { limit: 15, period: 'day' } } },
    keys: [{ id: 'shared-key', key: process.env.API_KEY ?? 'k'.repeat(40), plan: 'tiny' }],
    store,
  }),
);
app.use(
  '/rounds/throttled',
  throttle({ rate: 0.001, burst: 20, key: (req) => `round-${req.query.round}`, store }),
);
app.use(
  '/rounds/quota',
  usagePlans({
    plans: { tiny: { quota: { limit: 15, period: 'day' } } },
    keys: Array.from({ length: ROUNDS }, (_, round) => ({
      id: `round-key-${round}`,
      key: `${process.env.API_KEY ?? 'k'.repeat(40)}-${round}`,
      plan: 'tiny',
    })),
    store,
  }),
);
app.get(['/throttled', '/quota', '/rounds/throttled', '/rounds/quota'], (_req, res) => {
  res.send('ok');
});

if (process.env.HOG === '1') {
  // A CPU-heavy neighbour: 80 ms busy out of every 100 ms, on this process's event loop.
  setInterval(() => {
    const until = performance.now() + 80;
    while (performance.now() < until);
  }, 100);
}

const server = app.listen(0, '127.0.0.1', () => {
  process.stdout.write(
    `${JSON.stringify({ port: (server.address() as { port: number }).port })}\n`,
  );
});
process.on('SIGTERM', () => {
  server.close();
  client.disconnect();
  process.exit(0);
});
