/**
 * `usagePlans()` with its quota in Postgres through rate-limiter-flexible: two app instances, each
 * with keys and buckets of its own, share the quota counters of one database and admit exactly
 * the quota of 200 concurrent requests. Skipped locally without Postgres binaries.
 */

import type { Server } from 'node:http';
import express from 'express';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { usagePlans } from '../../src/middleware/usage-plans/index.js';
import { rateLimiterFlexibleQuota } from '../../src/rate-limiter-flexible.js';
import { memoryStore } from '../../src/stores/memory/index.js';
import { request } from '../support/http.js';
import { postgresLimiter, startOwnPostgres } from '../support/postgres-server.js';

const server = await startOwnPostgres();
const API_KEY = 'rlf-quota-key-0123456789-abcdefghij';

describe.skipIf(server === undefined)(
  'usagePlans() with a rateLimiterFlexibleQuota() store',
  () => {
    const pools: pg.Pool[] = [];
    const servers: Server[] = [];
    const urls: string[] = [];
    const middlewares: ReturnType<typeof usagePlans>[] = [];

    /** One app instance: a pool, a limiter and a memory store of its own; the database shared. */
    async function instance(): Promise<void> {
      const pool = new pg.Pool({ connectionString: server!.connectionString, max: 10 });
      pools.push(pool);
      const limiter = await postgresLimiter(pool, 'quota', 'app');
      const plans = usagePlans({
        plans: { tiny: { quota: { limit: 15, period: 'day' } } },
        keys: [{ id: 'shared-key', key: API_KEY, plan: 'tiny' }],
        store: memoryStore(),
        quotaStore: rateLimiterFlexibleQuota({ limiter }),
      });
      middlewares.push(plans);
      const app = express();
      app.use(plans);
      app.get('/quota', (_req, res) => {
        res.send('ok');
      });
      const listening = app.listen(0, '127.0.0.1');
      await new Promise((resolve) => listening.once('listening', resolve));
      servers.push(listening);
      urls.push(`http://127.0.0.1:${(listening.address() as { port: number }).port}`);
    }

    beforeAll(async () => {
      await instance();
      await instance();
    });

    afterAll(async () => {
      for (const s of servers) s.close();
      for (const p of pools) await p.end();
      await server?.stop();
    });

    it('admits exactly the quota (15) of 200 concurrent requests through two instances', async () => {
      const headers = { 'x-api-key': API_KEY };
      const responses = await Promise.all(
        Array.from({ length: 200 }, (_, i) => request(urls[i % 2]!, '/quota', { headers })),
      );
      const byStatus: Record<number, number> = {};
      for (const { status } of responses) byStatus[status] = (byStatus[status] ?? 0) + 1;
      expect(byStatus).toEqual({ 200: 15, 429: 185 });

      const refused = responses.find((r) => r.status === 429)!;
      expect(refused.json).toEqual({ message: 'Limit Exceeded' });
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
      // Both instances read the same day's usage: the 15 admitted, none of the refused.
      const usage = await middlewares[1]!.usage('shared-key');
      expect(Object.values(usage.items)).toEqual([[[15, 0]]]);
    });
  },
);
