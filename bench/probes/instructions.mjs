#!/usr/bin/env node
/**
 * Machine instructions per request, counted by valgrind's callgrind, for scenarios A/B:
 *
 *   node bench/probes/instructions.mjs <scenario> [<scenario>...] [--shape=get] [--requests=4000] [--hash-seed=1]
 *   node bench/probes/instructions.mjs --cases=<regexp>     the bench's cases (and their baselines),
 *                                                            table in bench/INSTRUCTIONS.md (Node 20)
 *                                                            or bench/INSTRUCTIONS-node<major>.md
 *
 * Time per request swings ±20 µs between runs on a shared 2-core machine; an instruction count
 * does not depend on what else the machine is doing: runs of a case agree within ~0.1 %. Each server runs under callgrind with instrumentation off while a warm-up
 * lets V8 optimise, then a fixed number of keep-alive requests (`--connections`, default 8, at a
 * time) is counted. V8 runs `--single-threaded` so that compilation and GC happen on the counted
 * thread, in order. Slow
 * (valgrind), and counts are not time: a cache miss or a syscall weighs as one instruction. Use
 * it to compare variants, and the wall-clock bench for the figures.
 */

import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CASES, REQUESTS } from '../lib/cases.mjs';
import { startRedis, startRedisCluster } from '../lib/redis.mjs';
import { startServer } from '../lib/servers.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const SCENARIOS = path.join(HERE, '..', 'scenarios');
const args = process.argv.slice(2);
const option = (name, fallback) =>
  args.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback;
const files = args.filter((a) => !a.startsWith('--'));
const casesPattern = option('cases', undefined);
if (files.length === 0 && casesPattern === undefined) {
  process.stderr.write(
    'usage: node bench/probes/instructions.mjs <scenario> [<scenario>...] [--shape=get] [--requests=4000] [--hash-seed=1]\n',
  );
  process.exit(2);
}
const defaultShape = REQUESTS[option('shape', 'get')];
/**
 * 4,000 counted requests, not 1,000: a scavenge costs a whole window's worth of work at once
 * (~11M instructions in Express), so with 1,000 requests one scavenge more or less in the
 * window moved an Express case by ~11k instructions per request (bare Express counted 27.7k of
 * GC per request in one run, 34.5k over 4,000 requests); over 4,000 the step is a quarter.
 */
const measured = Number(option('requests', '4000'));
const V8_MAJOR = Number(process.versions.v8.split('.')[0]);
/**
 * V8 13 (Node 24) under `--single-threaded` still runs TurboFan on the servers' code after 12,000
 * requests (bare Koa: 88.4k instructions per request after 12,000 warm-up requests, 77.4k after
 * 24,000 or 36,000): it needs a longer warm-up before counts mean anything.
 */
const warmup = Number(option('warmup', V8_MAJOR >= 13 ? '36000' : '6000'));
const connections = Number(option('connections', '8'));
const scratch = mkdtempSync(path.join(tmpdir(), 'portcullis-callgrind-'));

/** A keep-alive agent holding `connections` sockets. */
const newAgent = () => new http.Agent({ keepAlive: true, maxSockets: connections });

/** Sends `count` requests, `connections` at a time, over `agent`'s keep-alive sockets. */
async function send(port, count, shape, agent) {
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
  await Promise.all(Array.from({ length: connections }, worker));
}

/**
 * An old generation that the run never fills, so no major GC at all. Otherwise the one the
 * warm-up's garbage starts fell into the counted window in some runs and not in others, ~50k
 * instructions per request of marking (an Express preflight case: 473k or 525k, Node 20). Not on
 * V8 13+ (Node 24): there the same flag made every scavenge dearer (Koa + gateway.cors 150k →
 * 204k instructions per request, bare Koa unchanged), so it would measure the flag instead.
 */
