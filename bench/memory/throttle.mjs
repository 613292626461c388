/**
 * Heap bytes per throttle client: one request from each of 1,000,000 distinct client addresses
 * through gateway.throttle (Express calling convention), then a full GC. Two settings:
 * `--slow` refills so slowly (one token per 1,000 s) that every client's bucket is still tracked,
 * which gives the bytes a tracked client costs; without it, rate 10/s and burst 20, where a
 * client's bucket is full again (idle, evictable) 0.1 s after its request, so what remains shows
 * how well idle clients are evicted.
 * Run with --expose-gc; prints one JSON line.
 */

import http from 'node:http';
import net from 'node:net';
import { gateway } from '../scenarios/_portcullis.mjs';
import { settle } from './_settle.mjs';

const quick = process.argv.includes('--quick');
const slow = process.argv.includes('--slow');
const CLIENTS = quick ? 100_000 : 1_000_000;
const BATCH = 1000;
const RATE = slow ? 0.001 : 10;
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

const batch = (from, count) => Promise.all(Array.from({ length: count }, (_, j) => call(from + j)));

// A first batch so that code and the store's own structures exist before the baseline.
await batch(CLIENTS, BATCH);
const before = await settle();
const started = Date.now();
for (let i = 0; i < CLIENTS; i += BATCH) await batch(i, Math.min(BATCH, CLIENTS - i));
const seconds = (Date.now() - started) / 1000;
const after = await settle();
const perClient = (after.heapUsed - before.heapUsed) / CLIENTS;

const mib = (n) => (n / 1048576).toFixed(1);
const setting = slow
  ? `rate ${RATE}/s, burst ${BURST}: every bucket still refilling, so every client is tracked`
  : `rate ${RATE}/s, burst ${BURST}: a bucket is full (idle) again 0.1 s after its request`;
process.stdout.write(
  `${JSON.stringify({
    clients: CLIENTS,
    rate: RATE,
    burst: BURST,
    heapBytesPerClient: Math.round(perClient),
    secondsToAdd: seconds,
    summary: `Throttle, ${CLIENTS.toLocaleString('en')} distinct clients (${setting}): ${Math.round(perClient)} heap bytes per client after the last one's request (${mib(after.heapUsed - before.heapUsed)} MiB in all${slow ? '' : ': idle buckets were evicted by the incremental sweep while the others arrived'}); ${((CLIENTS / seconds) | 0).toLocaleString('en')} new clients/s.`,
  })}\n`,
);
process.exit(0);
