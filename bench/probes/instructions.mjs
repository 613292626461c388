#!/usr/bin/env node
/**
 * Machine instructions per request, counted by valgrind's callgrind, for scenarios A/B:
 *
 *   node bench/probes/instructions.mjs <scenario> [<scenario>...] [--shape=get] [--requests=1500]
 *
 * Time per request swings ±20 µs between runs on a shared 2-core machine; an instruction count
 * does not depend on what else the machine is doing, so two variants of the code compare within
 * about a percent. Each server runs under callgrind with instrumentation off while a warm-up
 * lets V8 optimise, then a fixed number of keep-alive requests (8 at a time) is counted. V8 runs
 * `--single-threaded` so that compilation and GC happen on the counted thread, in order. Slow
 * (valgrind), and counts are not time: a cache miss or a syscall weighs as one instruction. Use
 * it to compare variants, and the wall-clock bench for the figures.
 */

import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { REQUESTS } from '../lib/cases.mjs';
import { startServer } from '../lib/servers.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const SCENARIOS = path.join(HERE, '..', 'scenarios');
const args = process.argv.slice(2);
const option = (name, fallback) =>
  args.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback;
const files = args.filter((a) => !a.startsWith('--'));
if (files.length === 0) {
  process.stderr.write(
    'usage: node bench/probes/instructions.mjs <scenario> [<scenario>...] [--shape=get] [--requests=1500]\n',
  );
  process.exit(2);
}
const shape = REQUESTS[option('shape', 'get')];
const measured = Number(option('requests', '1500'));
const warmup = Number(option('warmup', '4000'));
const scratch = mkdtempSync(path.join(tmpdir(), 'portcullis-callgrind-'));

/** Sends `count` requests, `concurrency` at a time on keep-alive connections. */
async function send(port, count, concurrency = 8) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  let left = count;
  const one = () =>
    new Promise((resolve, reject) => {
      const req = http.request(
        {
          host: '127.0.0.1',
          port,
          path: shape.path,
          method: shape.method,
          headers: shape.headers,
          agent,
        },
        (res) => {
          res.resume();
          res.on('end', resolve);
        },
      );
      req.on('error', reject);
      req.end();
    });
  const worker = async () => {
    while (left > 0) {
      left -= 1;
      await one();
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  agent.destroy();
}

/** Starts `file` under callgrind (instrumentation off) and resolves once it listens. */
function startUnderCallgrind(file, out, env) {
  const child = spawn(
    'valgrind',
    [
      '--tool=callgrind',
      '--instr-atstart=no',
      `--callgrind-out-file=${out}`,
      process.execPath,
      '--single-threaded',
      path.join(SCENARIOS, file),
    ],
    { env: { ...process.env, ...env, NODE_ENV: 'production' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  return new Promise((resolve, reject) => {
    let text = '';
    child.stdout.on('data', (chunk) => {
      text += chunk;
      const match = /READY (\d+)/.exec(text);
      if (match) resolve({ child, port: Number(match[1]) });
    });
    child.once('exit', (code) => reject(new Error(`${file}: exited (${code}) before listening`)));
  });
}

async function instructionsPerRequest(file) {
  const out = path.join(scratch, `${path.basename(file, '.mjs')}.callgrind`);
  const upstream = /proxy/.test(file) ? await startServer('upstream.mjs', { core: 0 }) : undefined;
  const env = upstream ? { BENCH_UPSTREAM: `http://127.0.0.1:${upstream.port}` } : {};
  const { child, port } = await startUnderCallgrind(file, out, env);
  try {
    await send(port, warmup);
    execFileSync('callgrind_control', ['--instr=on', String(child.pid)], { stdio: 'ignore' });
    await send(port, measured);
    execFileSync('callgrind_control', ['--dump', String(child.pid)], { stdio: 'ignore' });
  } finally {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
    if (upstream) await upstream.stop();
  }
  const totals = /^(?:summary|totals): (\d+)/m.exec(readFileSync(`${out}.1`, 'utf8'));
  if (!totals) throw new Error(`${file}: no totals in the callgrind output`);
  return Number(totals[1]) / measured;
}

try {
  const results = [];
  for (const file of files) {
    const perRequest = await instructionsPerRequest(file);
    results.push([file, perRequest]);
    const base = results[0][1];
    const diff =
      results.length > 1
        ? `  (${perRequest >= base ? '+' : ''}${(perRequest - base).toFixed(0)} vs ${results[0][0]})`
        : '';
    process.stdout.write(
      `${file.padEnd(40)} ${perRequest.toFixed(0).padStart(9)} instructions/request${diff}\n`,
    );
  }
} finally {
  if (process.env.KEEP_CALLGRIND) process.stdout.write(`kept in ${scratch}\n`);
  else rmSync(scratch, { recursive: true, force: true });
}
