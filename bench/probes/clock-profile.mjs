#!/usr/bin/env node
/**
 * Where the wall clock goes, for two scenario servers loaded at the same time on one core:
 *
 *   node bench/probes/clock-profile.mjs <baseline scenario> <case scenario> [--shape=get]
 *        [--seconds=10] [--warmup=5] [--frequency=4999] [--rounds=1]
 *        [--callgrind=<baseline .callgrind.1>,<case .callgrind.1> --requests=4000]
 *
 * Both servers run pinned to core 1 with `--perf-basic-prof` (V8 writes a symbol map of its
 * generated code, so JavaScript frames are named), each loaded by its own wrk as in the bench's
 * pairs. `perf record -e cpu-clock` samples core 1 (a software clock: this VM exposes no hardware
 * counters, and `perf record -p` attaches no samples here), and the samples of each server's
 * threads are sorted into kernel, GC, JIT, JavaScript by package, V8 builtins and other C++, in
 * µs of CPU per request served. Callgrind's instruction counts (probes/instructions.mjs) see
 * user-space instructions only; this profile adds the kernel's share and what each instruction
 * costs in time, which is where the two measures part. Needs `perf` (Debian: linux-perf) and root
 * or `kernel.perf_event_paranoid` ≤ 0.
 */

import { execFile, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { REQUESTS } from '../lib/cases.mjs';
import { categorize } from '../lib/categorize.mjs';
import { detectTool, load } from '../lib/load.mjs';
import { startServer, stopAll } from '../lib/servers.mjs';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const raw = args.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
  if (raw === undefined) return fallback;
  if (name === 'shape') {
    if (!(raw in REQUESTS)) throw new TypeError(`--shape takes one of ${Object.keys(REQUESTS)}`);
    return raw;
  }
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1)
    throw new TypeError(`--${name} takes a whole number ≥ 1, not "${raw}"`);
  return value;
};
const files = args.filter((a) => !a.startsWith('--'));
if (files.length !== 2) {
  process.stderr.write(
    'usage: node bench/probes/clock-profile.mjs <baseline scenario> <case scenario> [--shape=get] [--seconds=10] [--warmup=5] [--frequency=4999] [--rounds=1]\n',
  );
  process.exit(2);
}
const shape = option('shape', 'get');
const seconds = option('seconds', 10);
const warmup = option('warmup', 5);
const frequency = option('frequency', 4999);
const rounds = option('rounds', 1);
/**
 * `--callgrind=<baseline>,<case>`: callgrind outputs of the same two scenarios (kept by
 * `KEEP_CALLGRIND=1 node bench/probes/instructions.mjs ...`, `--requests` counted), read with
 * `callgrind_annotate` and sorted into the same parts, so that each part's time per instruction
 * shows.
 */
const callgrindFiles = args
  .find((a) => a.startsWith('--callgrind='))
  ?.slice('--callgrind='.length)
  .split(',');
if (callgrindFiles !== undefined && callgrindFiles.length !== 2)
  throw new TypeError('--callgrind takes two files, baseline first: --callgrind=<a>,<b>');
const callgrindRequests = option('requests', 4000);
if (spawnSync('perf', ['--version']).error) {
  process.stderr.write('clock-profile: needs `perf` (Debian: apt-get install linux-perf)\n');
  process.exit(2);
}

/** perf names JIT code by package, callgrind cannot; helper threads do what callgrind's one thread does. */
function merged(category) {
  if (category.startsWith('JS')) return 'JS (JIT code)';
  return category.replace(' (helper threads)', '');
}

/** Self instructions by part, from `callgrind_annotate --inclusive=no`. */
async function instructionsByPart(file) {
  const text = await run('callgrind_annotate', ['--inclusive=no', '--threshold=100', file]);
  const parts = new Map();
  // `  1,234 ( 0.05%)  <file>:<function> [<object file>]`
  const line = /^\s*([\d,]+) \([^)]*\)\s+[^:]*:(.*) \[(.*)\]$/;
  for (const row of text.split('\n')) {
    const m = line.exec(row);
    if (!m) continue;
    const part = merged(categorize('node', m[2], m[3]));
    parts.set(part, (parts.get(part) ?? 0) + Number(m[1].replaceAll(',', '')));
  }
  return parts;
}

