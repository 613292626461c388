/**
 * One app instance for the multi-process tests: Express with a global throttle and a usage-plan
 * quota, both on a redisStore shared with the other instances. Prints `{"port":N}` when ready.
 */

import express from 'express';
import { Redis } from 'ioredis';
import { throttle } from '../../src/middleware/throttle/index.js';
import { usagePlans } from '../../src/middleware/usage-plans/index.js';
import { redisStore } from '../../src/redis.js';

const client = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
// A generous timeout: this test is about exactness under contention, not about a slow Redis.
const store = redisStore({
  client,
  prefix: process.env.PREFIX ?? 'portcullis-test:',
  timeoutMs: 5000,
});
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
app.get(['/throttled', '/quota'], (_req, res) => {
  res.send('ok');
});
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
