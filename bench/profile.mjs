#!/usr/bin/env node
/**
 * Profiles one scenario under load: `node bench/profile.mjs <scenario file> [get|preflight] [seconds]`.
 * Runs the server with `node --cpu-prof` (pinned to core 1), loads it with the bench's load tool,
 * then prints the functions with the most self time and the inclusive time of portcullis code
 * (dist/). The .cpuprofile is kept under bench/.runs/profiles/ for a flame graph (Chrome DevTools,
 * speedscope).
 */

import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { REQUESTS } from './lib/cases.mjs';
import { detectTool, load } from './lib/load.mjs';
import { startServer } from './lib/servers.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const [file, shape = 'get', seconds = '10', ...scenarioArgs] = process.argv.slice(2);
if (!file) {
  process.stderr.write(
    'usage: node bench/profile.mjs <scenario file, e.g. express-gateway-cors.mjs> [get|preflight] [seconds]\n',
  );
  process.exit(2);
}
const dir = path.join(
  HERE,
  '.runs',
  'profiles',
  `${path.basename(file, '.mjs')}-${shape}-${Date.now()}`,
);
mkdirSync(dir, { recursive: true });

const upstream = /proxy/.test(file) ? await startServer('upstream.mjs', { core: 0 }) : undefined;
const env = upstream ? { BENCH_UPSTREAM: `http://127.0.0.1:${upstream.port}` } : {};
const server = await startServer(file, {
  core: 1,
  env,
  args: scenarioArgs,
  nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${dir}`],
});
const tool = detectTool();
const warmup = await load(tool, server.port, REQUESTS[shape], 2); // the profile covers the warm-up too
const result = await load(tool, server.port, REQUESTS[shape], Number(seconds));
const requests = warmup.requests + result.requests;
await server.stop();
if (upstream) await upstream.stop();

// bench/profile-diff.mjs reads the request count to put two profiles on the same per-request scale.
writeFileSync(path.join(dir, 'requests.txt'), String(requests));
const profileFile = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
const profile = JSON.parse(readFileSync(path.join(dir, profileFile), 'utf8'));
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const hits = new Map();
for (const id of profile.samples) hits.set(id, (hits.get(id) ?? 0) + 1);
const total = profile.samples.length;
/** Sampled CPU time per request served, in µs (idle included in the total, so read the rows). */
const usPerSample = (profile.endTime - profile.startTime) / total / requests;
const label = (n) => {
  const f = n.callFrame;
  const where = f.url
    ? `${f.url.replace(/^.*\/(node_modules|dist|bench)\//, '$1/')}:${f.lineNumber + 1}`
    : '';
  return `${f.functionName || '(anonymous)'} ${where}`.trim();
};

const self = new Map();
const inclusive = new Map();
for (const [id, count] of hits) {
  const key = label(byId.get(id));
  self.set(key, (self.get(key) ?? 0) + count);
  const seen = new Set();
  for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
    const k = label(byId.get(cur));
    if (seen.has(k)) continue;
    seen.add(k);
    inclusive.set(k, (inclusive.get(k) ?? 0) + count);
  }
}
const pct = (n) =>
  `${((n / total) * 100).toFixed(1).padStart(5)}% ${(n * usPerSample).toFixed(2).padStart(6)} µs/req`;
const top = (map, filter, n) =>
  [...map]
    .filter(([k]) => filter(k))
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([k, v]) => `  ${pct(v)}  ${k}`)
    .join('\n');

console.log(
  `${file} ${shape}: ${result.reqPerSec.toFixed(0)} req/s; ${total} samples over ${requests} requests; profile in ${path.relative(process.cwd(), dir)}`,
);
console.log(`\nself time, top 25:\n${top(self, () => true, 25)}`);
console.log(
  `\ninclusive time of portcullis (dist/):\n${top(inclusive, (k) => k.includes('dist/'), 25)}`,
);