const NO_MAJOR_GC = V8_MAJOR < 13 ? ['--initial-old-space-size=1024'] : [];
/**
 * V8 13+ (Node 24) does run major GCs in the window, and marks incrementally: the marking steps
 * and the write barriers that keep marking correct run inside the server's own code, outside
 * `Heap::CollectGarbage`, so they counted as "steady". That was the "slower state" Node 24 runs
 * sometimes settled in: Express + `gateway.cors` counted 222k instructions per request in four
 * runs over 4,000 requests (steady +52k over bare Express; the profile: marking visitors,
 * `RecordWriteSaveFP`, `MarkingBarrier::Write`) and 166.7k with `--no-incremental-marking`
 * (steady +18.0k, as a 1,000-request window without a major GC gave, +17.9k). Marked atomically,
 * a major GC is all inside `CollectGarbage`, in the GC column. Bytecode flushing (functions
 * unused for a while lose their bytecode and are compiled again) ages by time too, which valgrind
 * stretches: off as well.
 */
const V8_13_GC = V8_MAJOR >= 13 ? ['--no-incremental-marking', '--no-flush-bytecode'] : [];

/**
 * V8 seeds its string hashes (and symbol hashes, from `--random-seed`) at random in each process,
 * and the order of a map's descriptors follows those hashes: inserting a property into the sorted
 * descriptors of Express's per-request maps (`DescriptorArray::Append`, 11 calls a request) cost
 * 6.4k, 7.9k and 8.4k instructions per request in three processes of the same code on Node 20.
 * Fixed seeds take that one source out (`--hash-seed=0` restores V8's random seeds); the others
 * remain: over 1,000 requests two runs of one Express case still differed by ~0.5–1.5k, over
 * 4,000 by less than 0.2k.
 */
const HASH_SEED = option('hash-seed', '1');
const FIXED_HASHES =
  HASH_SEED === '0' ? [] : [`--hash-seed=${HASH_SEED}`, `--random-seed=${HASH_SEED}`];

/**
 * The two parts of a callgrind dump that V8 spends on itself rather than on the code under test,
 * as inclusive costs (`callgrind_annotate --inclusive=yes`) of their entry points:
 * - `gc`: `Heap::CollectGarbage` (scavenges, mark-compact pauses) and incremental marking on
 *   allocation;
 * - `jit`: optimising (Maglev, TurboFan: `Compiler::CompileOptimized`) and Sparkplug compiles.
 * Both are lumpy where the rest is steady. How many scavenges fall into the counted window
 * depends on how V8 has sized the young generation so far (one scavenge more or less is ~0.5k
 * instructions per request in Koa, ~3k in Express, over 4,000 requests), and V8 13 keeps re-optimising
 * some functions (Koa's `dispatch`, `handleResponse`) every few seconds even in a steady load,
 * a rate set by time that valgrind stretches (see `withoutJit`, which the ratios use).
 */
