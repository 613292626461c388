/**
 * `redisStore()` on a real Redis Cluster of the test's own: three masters with a replica each,
 * started once for this file. The store contracts hold on a Cluster client (each script runs on
 * one slot: its keys share a hash tag), and when the master that owns a hot key dies mid-run,
 * requests wait for its replica to take over or are refused (503), and the counts go on exactly
 * from where they were (nothing counted twice, nothing answered 503 counted).
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

/**
 * The serialized value of `key` on the node at `port` (a replica answers with READONLY), or null:
 * compared between a master and its replica to know the replica holds the very count.
 */
async function dumpOf(port: number, key: string): Promise<string | null> {
  const node = new Redis({ port, host: '127.0.0.1' });
  try {
    await node.call('READONLY');
    return (await node.dumpBuffer(key))?.toString('hex') ?? null;
  } finally {
    node.disconnect();
  }
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
    cluster = await startCluster({ masters: 3, replicasPerMaster: 1 });
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
    let plans: ReturnType<typeof usagePlans>;

    beforeAll(async () => {
      const store = redisStore({ client, prefix: 'failover:', onStateChange: () => undefined });
      const app = express();
      plans = usagePlans({
        plans: { metered: { quota: { limit: QUOTA, period: 'day' } } },
        keys: [KEY],
        store,
      });
      app.use('/api', plans);
      app.get('/api', (_req, res) => {
        res.send('ok');
      });
      served = await serve(app);
    });

    afterAll(() => served?.close());

    /** Requests the quota counted in Redis today (what `usage()` reports). */
    const countedToday = async () => (await plans.usage(KEY.id)).items[KEY.id]!.at(-1)![0];

    const get = async () =>
      (await request(served.url, '/api', { headers: { 'x-api-key': KEY.key } })).status;

    it('counts exactly through the failover: a request meanwhile waits for the new master or is refused (503), never counted twice', async () => {
      const statuses: number[] = [];
      for (let i = 0; i < 20; i++) statuses.push(await get());
      expect(statuses).toEqual(Array(20).fill(200));

      // The quota counter of the key: the hot key whose master is killed.
      const master = await cluster.masterOf('failover:q:{usage-plans:q:hot}');
      const replica = await replicaOf(master);
      // Replication is asynchronous: let the replica catch up, so this test is about the store.
      const sent = await replicationOffset(master);
      await expect
        .poll(() => replicationOffset(replica), { timeout: 10_000 })
        .toBeGreaterThanOrEqual(sent);
      // And the replica holds the counter itself (a replica still in its first full sync can
      // report an offset before it has the data; seen once on a loaded machine: 20 lost counts).
      const hotKey = 'failover:q:{usage-plans:q:hot}';
      const counted = await dumpOf(master, hotKey);
      expect(counted).not.toBeNull();
      await expect.poll(() => dumpOf(replica, hotKey), { timeout: 10_000 }).toBe(counted);
      await cluster.kill(master);

      // Requests keep coming while the replica is promoted: each waits for it (ioredis retries
      // on the new master within the call's deadline) or fails and is answered 503.
      const during = await Promise.all(Array.from({ length: 10 }, get));
      statuses.push(...during);
      await cluster.waitHealthy('failover:q:{usage-plans:q:hot}');
      const polled = async () => {
        const status = await get();
        statuses.push(status);
        return status;
      };
      await expect.poll(polled, { timeout: 20_000, interval: 200 }).not.toBe(503);

      const burst = await Promise.all(Array.from({ length: 100 }, get));
      statuses.push(...burst);
      expect(statuses.filter((status) => status === 200)).toHaveLength(QUOTA);
      expect(statuses.filter((status) => ![200, 429, 503].includes(status))).toEqual([]);
      statuses.push(await get());
      expect(statuses.at(-1)).toBe(429);
      expect(await countedToday()).toBe(QUOTA);
    }, 40_000);
  });
});
