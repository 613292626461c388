/**
 * Measures the heap a million distinct clients cost the memory store, and what is left once they
 * are idle. Not a test (it takes seconds and needs --expose-gc):
 *
 *   node --expose-gc --import tsx src/stores/memory/measure-memory.ts
 */

import { memoryStore } from './memory-store.js';

const CLIENTS = 1_000_000;
const T0 = Date.UTC(2026, 0, 5);
/** rate 10/s, burst 20: a bucket is full again 2 s after its last request at most. */
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
for (let i = 0; i < CLIENTS; i++) void store.consumeBucket(clientKey(i), { ...bucket, now: T0 });
const active = heapUsed();
const live = store.stats().buckets;

// Ten seconds later every one of them is full (idle). Traffic from a single remaining client
// drives the incremental sweep (2 buckets inspected per operation).
const later = { ...bucket, now: T0 + 10_000 };
let operations = 0;
while (store.stats().buckets > 1) {
  void store.consumeBucket('throttle:192.0.2.1', later);
  operations++;
}
const idle = heapUsed();

const perClient = (active - before) / CLIENTS;
const residual = (idle - before) / CLIENTS;
console.log(
  `clients:                         ${CLIENTS.toLocaleString('en')} (buckets held: ${live.toLocaleString('en')})`,
);
console.log(
  `heap with all of them active:    ${((active - before) / 2 ** 20).toFixed(1)} MiB = ${perClient.toFixed(1)} bytes per client`,
);
console.log(`operations until all evicted:    ${operations.toLocaleString('en')}`);
console.log(
  `heap once idle and swept:        ${((idle - before) / 2 ** 20).toFixed(1)} MiB = ${residual.toFixed(2)} bytes per idle client`,
);
