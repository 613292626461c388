/**
 * Several app processes sharing one Redis admit exactly what one process would: 200 concurrent
 * requests spread over three instances against `burst: 20` admit 20, and against a quota of 15
 * admit 15.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from '../support/http.js';
import { connectRedis, deleteByPrefix, REDIS_URL, uniquePrefix } from '../support/redis.js';

const client = await connectRedis();
const INSTANCES = 3;
const API_KEY = 'multi-instance-key-0123456789-abcdefghij';

describe.skipIf(client === undefined)('redisStore() across app processes', () => {
  const prefix = uniquePrefix('multi');
  const children: ChildProcess[] = [];
  const urls: string[] = [];

  beforeAll(async () => {
    const script = resolve(import.meta.dirname, 'instance.ts');
    for (let i = 0; i < INSTANCES; i++) {
      const child = spawn(process.execPath, ['--import', 'tsx', script], {
        env: { ...process.env, REDIS_URL, PREFIX: prefix, API_KEY },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      children.push(child);
      const port = await new Promise<number>((resolvePort, reject) => {
        child.stdout!.once('data', (chunk: Buffer) =>
          resolvePort(JSON.parse(chunk.toString()).port),
        );
        child.once('exit', (code) => reject(new Error(`instance exited with ${code}`)));
      });
      urls.push(`http://127.0.0.1:${port}`);
    }
  }, 60_000);

  afterAll(async () => {
    for (const child of children) child.kill('SIGTERM');
    if (client !== undefined) {
      await deleteByPrefix(client, prefix);
      client.disconnect();
    }
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

  it('admits exactly burst (20) of 200 concurrent requests through three processes', async () => {
    expect(await burst('/throttled', 200)).toEqual({ 200: 20, 429: 180 });
  });

  it('admits exactly the quota (15) of 200 concurrent requests through three processes', async () => {
    expect(await burst('/quota', 200, { 'x-api-key': API_KEY })).toEqual({ 200: 15, 429: 185 });
  });
});
