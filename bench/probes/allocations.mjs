#!/usr/bin/env node
/**
 * Heap bytes allocated per request, by function, for one or two scenarios under load:
 *
 *   node bench/probes/allocations.mjs <scenario A> [scenario B] [--shape=get|preflight] [--seconds=5]
 *
 * Garbage collection is a large share of a request's CPU time in Express (bench/profile.mjs shows
 * it as "(garbage collector)"), and its cost follows the bytes allocated. This runs each server
 * with V8's sampling heap profiler (bench/probes/heap-sampler.mjs), counting objects already
 * collected too, over a measured load after a warm-up, and prints bytes per request per
 * allocating function; with two scenarios, side by side, largest difference first. Sampling
 * (every 256 bytes on average) makes small figures approximate: read differences above ~20 B.
 */

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { REQUESTS } from '../lib/cases.mjs';
import { detectTool, load } from '../lib/load.mjs';
import { startServer } from '../lib/servers.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const option = (name, fallback) =>
  args.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback;
const files = args.filter((a) => !a.startsWith('--'));
if (files.length === 0 || files.length > 2) {
  process.stderr.write(
    'usage: node bench/probes/allocations.mjs <scenario A> [scenario B] [--shape=get] [--seconds=5]\n',
  );
  process.exit(2);
}
const shape = option('shape', 'get');
const seconds = Number(option('seconds', '5'));
const rows = Number(option('rows', '30'));
const tool = detectTool();
const scratch = mkdtempSync(path.join(tmpdir(), 'portcullis-alloc-'));

/** Resolves on the next stdout line `line` of the server's process. */
function nextLine(child, line) {
  return new Promise((resolve) => {
    let out = '';
    const onData = (chunk) => {
      out += chunk;
      if (out.includes(line)) {
        child.stdout.off('data', onData);
        resolve();
      }
    };
    child.stdout.on('data', onData);
  });
}

/** Bytes allocated per request, by "function file:line", over a measured load. */
async function allocationsOf(file) {
  const profileFile = path.join(scratch, `${path.basename(file, '.mjs')}.heapprofile`);
  const upstream = /proxy/.test(file) ? await startServer('upstream.mjs', { core: 0 }) : undefined;
  const server = await startServer(file, {
    core: 1,
    env: {
      ALLOC_PROFILE: profileFile,
      ...(upstream ? { BENCH_UPSTREAM: `http://127.0.0.1:${upstream.port}` } : {}),
    },
    nodeArgs: ['--import', path.join(HERE, 'heap-sampler.mjs')],
  });
  await load(tool, server.port, REQUESTS[shape], 2);
  const started = nextLine(server.child, 'ALLOC_STARTED');
  server.child.kill('SIGUSR2');
  await started;
  const { requests } = await load(tool, server.port, REQUESTS[shape], seconds);
  const done = nextLine(server.child, 'ALLOC_DONE');
  server.child.kill('SIGUSR2');
  await done;
  await server.stop();
  if (upstream) await upstream.stop();

  const { head } = JSON.parse(readFileSync(profileFile, 'utf8'));
  const bytes = new Map();
  const visit = (node) => {
    const frame = node.callFrame;
    const where = frame.url
      ? `${frame.url.replace(/^.*\/(node_modules|dist|bench)\//, '$1/')}:${frame.lineNumber + 1}`
      : '';
    const key = `${frame.functionName || '(anonymous)'} ${where}`.trim();
    if (node.selfSize > 0) bytes.set(key, (bytes.get(key) ?? 0) + node.selfSize / requests);
    for (const child of node.children) visit(child);
  };
  visit(head);
  return { bytes, requests };
}

const total = (m) => [...m.values()].reduce((sum, v) => sum + v, 0);
const fmt = (n) => n.toFixed(0).padStart(7);
try {
  const results = [];
  for (const file of files) results.push(await allocationsOf(file));
  const [a, b = { bytes: new Map(), requests: 0 }] = results;
  const header = files.length === 2 ? `A ${files[0]}, B ${files[1]}` : `A ${files[0]}`;
  process.stdout.write(`${header}; ${shape}, ${seconds} s measured\n`);
  process.stdout.write(
    `bytes allocated per request: A ${total(a.bytes).toFixed(0)} (${a.requests} requests)` +
      (files.length === 2
        ? `, B ${total(b.bytes).toFixed(0)} (${b.requests} requests), B − A ${(total(b.bytes) - total(a.bytes)).toFixed(0)}`
        : '') +
      '\n\n',
  );
  process.stdout.write(`${'B − A'.padStart(7)} ${'A'.padStart(7)} ${'B'.padStart(7)}  function\n`);
  const names = [...new Set([...a.bytes.keys(), ...b.bytes.keys()])];
  names
    .map((k) => [k, a.bytes.get(k) ?? 0, b.bytes.get(k) ?? 0])
    .sort((x, y) => Math.abs(y[2] - y[1]) - Math.abs(x[2] - x[1]))
    .slice(0, rows)
    .forEach(([k, x, y]) => {
      process.stdout.write(`${fmt(y - x)} ${fmt(x)} ${fmt(y)}  ${k}\n`);
    });
} finally {
  if (process.env.KEEP_ALLOC_PROFILES) process.stdout.write(`profiles kept in ${scratch}\n`);
  else rmSync(scratch, { recursive: true, force: true });
}
