/**
 * gateway.cache() in Express holding N stored URLs (first argument, default 10,000): a hit on
 * `/hello` among them. The store is filled at start-up: `/hello` is stored by one real miss, then
 * its entry is copied under N - 1 other paths (`/u/<i>`), each with a body Buffer of its own, as
 * N misses would have left them (without N runs of the 5 ms route).
 */

import http from 'node:http';
import express from 'express';
import { BODY, CACHE_WITHOUT_KEYS, countArgument, SLOW_MS, serveAfter, sleep } from './_common.mjs';
import { gateway, memoryCacheStore } from './_portcullis.mjs';

const count = countArgument(10_000);
// Large enough that nothing is evicted: the case measures a hit among N entries.
const store = memoryCacheStore({ maxSize: 16 * 1024 ** 3 });
const app = express();
app.get('/hello', gateway.cache({ ...CACHE_WITHOUT_KEYS, store }), async (_req, res) => {
  await sleep(SLOW_MS);
  res.json(BODY);
});

serveAfter(app, async (port) => {
  await new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: '/hello' }, (res) => res.resume().on('end', resolve))
      .on('error', reject);
  });
  let [key] = await store.keys('');
  for (let i = 0; key === undefined && i < 100; i++) {
    await sleep(10); // the miss stores once its response is finished
    [key] = await store.keys('');
  }
  const entry = await store.get(key);
  for (let i = 1; i < count; i++) {
    await store.set(key.replace('/hello?', `/u/${i}?`), {
      ...entry,
      body: Buffer.from(entry.body),
    });
  }
});
