/**
 * Heap bytes per idle throttle client: one request from each of 1,000,000 distinct client
 * addresses through gateway.throttle (Express calling convention), then a full GC.
 * Run with --expose-gc; prints one JSON line.
 */

import http from 'node:http';
import net from 'node:net';
import { gateway } from '../scenarios/_portcullis.mjs';
import { settle } from './_settle.mjs';

const quick = process.argv.includes('--quick');
const CLIENTS = quick ? 100_000 : 1_000_000;
const BATCH = 1000;
const RATE = 10;
const BURST = 20;

const socket = new net.Socket();
const middleware = gateway.throttle({ rate: RATE, burst: BURST });

/** One request from client `i`, as Express would hand it over (`req.ip` is what Express computes). */
function call(i) {
  const req = new http.IncomingMessage(socket);
  req.method = 'GET';
  req.url = '/';
  req.headers = {};
  req.ip = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
  const res = new http.ServerResponse(req);
  return new Promise((resolve, reject) => {
    res.end = () =>
      reject(new Error(`client ${i} was answered ${res.statusCode} instead of passed on`));
    middleware(req, res, (err) => (err ? reject(err) : resolve()));
  });
}

// A first batch so that code and the store's own structures exist before the baseline.
await Promise.all(Array.from({ length: BATCH }, (_, i) => call(CLIENTS + i)));
const before = await settle();
const started = Date.now();
for (let i = 0; i < CLIENTS; i += BATCH) {
  await Promise.all(Array.from({ length: Math.min(BATCH, CLIENTS - i) }, (_, j) => call(i + j)));
}
const seconds = (Date.now() - started) / 1000;
const after = await settle();
const perClient = (after.heapUsed - before.heapUsed) / CLIENTS;

// Once every bucket is full again (burst / rate seconds) a client is idle and may be evicted.
await new Promise((resolve) => setTimeout(resolve, (BURST / RATE) * 1000 + 1500));
await Promise.all(Array.from({ length: BATCH }, (_, i) => call(CLIENTS + i))); // lazy sweeps run on traffic
const later = await settle();
const perClientLater = (later.heapUsed - before.heapUsed) / CLIENTS;

const mib = (n) => (n / 1048576).toFixed(1);
process.stdout.write(
  `${JSON.stringify({
    clients: CLIENTS,
    rate: RATE,
    burst: BURST,
    heapBytesPerClient: Math.round(perClient),
    heapBytesPerClientAfterRefill: Math.round(perClientLater),
    rssMiB: Number(mib(after.rss)),
    secondsToAdd: seconds,
    summary: `Throttle: ${CLIENTS.toLocaleString('en')} distinct clients (rate ${RATE}, burst ${BURST}) hold ${Math.round(perClient)} heap bytes per client right after their request (${mib(after.heapUsed - before.heapUsed)} MiB), ${Math.round(perClientLater)} bytes per client once every bucket has refilled (${(BURST / RATE + 1.5).toFixed(1)} s later, when idle buckets may be evicted); ${((CLIENTS / seconds) | 0).toLocaleString('en')} new clients/s.`,
  })}\n`,
);
process.exit(0);
