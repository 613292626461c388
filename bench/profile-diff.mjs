#!/usr/bin/env node
/**
 * Compares two profiles written by `bench/profile.mjs`, function by function, in sampled µs per
 * request: `node bench/profile-diff.mjs <profile dir A> <profile dir B> [rows]`. Rows are sorted by
 * the size of the difference, so what A does that B does not (or does more of) comes first. The
 * totals leave out idle time. Both profiles must come from the same machine state to compare:
 * take them one right after the other.
 */

import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const [dirA, dirB, rows = '30'] = process.argv.slice(2);
if (!dirA || !dirB) {
  process.stderr.write(
    'usage: node bench/profile-diff.mjs <profile dir A> <profile dir B> [rows]\n',
  );
  process.exit(2);
}

/** Self time per function, µs per request served (the request count is in `requests.txt`). */
function selfTimes(dir) {
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error(`${dir}: no .cpuprofile (run bench/profile.mjs first)`);
  const requests = Number(readFileSync(path.join(dir, 'requests.txt'), 'utf8'));
  const profile = JSON.parse(readFileSync(path.join(dir, file), 'utf8'));
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const usPerSample = (profile.endTime - profile.startTime) / profile.samples.length;
  const self = new Map();
  for (const id of profile.samples) {
    const frame = byId.get(id).callFrame;
    const where = frame.url
      ? `${frame.url.replace(/^.*\/(node_modules|dist|bench)\//, '$1/')}:${frame.lineNumber + 1}`
      : '';
    const key = `${frame.functionName || '(anonymous)'} ${where}`.trim();
    self.set(key, (self.get(key) ?? 0) + usPerSample / requests);
  }
  return self;
}

const a = selfTimes(dirA);
const b = selfTimes(dirB);
const total = (m) => [...m].reduce((sum, [k, v]) => (k === '(idle)' ? sum : sum + v), 0);
const fmt = (n) => n.toFixed(2).padStart(8);
process.stdout.write(
  `non-idle µs/request: A ${total(a).toFixed(1)}, B ${total(b).toFixed(1)}, A − B ${(total(a) - total(b)).toFixed(1)}\n\n`,
);
process.stdout.write(`${'A − B'.padStart(8)} ${'A'.padStart(8)} ${'B'.padStart(8)}  function\n`);
const names = [...new Set([...a.keys(), ...b.keys()])].filter((k) => k !== '(idle)');
names
  .map((k) => [k, a.get(k) ?? 0, b.get(k) ?? 0])
  .sort((x, y) => Math.abs(y[1] - y[2]) - Math.abs(x[1] - x[2]))
  .slice(0, Number(rows))
  .forEach(([k, x, y]) => {
    process.stdout.write(`${fmt(x - y)} ${fmt(x)} ${fmt(y)}  ${k}\n`);
  });
