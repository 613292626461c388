/**
 * RSS of gateway.cache at its maxSize: an Express app in this process, filled through real HTTP
 * requests with distinct URLs until the cache has been full for a while, once with small and once
 * with large entries. Run with --expose-gc; prints one JSON line.
 */

import http from 'node:http';
import express from 'express';
import { gateway } from '../scenarios/_portcullis.mjs';
import { settle } from './_settle.mjs';

const quick = process.argv.includes('--quick');
const MAX_SIZE = (quick ? 4 : 32) * 1024 * 1024;
const CONCURRENCY = 32;

async function fill(label, bodyBytes) {
  const body = Buffer.alloc(bodyBytes, 'x');
  const cache = gateway.cache({ ttl: 300, maxSize: MAX_SIZE });
  const app = express();
  app.get('/item/:id', cache, (_req, res) => res.type('text/plain').send(body));
  const server = http.createServer(app);
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const get = (id) =>
    new Promise((resolve, reject) => {
      http
        .get(
          { host: '127.0.0.1', port: server.address().port, path: `/item/${id}`, agent },
          (res) => {
            if (res.statusCode !== 200)
              reject(new Error(`${label}: /item/${id} answered ${res.statusCode}`));
            res.resume();
            res.on('end', resolve);
          },
        )
        .on('error', reject);
    });

  const before = await settle();
  // 1.5× what fits, so the LRU has evicted for a while when we measure.
  const requests = Math.ceil((MAX_SIZE / (bodyBytes + 200)) * 1.5);
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < requests) await get(next++);
    }),
  );
  const after = await settle();
  const stats = typeof cache.stats === 'function' ? await cache.stats() : undefined;
  agent.destroy();
  await new Promise((resolve) => server.close(resolve));
  const rssMiB = (after.rss - before.rss) / 1048576;
  const heapMiB =
    (after.heapUsed - before.heapUsed + after.arrayBuffers - before.arrayBuffers) / 1048576;
  return {
    label,
    bodyBytes,
    maxSizeMiB: MAX_SIZE / 1048576,
    requests,
    rssGrowthMiB: Number(rssMiB.toFixed(1)),
    heapAndBuffersGrowthMiB: Number(heapMiB.toFixed(1)),
    stats: stats ?? null,
  };
}

const results = [await fill('small entries', 100), await fill('large entries', 64 * 1024)];
const summary = results.map((r) => {
  const entries = r.stats?.entries;
  const perEntry =
    entries > 0
      ? `, ${Math.round((r.heapAndBuffersGrowthMiB * 1048576) / entries)} B of heap + buffers per entry for ${entries.toLocaleString('en')} entries holding ${r.stats.storedBytes.toLocaleString('en')} accounted bytes`
      : '';
  return `Cache at maxSize ${r.maxSizeMiB} MiB, ${r.label} (${r.bodyBytes} B bodies, ${r.requests.toLocaleString('en')} distinct URLs): heap + buffers +${r.heapAndBuffersGrowthMiB} MiB (${(r.heapAndBuffersGrowthMiB / r.maxSizeMiB).toFixed(2)}× maxSize)${perEntry}; process RSS +${r.rssGrowthMiB} MiB (RSS also keeps the high-water mark of the HTTP traffic that filled it).`;
});
process.stdout.write(`${JSON.stringify({ results, summary })}\n`);
process.exit(0);