function run(cmd, argv) {
  return new Promise((resolve, reject) =>
    execFile(cmd, argv, { maxBuffer: 512 * 1024 * 1024 }, (err, stdout, stderr) =>
      err ? reject(new Error(`${cmd} failed: ${err.message}\n${stderr}`)) : resolve(stdout),
    ),
  );
}

const dir = mkdtempSync(path.join(tmpdir(), 'portcullis-clock-'));
const tool = detectTool();
if (tool.name !== 'wrk') process.stderr.write('note: wrk not found, loading with autocannon\n');
const request = REQUESTS[shape];
const servers = [];
try {
  for (const file of files)
    servers.push(
      await startServer(file, {
        core: 1,
        nodeArgs: [
          '--perf-basic-prof',
          // --perf-basic-prof also turns on V8's log, which goes to the working directory otherwise.
          '--no-logfile-per-isolate',
          `--logfile=${path.join(dir, `v8-${servers.length}.log`)}`,
        ],
        label: file,
      }),
    );
  await Promise.all(servers.map((s) => load(tool, s.port, request, warmup)));

  /** samples[server][category] and bySymbol[server][symbol], summed over rounds. */
  const samples = servers.map(() => new Map());
  const bySymbol = servers.map(() => new Map());
  const requests = servers.map(() => 0);
  const pairRatios = [];
  for (let round = 0; round < rounds; round++) {
    const data = path.join(dir, `round-${round}.data`);
    const perf = spawn(
      'perf',
      ['record', '-a', '-C', '1', '-e', 'cpu-clock', '-F', String(frequency), '-o', data, '-q'],
      { stdio: 'ignore' },
    );
    await new Promise((r) => setTimeout(r, 500)); // perf needs a moment before it samples
    const results = await Promise.all(servers.map((s) => load(tool, s.port, request, seconds)));
    perf.kill('SIGINT');
    await new Promise((r) => perf.once('exit', r));
    for (const [i, r] of results.entries()) requests[i] += r.requests;
    pairRatios.push(results[1].reqPerSec / results[0].reqPerSec);

    const script = await run('perf', ['script', '-i', data, '-F', 'comm,pid,tid,ip,sym,dso']);
    const index = new Map(servers.map((s, i) => [s.pid, i]));
    // `<thread name> <pid>/<tid> <address> <symbol> (<object file>)`; thread names can hold spaces.
    const line = /^\s*(.+?)\s+(\d+)\/\d+\s+[0-9a-f]+\s+(.*)\s+\((.*)\)$/;
    for (const text of script.split('\n')) {
      const m = line.exec(text);
      if (!m) continue;
      const i = index.get(Number(m[2]));
      if (i === undefined) continue;
      const category = categorize(m[1], m[3], m[4]);
      samples[i].set(category, (samples[i].get(category) ?? 0) + 1);
      const key = `${category === 'kernel' ? '[k] ' : ''}${m[3].replace(/^JS:/, '')}`;
      bySymbol[i].set(key, (bySymbol[i].get(key) ?? 0) + 1);
    }
  }

  const usPerRequest = (count, i) => (count / frequency / requests[i]) * 1e6;
  const total = (i) => [...samples[i].values()].reduce((a, b) => a + b, 0);
  const fmt = (n) => n.toFixed(1).padStart(7);
  const [a, b] = files.map((f) => path.basename(f, '.mjs'));
  console.log(
    `\n${b} against ${a}, ${shape}, loaded together on one core, ${rounds} × ${seconds} s`,
  );
  console.log(
    `req/s ratio (case ÷ baseline) per round: ${pairRatios.map((r) => r.toFixed(3)).join(', ')}`,
  );
  console.log(
    `CPU µs per request: ${a} ${usPerRequest(total(0), 0).toFixed(1)}, ${b} ${usPerRequest(total(1), 1).toFixed(1)}; ratio ${(usPerRequest(total(0), 0) / usPerRequest(total(1), 1)).toFixed(3)}\n`,
  );
  const categories = [...new Set([...samples[0].keys(), ...samples[1].keys()])];
  const rows = categories
    .map((c) => [
      c,
      usPerRequest(samples[0].get(c) ?? 0, 0),
      usPerRequest(samples[1].get(c) ?? 0, 1),
    ])
    .sort((x, y) => y[2] - y[1] - (x[2] - x[1]));
  console.log(
    `${'µs per request'.padEnd(24)}${'baseline'.padStart(9)}${'case'.padStart(9)}${'added'.padStart(9)}`,
  );
  for (const [c, x, y] of rows) console.log(`${c.padEnd(24)}  ${fmt(x)}  ${fmt(y)}  ${fmt(y - x)}`);

  const symbols = [...new Set([...bySymbol[0].keys(), ...bySymbol[1].keys()])];
  const diffs = symbols
    .map((s) => [
      s,
      usPerRequest(bySymbol[0].get(s) ?? 0, 0),
      usPerRequest(bySymbol[1].get(s) ?? 0, 1),
    ])
    .sort((x, y) => Math.abs(y[2] - y[1]) - Math.abs(x[2] - x[1]))
    .slice(0, 40);
  console.log(`\nlargest differences by symbol (µs per request: baseline, case, added)`);
  for (const [s, x, y] of diffs)
    console.log(`${fmt(x)}  ${fmt(y)}  ${fmt(y - x)}  ${s.replace(/^(.{0,110}).*$/, '$1')}`);
  if (callgrindFiles !== undefined) {
    const instructions = await Promise.all(callgrindFiles.map(instructionsByPart));
    const seconds = servers.map((_, i) => {
      const perPart = new Map();
      for (const [c, n] of samples[i]) {
        const part = merged(c);
        perPart.set(part, (perPart.get(part) ?? 0) + usPerRequest(n, i));
      }
      return perPart;
    });
    const parts = [...new Set([...seconds[0].keys(), ...seconds[1].keys()])];
    console.log(
      '\nby part: instructions per request (callgrind), µs per request (this run), ns per instruction',
    );
    console.log(
      `${''.padEnd(16)}${'instr. base'.padStart(12)}${'case'.padStart(10)}${'µs base'.padStart(9)}${'case'.padStart(8)}${'ns/i base'.padStart(11)}${'case'.padStart(7)}`,
    );
    // The prediction: every part of the case at the baseline's time per instruction, the kernel
    // as measured (callgrind sees user space only). How much of the clock ratio the mix of parts
    // explains, against how much is left to a slower rate (cache pressure and the like).
    let predicted = 0;
    for (const part of parts.sort()) {
      const [ia, ib] = instructions.map((m) => (m.get(part) ?? 0) / callgrindRequests);
      const [ua, ub] = seconds.map((m) => m.get(part) ?? 0);
      predicted += ia > 0 ? (ua / ia) * ib : ub;
      const nsPer = (us, n) => (n > 0 ? ((us * 1000) / n).toFixed(2) : '–');
      console.log(
        `${part.padEnd(16)}${Math.round(ia).toLocaleString('en-US').padStart(12)}${Math.round(ib).toLocaleString('en-US').padStart(10)}${ua.toFixed(1).padStart(9)}${ub.toFixed(1).padStart(8)}${nsPer(ua, ia).padStart(11)}${nsPer(ub, ib).padStart(7)}`,
      );
    }
    const [instrA, instrB] = instructions.map(
      (m) => [...m.values()].reduce((x, y) => x + y, 0) / callgrindRequests,
    );
    const [clockA, clockB] = seconds.map((m) => [...m.values()].reduce((x, y) => x + y, 0));
    console.log(
      `\nratio baseline ÷ case: instructions ${(instrA / instrB).toFixed(3)}; clock ${(clockA / clockB).toFixed(3)}; predicted from the case's instructions at the baseline's ns per instruction, part by part (kernel as measured) ${(clockA / predicted).toFixed(3)}`,
    );
  }
} finally {
  await Promise.all(servers.map((s) => s.stop()));
  stopAll();
  rmSync(dir, { recursive: true, force: true });
  // V8 writes its symbol maps to /tmp whatever TMPDIR says.
  for (const s of servers) rmSync(`/tmp/perf-${s.pid}.map`, { force: true });
}
