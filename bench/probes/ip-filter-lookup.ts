/**
 * Measures what one `ipFilter()` decision costs (parse the client address, walk the prefix
 * trie) with 10 and with 10,000 configured ranges, IPv4 and IPv6, next to Node's
 * `net.BlockList.check`, whose cost grows with the list. Worst case for the trie: /32 and /128
 * entries, so that a matching address walks every bit. Not a test:
 *
 *   node --import tsx bench/probes/ip-filter-lookup.ts
 */

import { BlockList } from 'node:net';
import { admits } from '../../src/middleware/ip-filter/ip-filter.js';
import { resolveIpFilterOptions } from '../../src/middleware/ip-filter/options.js';

const ROUNDS = 5;
const LOOKUPS = 1_000_000;
const PROBES = 1024;

/** A deterministic pseudo-random sequence (mulberry32), so that every run sees the same lists. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (t ^ (t >>> 14)) >>> 0;
  };
}

const v4 = (n: number) => `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
const v6 = (next: () => number) =>
  `2001:db8:${Array.from({ length: 6 }, () => (next() & 0xffff).toString(16)).join(':')}`;

function lists(size: number, family: 4 | 6) {
  const next = random(size * family);
  const entries = Array.from({ length: size }, () => (family === 4 ? v4(next()) : v6(next)));
  // Half the probes are listed addresses (a full walk), half unlisted (a walk until they part).
  const probes = Array.from({ length: PROBES }, (_, i) =>
    i % 2 === 0 ? entries[i % size]! : family === 4 ? v4(next()) : v6(next),
  );
  return { entries, probes };
}

function nsPerLookup(
  lookup: (ip: string) => boolean,
  probes: readonly string[],
  lookups = LOOKUPS,
): number {
  let admitted = 0;
  const best: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < lookups; i++) if (lookup(probes[i & (PROBES - 1)]!)) admitted++;
    best.push(Number(process.hrtime.bigint() - start) / lookups);
  }
  if (admitted === 0) throw new Error('no lookup admitted anything: the probe is broken');
  return Math.min(...best);
}

const rows: string[] = [];
for (const family of [4, 6] as const) {
  for (const size of [10, 10_000]) {
    const { entries, probes } = lists(size, family);
    const config = resolveIpFilterOptions({ allow: entries });
    const trie = nsPerLookup((ip) => admits(config, ip), probes);
    const blockList = new BlockList();
    for (const entry of entries) blockList.addAddress(entry, family === 4 ? 'ipv4' : 'ipv6');
    const family$ = family === 4 ? 'ipv4' : 'ipv6';
    // BlockList gets fewer lookups per round: at 10,000 entries it is that slow.
    const linear = nsPerLookup((ip) => blockList.check(ip, family$), probes, 20_000_000 / size);
    rows.push(
      `| IPv${family} | ${size.toLocaleString('en')} | ${trie.toFixed(0)} ns | ${linear.toFixed(0)} ns |`,
    );
  }
}
console.log('| family | entries | ipFilter (parse + trie) | net.BlockList.check |');
console.log('|---|---|---|---|');
for (const row of rows) console.log(row);
