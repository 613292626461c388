/**
 * Several app processes sharing one Redis, or one three-master Redis Cluster, admit exactly what
 * one process would, with Redis healthy and every process's event loop kept busy by a neighbour
 * (80 ms of every 100 ms): 300 concurrent requests spread over three instances against
 * `burst: 20` admit 20 and against a quota of 15 admit 15, with no 503; and so do five rounds in
 * a row of smaller bursts, each on a fresh bucket and quota (store options at their defaults).
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from '../support/http.js';
import { connectRedis, deleteByPrefix, REDIS_URL, uniquePrefix } from '../support/redis.js';
import { canStartCluster, type OwnCluster, startCluster } from '../support/redis-cluster.js';

const client = await connectRedis();
const clusterAvailable = canStartCluster();
const INSTANCES = 3;
const REQUESTS = 300;
const API_KEY = 'multi-instance-key-0123456789-abcdefghij';
/** Rounds in a row that must all be exact (the "5 times in a row"), and their size. */
const ROUNDS = 5;
const ROUND_REQUESTS = 60;

/** Starts one app instance (test/redis/instance.ts) and resolves its base URL. */
async function startInstance(env: Record<string, string>, children: ChildProcess[]) {
  const script = resolve(import.meta.dirname, 'instance.ts');
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    env: { ...process.env, ...env, API_KEY, HOG: '1' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  const port = await new Promise<number>((resolvePort, reject) => {
    child.stdout!.once('data', (chunk: Buffer) => resolvePort(JSON.parse(chunk.toString()).port));
    child.once('exit', (code) => reject(new Error(`instance exited with ${code}`)));
  });
  return `http://127.0.0.1:${port}`;
}

/** The exactness specs on three instances started with `env()`. */
function exactAcrossInstances(env: () => Record<string, string>) {
  const children: ChildProcess[] = [];
  const urls: string[] = [];

  beforeAll(async () => {
    const shared = env();
    const started = [];
    for (let i = 0; i < INSTANCES; i++) started.push(startInstance(shared, children));
    urls.push(...(await Promise.all(started)));
  }, 60_000);

  afterAll(() => {
    for (const child of children) child.kill('SIGTERM');
  });

  /** Fires `count` requests at once, round-robin over the instances; returns the status counts. */
  async function burst(path: string, count: number, headers: Record<string, string> = {}) {
    const responses = await Promise.all(
      Array.from({ length: count }, (_, i) => request(urls[i % urls.length]!, path, { headers })),
    );
    const byStatus: Record<number, number> = {};
    for (const { status } of responses) byStatus[status] = (byStatus[status] ?? 0) + 1;
    return byStatus;
  }

  it('admits exactly burst (20) of 300 concurrent requests through three busy processes', async () => {
    expect(await burst('/throttled', REQUESTS)).toEqual({ 200: 20, 429: 280 });
  }, 30_000);

  it('admits exactly the quota (15) of 300 concurrent requests through three busy processes', async () => {
    expect(await burst('/quota', REQUESTS, { 'x-api-key': API_KEY })).toEqual({
      200: 15,
      429: 285,
    });
  }, 30_000);

  it(`stays exact ${ROUNDS} rounds in a row: ${ROUND_REQUESTS} concurrent requests to a fresh bucket (20) and ${ROUND_REQUESTS} to a fresh key's quota (15) at once`, async () => {
    const rounds = [];
    for (let round = 0; round < ROUNDS; round++) {
      const [throttled, quota] = await Promise.all([
        burst(`/rounds/throttled?round=${round}`, ROUND_REQUESTS),
        burst('/rounds/quota', ROUND_REQUESTS, { 'x-api-key': `${API_KEY}-${round}` }),
      ]);
      rounds.push({ throttled, quota });
    }
    expect(rounds).toEqual(
      Array(ROUNDS).fill({
        throttled: { 200: 20, 429: ROUND_REQUESTS - 20 },
        quota: { 200: 15, 429: ROUND_REQUESTS - 15 },
      }),
    );
  }, 60_000);
}

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
      cluster = await startCluster(3);
    }, 30_000);
    afterAll(async () => {
      await cluster?.stop();
    });
    exactAcrossInstances(() => ({ CLUSTER_PORTS: cluster.ports.join(','), PREFIX: 'multi:' }));
  },
);
