/**
 * `redisStore()` on a real Redis Cluster of the test's own: three masters with a replica each,
 * started once for this file. The store contracts hold on a Cluster client (each script runs on
 * one slot: its keys share a hash tag), and when the master that owns a hot key dies mid-run,
 * requests are refused (503) until its replica takes over, then the counts go on exactly from
 * where they were (nothing counted twice, nothing answered 503 counted).
 */

import express from 'express';
import type { Cluster } from 'ioredis';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { usagePlans } from '../../src/middleware/usage-plans/index.js';
import { redisStore } from '../../src/redis.js';
import { runKeyStoreContract } from '../contracts/key-store.contract.js';
import { runQuotaStoreContract } from '../contracts/quota-store.contract.js';
import { runRateStoreContract } from '../contracts/rate-store.contract.js';
import { request } from '../support/http.js';
import { canStartCluster, type OwnCluster, startCluster } from '../support/redis-cluster.js';
import { type Served, serve } from './serve.js';

const available = canStartCluster();
const KEY = { id: 'hot', key: 'hot-key-on-a-cluster-0123456789-abcdefgh', plan: 'metered' };
const QUOTA = 60;

async function replicationInfo(port: number): Promise<string> {
  const node = new Redis({ port, host: '127.0.0.1' });
  try {
    return await node.info('replication');
  } finally {
    node.disconnect();
  }
}

/** The replication offset a node reports (master: what it sent; replica: what it applied). */
async function replicationOffset(port: number): Promise<number> {
  const info = await replicationInfo(port);
  return Number(/(?:slave_repl_offset|master_repl_offset):(\d+)/.exec(info)?.[1]);
}

/** The port of the master's replica. */
async function replicaOf(master: number): Promise<number> {
  return Number(/slave0:ip=[^,]+,port=(\d+)/.exec(await replicationInfo(master))?.[1]);
}

describe.skipIf(!available)('redisStore() on a three-master Redis Cluster', () => {
  let cluster: OwnCluster;
  let client: Cluster;
  let prefixes = 0;

  beforeAll(async () => {
    cluster = await startCluster(3, 1);
    client = cluster.client();
    client.on('error', () => undefined);
    await new Promise((resolve) => client.once('ready', resolve));
  }, 60_000);

  afterAll(async () => {
    client?.disconnect();
    await cluster?.stop();
  });

  const freshStore = () =>
    redisStore({ client, prefix: `contract${prefixes++}:`, onStateChange: () => undefined });

  runRateStoreContract('redis cluster', freshStore);
  runQuotaStoreContract('redis cluster', freshStore);
  runKeyStoreContract('redis cluster', freshStore);

  describe('when the master that owns a hot key fails over', () => {
    let served: Served;

    beforeAll(async () => {
      const store = redisStore({ client, prefix: 'failover:', onStateChange: () => undefined });
      const app = express();
      app.use(
        '/api',
        usagePlans({
          plans: { metered: { quota: { limit: QUOTA, period: 'day' } } },
          keys: [KEY],
          store,
        }),
      );
      app.get('/api', (_req, res) => {
        res.send('ok');
      });
      served = await serve(app);
    });

    afterAll(() => served?.close());

    const get = async () =>
      (await request(served.url, '/api', { headers: { 'x-api-key': KEY.key } })).status;

    it('refuses (503) while the slot has no master, then counts on exactly', async () => {
      const statuses: number[] = [];
      for (let i = 0; i < 20; i++) statuses.push(await get());
      expect(statuses).toEqual(Array(20).fill(200));

      // The quota counter of the key: the hot key whose master is killed.
      const master = await cluster.masterOf('failover:q:{usage-plans:q:hot}');
      const replica = await replicaOf(master);
      // Replication is asynchronous: let the replica catch up, so this test is about the store.
      const sent = await replicationOffset(master);
      await expect
        .poll(() => replicationOffset(replica), { timeout: 5000 })
        .toBeGreaterThanOrEqual(sent);
      await cluster.kill(master);

      // Requests keep coming while the replica is promoted.
      const started = Date.now();
      let recovered = false;
      while (!recovered && Date.now() - started < 20_000) {
        const status = await get();
        statuses.push(status);
        recovered = status === 200;
      }
      expect(statuses).toContain(503);
      expect(recovered).toBe(true);

      const burst = await Promise.all(Array.from({ length: 100 }, get));
      statuses.push(...burst);
      const admitted = statuses.filter((status) => status === 200).length;
      expect(admitted).toBe(QUOTA);
      expect(statuses.filter((status) => ![200, 429, 503].includes(status))).toEqual([]);
      const usage = await request(served.url, '/api', { headers: { 'x-api-key': KEY.key } });
      expect(usage.status).toBe(429);
    }, 40_000);
  });
});
