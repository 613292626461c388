/**
 * The exactness specs of several app processes sharing one Redis (or Valkey, or a Redis Cluster):
 * three instances of `instance.ts`, each with a CPU-hog neighbour on its event loop, and bursts of
 * concurrent requests spread over them that must admit exactly the shared budget.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { request } from '../support/http.js';

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

/**
 * The exactness specs on three instances started with `env()`; `repeated: false` leaves out the
 * five rounds in a row (where one server was already run through them, to keep the suite short).
 */
export function exactAcrossInstances(
  env: () => Record<string, string>,
  { repeated = true }: { repeated?: boolean } = {},
) {
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

  it.runIf(repeated)(
    `stays exact ${ROUNDS} rounds in a row: ${ROUND_REQUESTS} concurrent requests to a fresh bucket (20) and ${ROUND_REQUESTS} to a fresh key's quota (15) at once`,
    async () => {
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
    },
    60_000,
  );
}
