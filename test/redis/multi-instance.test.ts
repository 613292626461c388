/**
 * Several app processes sharing one Redis, or one three-master Redis Cluster, admit exactly what
 * one process would, with Redis healthy and every process's event loop kept busy by a neighbour
 * (80 ms of every 100 ms): 300 concurrent requests spread over three instances against
 * `burst: 20` admit 20 and against a quota of 15 admit 15, with no 503; and so do five rounds in
 * a row of smaller bursts, each on a fresh bucket and quota (store options at their defaults).
 */

import { afterAll, beforeAll, describe } from 'vitest';
import { connectRedis, deleteByPrefix, REDIS_URL, uniquePrefix } from '../support/redis.js';
import { canStartCluster, type OwnCluster, startCluster } from '../support/redis-cluster.js';
import { exactAcrossInstances } from './exact-across-instances.js';

const client = await connectRedis();
const clusterAvailable = canStartCluster();

describe.skipIf(client === undefined)('redisStore() across busy app processes, one Redis', () => {
  const prefix = uniquePrefix('multi');
  afterAll(async () => {
    if (client === undefined) return;
    await deleteByPrefix(client, prefix);
    client.disconnect();
  });
  exactAcrossInstances(() => ({ REDIS_URL, PREFIX: prefix }));
});

describe.skipIf(!clusterAvailable)(
  'redisStore() across busy app processes, a three-master Redis Cluster',
  () => {
    let cluster: OwnCluster;
    beforeAll(async () => {
      cluster = await startCluster();
    }, 30_000);
    afterAll(async () => {
      await cluster?.stop();
    });
    exactAcrossInstances(() => ({ CLUSTER_PORTS: cluster.ports.join(','), PREFIX: 'multi:' }));
  },
);
