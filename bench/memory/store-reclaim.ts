/**
 * The heap a million distinct clients cost the memory store, and what is left once every bucket
 * has refilled: clients arrive over a few seconds (as under load), then a single late request
 * tells the store the time, and the store's own timer reclaims the idle state. Not a test (it takes
 * seconds and needs --expose-gc):
 *
 *   node --expose-gc --import tsx bench/memory/store-reclaim.ts
 */

import { memoryStore } from '../../src/stores/memory/index.js';

const CLIENTS = 1_000_000;
const T0 = Date.UTC(2026, 0, 5);
/** Clients arriving per millisecond of the store's clock: 1,000,000 over 5 s. */
const PER_MS = 200;
/** rate 10/s, burst 20: a bucket is full again 100 ms after its one request. */
const bucket = { emissionIntervalMs: 100, burst: 20, cost: 1 };

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with node --expose-gc');

function heapUsed(): number {
  gc!();
  gc!();
  return process.memoryUsage().heapUsed;
}

/** A realistic bucket key: what throttle() builds for an IPv4 client. */
function clientKey(i: number): string {
  return `throttle:10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
}

const store = memoryStore();
const before = heapUsed();
for (let i = 0; i < CLIENTS; i++)
  void store.consumeBucket(clientKey(i), { ...bucket, now: T0 + i / PER_MS });
const arrived = store.stats().buckets;
const active = heapUsed();

// Ten seconds after the last arrival every bucket is full (idle): one request says so.
void store.consumeBucket('throttle:192.0.2.1', { ...bucket, now: T0 + CLIENTS / PER_MS + 10_000 });
const started = Date.now();
while (store.stats().buckets > 1 && Date.now() - started < 10_000)
  await new Promise((resolve) => setTimeout(resolve, 10));
const reclaimedMs = Date.now() - started;
const idle = heapUsed();

const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(1);
console.log(`clients:                        ${CLIENTS.toLocaleString('en')}`);
console.log(
  `held once all had arrived:      ${arrived.toLocaleString('en')} buckets, ${mib(active - before)} MiB = ${((active - before) / CLIENTS).toFixed(1)} bytes per client`,
);
console.log(
  `held after one late request:    ${store.stats().buckets.toLocaleString('en')} bucket(s) within ${reclaimedMs} ms (the sweep timer, default every 1000 ms)`,
);
console.log(
  `heap once idle and reclaimed:   ${mib(idle - before)} MiB = ${((idle - before) / CLIENTS).toFixed(2)} bytes per idle client`,
);
