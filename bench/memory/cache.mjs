/**
 * Memory of gateway.cache at its maxSize: an Express app in this process, filled through real
 * HTTP requests with distinct URLs until the cache has been full for a while. One entry size per
 * process (`--entries=small|large`), so one fill's garbage cannot be collected inside another's
 * window. Run with --expose-gc; prints one JSON line.
 *
 * Two heap figures: "growth" (after the fill − before it) and "retained" (after the fill − after
 * the app, server and cache are dropped again). Retained is what the cache itself holds; growth
 * also counts whatever the HTTP traffic left behind, and RSS keeps the traffic's high-water mark.
 */

import http from 'node:http';
import express from 'express';
import { gateway } from '../scenarios/_portcullis.mjs';
import { settle } from './_settle.mjs';

const quick = process.argv.includes('--quick');
const entriesArg = process.argv.find((a) => a.startsWith('--entries='))?.slice(10) ?? 'small';
const SIZES = { small: 100, large: 64 * 1024 };
if (!(entriesArg in SIZES))
  throw new TypeError(`--entries must be small or large, not ${entriesArg}`);
const MAX_SIZE = (quick ? 4 : 32) * 1024 * 1024;
const CONCURRENCY = 32;
const MiB = 1048576;

const heapAndBuffers = (m) => m.heapUsed + m.arrayBuffers;

/** Starts the app, fills the cache, returns its stats and a function that drops everything. */
async function startAndFill(label, bodyBytes) {
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

  // 1.5× what fits, so the LRU has evicted for a while when we measure.
  const requests = Math.ceil((MAX_SIZE / (bodyBytes + 200)) * 1.5);
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < requests) await get(next++);
    }),
  );
  const stats = typeof cache.stats === 'function' ? await cache.stats() : null;
  agent.destroy();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  return { requests, stats, cacheHolder: { cache } };
}

async function requestThroughAnotherApp() {
  const app = express();
  app.get('/', gateway.cache({ ttl: 1 }), (_req, res) => res.send('ok'));
  const server = http.createServer(app);
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  await fetch(`http://127.0.0.1:${server.address().port}/`, { headers: { connection: 'close' } });
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
}

async function measure(label, bodyBytes) {
  const before = await settle();
  const filled = await startAndFill(label, bodyBytes);
  const after = await settle();
  // The last reference to the cache goes; everything it held becomes garbage. portcullis
  // remembers the last Express request prototype it extended (one app is the common case), and
  // Express 5's prototypes are per app: one request through another app lets the first one go.
  filled.cacheHolder.cache = null;
  await requestThroughAnotherApp();
  const released = await settle();
  const entries = filled.stats?.entries ?? 0;
  const retained = heapAndBuffers(after) - heapAndBuffers(released);
  return {
    label,
    bodyBytes,
    maxSizeMiB: MAX_SIZE / MiB,
    requests: filled.requests,
    rssGrowthMiB: Number(((after.rss - before.rss) / MiB).toFixed(1)),
    heapAndBuffersGrowthMiB: Number(
      ((heapAndBuffers(after) - heapAndBuffers(before)) / MiB).toFixed(1),
    ),
    retainedMiB: Number((retained / MiB).toFixed(1)),
    retainedBytesPerEntry: entries > 0 ? Math.round(retained / entries) : null,
    stats: filled.stats,
  };
}

function describe(r) {
  const perEntry =
    r.stats?.entries > 0
      ? ` (${r.retainedBytesPerEntry} B per entry for ${r.stats.entries.toLocaleString('en')} entries holding ${r.stats.storedBytes.toLocaleString('en')} accounted bytes)`
      : '';
  return `Cache at maxSize ${r.maxSizeMiB} MiB, ${r.label} (${r.bodyBytes} B bodies, ${r.requests.toLocaleString('en')} distinct URLs): the cache retains ${r.retainedMiB} MiB of heap + buffers, ${(r.retainedMiB / r.maxSizeMiB).toFixed(2)}× maxSize${perEntry}; heap + buffers grew ${r.heapAndBuffersGrowthMiB} MiB over the fill and process RSS ${r.rssGrowthMiB} MiB (RSS keeps the high-water mark of the HTTP traffic that filled it).`;
}

const result = await measure(`${entriesArg} entries`, SIZES[entriesArg]);
process.stdout.write(`${JSON.stringify({ results: [result], summary: [describe(result)] })}\n`);
process.exit(0);