const VM_ENTRY_POINTS = {
  gc: [
    /^\s*([\d,]+) .*?:v8::internal::Heap::CollectGarbage\(v8::internal::AllocationSpace[^)]*\) \[/m,
    /^\s*([\d,]+) .*?:v8::internal::IncrementalMarking::AdvanceOnAllocation\(\) \[/m,
  ],
  jit: [
    /^\s*([\d,]+) .*?:v8::internal::Compiler::CompileOptimized\(/m,
    /^\s*([\d,]+) .*?:v8::internal::Compiler::CompileSharedWithBaseline\(/m,
  ],
};

function vmInstructions(dump) {
  const annotated = execFileSync(
    'callgrind_annotate',
    ['--inclusive=yes', '--threshold=100', dump],
    { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 },
  );
  const sum = (patterns) => {
    let total = 0;
    for (const pattern of patterns) {
      const match = pattern.exec(annotated);
      if (match) total += Number(match[1].replaceAll(',', ''));
    }
    return total;
  };
  return { gc: sum(VM_ENTRY_POINTS.gc), jit: sum(VM_ENTRY_POINTS.jit) };
}

/** Starts `file` under callgrind (instrumentation off) and resolves once it listens. */
function startUnderCallgrind(file, out, env, scenarioArgs) {
  const child = spawn(
    'valgrind',
    [
      '--tool=callgrind',
      '--instr-atstart=no',
      // e.g. CALLGRIND_ARGS='--cache-sim=yes --branch-sim=yes': cache and branch misses too.
      ...(process.env.CALLGRIND_ARGS ?? '').split(' ').filter(Boolean),
      `--callgrind-out-file=${out}`,
      process.execPath,
      '--single-threaded',
      ...NO_MAJOR_GC,
      ...V8_13_GC,
      ...FIXED_HASHES,
      path.join(SCENARIOS, file),
      ...scenarioArgs,
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

let runs = 0;
async function instructionsPerRequest(
  file,
  {
    shape = defaultShape,
    upstream: wantsUpstream = /proxy/.test(file),
    args: scenarioArgs = [],
    redis = /redis/.test(file),
  } = {},
) {
  const out = path.join(scratch, `${path.basename(file, '.mjs')}-${++runs}.callgrind`);
  const upstream = wantsUpstream ? await startServer('upstream.mjs', { core: 0 }) : undefined;
  const env = upstream ? { BENCH_UPSTREAM: `http://127.0.0.1:${upstream.port}` } : {};
  const redisServer = !redis
    ? undefined
    : scenarioArgs.includes('--cluster')
      ? await startRedisCluster()
      : await startRedis();
  if (redisServer?.port !== undefined) env.BENCH_REDIS_PORT = String(redisServer.port);
  if (redisServer?.ports !== undefined) env.BENCH_REDIS_CLUSTER_PORTS = redisServer.ports.join(',');
  const { child, port } = await startUnderCallgrind(file, out, env, scenarioArgs);
  try {
    // The first half of the warm-up opens and closes its own connections, so that V8 has seen a
    // connection's whole life before counting starts; the counted requests then reuse the
    // second half's connections, which stay open until the counts are written. Counting across
    // new connections instead measured V8 re-optimising the code those first-time paths
    // deoptimised ("wrong map"): up to ~90k instructions per request of TurboFan work.
    const first = newAgent();
    await send(port, Math.ceil(warmup / 2), shape, first);
    first.destroy();
    const agent = newAgent();
    try {
      await send(port, Math.floor(warmup / 2), shape, agent);
      execFileSync('callgrind_control', ['--instr=on', String(child.pid)], { stdio: 'ignore' });
      await send(port, measured, shape, agent);
      execFileSync('callgrind_control', ['--dump', String(child.pid)], { stdio: 'ignore' });
    } finally {
      agent.destroy();
    }
  } finally {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
    if (upstream) await upstream.stop();
    await redisServer?.stop();
  }
  const totals = /^(?:summary|totals): (\d+)/m.exec(readFileSync(`${out}.1`, 'utf8'));
  if (!totals) throw new Error(`${file}: no totals in the callgrind output`);
  const { gc, jit } = vmInstructions(`${out}.1`);
  return { total: Number(totals[1]) / measured, gc: gc / measured, jit: jit / measured };
}

/**
 * The bench's cases matching `pattern`, with the baselines they are compared with. Redis cases run
 * against a redis-server (one node) or a three-master cluster (`--cluster`) this probe starts,
 * empty, for each case: state left by an earlier run (used-up quotas, key records) would change
 * what is counted.
 */
function selectCases(pattern) {
  const re = new RegExp(pattern);
  const wanted = new Set();
  for (const c of CASES) {
    if (!re.test(c.name)) continue;
    wanted.add(c.name);
    for (const cmp of c.compare) wanted.add(cmp.baseline);
  }
  return CASES.filter((c) => wanted.has(c.name));
}

const fmt = (n) => Math.round(n).toLocaleString('en-US');
const signed = (n) => `${n >= 0 ? '+' : ''}${fmt(n)}`;
/** The count without V8's lumpy parts (GC, compiling). */
const steady = ({ total, gc, jit }) => total - gc - jit;
/**
 * The count without compiling, what a server under real load pays per request: V8 re-optimises
 * at a rate set by time, not by requests (Node 24, bare Express, `--trace-opt`: 48 optimisations
 * in 20 s of 348k requests, 71 in 20 s of 11k requests at 500/s), so under valgrind, tens of times slower,
 * each request carries that many times its share of them (Node 24: ~19k instructions per request over a
 * 4,000-request window, in every case alike).
 */
const withoutJit = ({ total, jit }) => total - jit;
/** `123,456 (GC 1,234, JIT 0)`: a count and the parts of it that V8 spent on itself. */
const described = (count) =>
  `${fmt(count.total).padStart(9)} (GC ${fmt(count.gc)}, JIT ${fmt(count.jit)})`;

/**
 * Where a `--cases` table goes: `INSTRUCTIONS.md` for Node 20, the version the figures of the
 * README and the issue are given for; `INSTRUCTIONS-node<major>.md` for any other.
 */
const NODE_MAJOR = Number(process.versions.node.split('.')[0]);
const TABLE_FILE = NODE_MAJOR === 20 ? 'INSTRUCTIONS.md' : `INSTRUCTIONS-node${NODE_MAJOR}.md`;

/** Counts every case matching `pattern` (and its baselines), printing each, then writes the table. */
async function runCases(pattern) {
  const cases = selectCases(pattern);
  const counts = new Map();
  for (const c of cases) {
    const count = await instructionsPerRequest(c.file, {
      shape: REQUESTS[c.request],
      upstream: Boolean(c.upstream),
      args: c.args ?? [],
      redis: Boolean(c.redis),
    });
    counts.set(c.name, count);
    process.stdout.write(`${c.name.padEnd(66)} ${described(count)} instructions/request\n`);
  }
  writeTable(pattern, cases, counts);
}

/**
 * `--table-from=<file>`: the table again from the lines a `--cases` run printed (saved to
 * `file`), for a change of wording or of the derived columns without counting again (a run takes
 * 20–45 minutes). Run it with the Node version and the options that counted, which the table names.
 */
function tableFromLog(pattern, logFile) {
  const cases = selectCases(pattern);
  const counts = new Map();
  const line = /^(.*?)\s+([\d,]+) \(GC ([\d,]+), JIT ([\d,]+)\) instructions\/request/;
  const number = (text) => Number(text.replaceAll(',', ''));
  for (const text of readFileSync(logFile, 'utf8').split('\n')) {
    const match = line.exec(text);
    if (match === null) continue;
    counts.set(match[1].trim(), {
      total: number(match[2]),
      gc: number(match[3]),
      jit: number(match[4]),
    });
  }
  const missing = cases.filter((c) => !counts.has(c.name)).map((c) => c.name);
  if (missing.length > 0) throw new Error(`${logFile}: no count for ${missing.join(', ')}`);
  writeTable(pattern, cases, counts);
}

function writeTable(pattern, cases, counts) {
  const lines = [
    '# Instructions per request',
    '',
    `Written by \`node bench/probes/instructions.mjs --cases=${pattern}\` on ${new Date().toISOString()}; do not edit by hand.`,
    '',
    `Each case's server ran under valgrind's callgrind (Node ${process.version}, V8 \`--single-threaded\`${FIXED_HASHES.length > 0 ? `, fixed hash seeds \`${FIXED_HASHES.join(' ')}\`` : ''}): ${fmt(warmup)} requests of warm-up with instrumentation off, then ${fmt(measured)} keep-alive requests, ${connections} at a time, counted on connections the warm-up's second half opened (so V8's re-optimisation after new connections is not counted)${V8_MAJOR < 13 ? ', with an old generation large enough that no major GC runs' : ', with `--no-incremental-marking --no-flush-bytecode` so that a major GC is counted whole as GC and no code is flushed for age'}. Runs of one case agree within ~0.1 % (Node 20: bare Express three times 562.5k, 562.6k, 562.6k; bare Koa 95.47k and 95.43k), whatever else the machine was doing, which the wall-clock figures of \`RESULTS.md\` cannot promise here. "GC" is the part spent in V8's garbage collector and "JIT" the part spent compiling (Maglev, TurboFan, Sparkplug): both are lumpy (how many scavenges fall into the window depends on how V8 sized the young generation so far, one more or less being ~3k per request in Express and ~0.5k in Koa; V8 re-optimises some functions every few seconds even under a steady load, at a rate set by time rather than by requests, so under valgrind, tens of times slower than a real run, a request carries tens of times its share of it (on Node 24 ~19k instructions per request in every case)), and "steady" is the rest, which repeats within a few hundred instructions. Instructions are not time (a cache miss or a system call counts as one), so this table says which side does more work, not by how many µs; "ratio" is baseline ÷ case over the counts without JIT (steady work and GC, which allocation drives: what a server under load pays per request), what req/s would show if CPU were the only limit. Method: \`bench/README.md\` (Probes).`,
    '',
    '| case | instructions/request | of which GC | of which JIT | steady |',
    '|---|---:|---:|---:|---:|',
    ...cases.map((c) => {
      const count = counts.get(c.name);
      return `| ${c.name} | ${fmt(count.total)} | ${fmt(count.gc)} | ${fmt(count.jit)} | ${fmt(steady(count))} |`;
    }),
    '',
    '| case | compared with | added instructions/request (without JIT) | added, steady | ratio (without JIT) | ratio, steady | req/s target |',
    '|---|---|---:|---:|---:|---:|---:|',
  ];
  // Baselines pulled in by `selectCases` are rows of the first table, not comparisons of their own.
  const compared = new RegExp(pattern);
  for (const c of cases) {
    if (!compared.test(c.name)) continue;
    for (const cmp of c.compare) {
      const base = counts.get(cmp.baseline);
      const mine = counts.get(c.name);
      if (base === undefined || mine === undefined) continue;
      lines.push(
        `| ${c.name} | ${cmp.baseline} | ${signed(withoutJit(mine) - withoutJit(base))} | ${signed(steady(mine) - steady(base))} | ${(withoutJit(base) / withoutJit(mine)).toFixed(3)} | ${(steady(base) / steady(mine)).toFixed(3)} | ${cmp.target === undefined ? '–' : `≥ ${cmp.target}`} |`,
      );
    }
  }
  const file = path.join(HERE, '..', TABLE_FILE);
  writeFileSync(file, `${lines.join('\n')}\n`);
  process.stdout.write(`wrote ${path.relative(process.cwd(), file)}\n`);
}

try {
  const tableFrom = option('table-from', undefined);
  if (casesPattern !== undefined && tableFrom !== undefined) tableFromLog(casesPattern, tableFrom);
  else if (casesPattern !== undefined) await runCases(casesPattern);
  const results = [];
  // `--scenario-args=--cluster`: arguments for every scenario file (the Redis cases on a Cluster).
  const scenarioArgs = option('scenario-args', '').split(',').filter(Boolean);
  for (const file of files) {
    const count = await instructionsPerRequest(file, { args: scenarioArgs });
    results.push([file, count]);
    const base = results[0][1];
    const diff =
      results.length > 1
        ? `  (${signed(count.total - base.total)}, steady ${signed(steady(count) - steady(base))} vs ${results[0][0]})`
        : '';
    process.stdout.write(`${file.padEnd(40)} ${described(count)} instructions/request${diff}\n`);
  }
} finally {
  if (process.env.KEEP_CALLGRIND) process.stdout.write(`kept in ${scratch}\n`);
  else rmSync(scratch, { recursive: true, force: true });
}
