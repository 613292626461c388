#!/usr/bin/env node
/**
 * portcullis benchmark runner (issue 8). Starts every scenario server in its own process pinned
 * to core 1, checks that each answers correctly, then loads them from core 0: every case alone,
 * in rounds, then every contestant/baseline comparison as a pair of fresh processes loaded at the
 * same time, once per round; writes RESULTS.md and results.json beside this file.
 *
 *   node bench/run.mjs            full run: 2 s warm-up, 3 rounds, 5 s per run; each pair's
 *                                 fresh processes warmed until both served 50,000 requests
 *   node bench/run.mjs --quick    1 round, 1 s per run (CI: proves the suite still works)
 *   --only=<regexp>               only the cases whose name matches (and their baselines)
 *   --autocannon                  use autocannon even when wrk is installed
 *   --no-memory                   skip the memory report
 *   --runs=<n> --seconds=<s>      rounds, and seconds per run (default 3 × 5 s; more
 *                                 rounds give each comparison more pairs to take the median of)
 *   --warmup-requests=<n>         requests each side of a pair serves before it is measured
 *                                 (default 50,000; at most 90 s)
 *
 * Needs the built library (`npm run build` at the root) and `npm --prefix bench ci`.
 */

import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { CASES, REQUESTS } from './lib/cases.mjs';
import { checkCase } from './lib/check.mjs';
import { CONNECTIONS, detectTool, load } from './lib/load.mjs';
import { runMemoryReport } from './lib/memory.mjs';
import { CLK_TCK, cpuMicros, hasProcStat } from './lib/procstat.mjs';
import { commandCountsOf, hasRedisServer, startRedis, startRedisCluster } from './lib/redis.mjs';
import { aggregate, pairKey, versions, writeReports } from './lib/report.mjs';
import { canPin, startServer, stopAll } from './lib/servers.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const only = argv.find((a) => a.startsWith('--only='))?.slice('--only='.length);
const numberFlag = (name, fallback) => {
  const raw = argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} takes a whole number ≥ 1`);
  return value;
};
const settings = {
  mode: quick ? 'quick' : 'full',
  seconds: numberFlag('seconds', quick ? 1 : 5),
  runs: numberFlag('runs', quick ? 1 : 3),
  warmupSeconds: quick ? 0 : 2,
  /** Requests each side of a comparison's fresh pair serves before it is measured (quick: one run). */
  warmupRequests: numberFlag('warmup-requests', quick ? 1 : 50_000),
  warmupMaxSeconds: quick ? 1 : 90,
  connections: CONNECTIONS,
};

// Ctrl-C, `kill` or a closed terminal: the scenario servers are children, take them along.
for (const [signal, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
  ['SIGHUP', 129],
]) {
  process.on(signal, () => {
    stopAll();
    process.exit(code);
  });
}

const log = (line) => process.stdout.write(`${line}\n`);

async function main() {
  const started = Date.now();
  const dist = path.join(HERE, '..', 'dist', 'index.js');
  if (!existsSync(path.join(HERE, 'node_modules', 'express', 'package.json')))
    throw new Error('the bench dependencies are missing: run `npm --prefix bench ci` first');
  if (!existsSync(dist))
    throw new Error('dist/index.js is missing: run `npm run build` at the repository root first');
  const { gateway } = await import(pathToFileURL(dist).href);
  const features = new Set(Object.keys(gateway));
  const tool = detectTool({ forceAutocannon: argv.includes('--autocannon') });

  // Which cases can run today: a case needs every gateway factory it uses.
  const skipped = [];
  const hasRedisStore = existsSync(path.join(HERE, '..', 'dist', 'redis.js'));
  let cases = CASES.filter((c) => {
    const missing = (c.requires ?? []).filter((f) => !features.has(f));
    if (missing.length > 0)
      skipped.push({ name: c.name, reason: `needs \`gateway.${missing.join('`, `gateway.')}\`` });
    else if (c.redis && !hasRedisStore)
      skipped.push({ name: c.name, reason: 'needs `redisStore`' });
    else if (c.redis && !hasRedisServer)
      skipped.push({ name: c.name, reason: 'needs `redis-server` installed' });
    else return true;
    return false;
  });
  if (only) {
    const re = new RegExp(only);
    const wanted = new Set(cases.filter((c) => re.test(c.name)).map((c) => c.name));
    for (const c of cases)
      if (wanted.has(c.name)) for (const cmp of c.compare) wanted.add(cmp.baseline);
    cases = cases.filter((c) => wanted.has(c.name));
  }
  if (cases.length === 0) throw new Error('no case to run');

  log(
    `portcullis bench (${settings.mode}): ${cases.length} cases, ${tool.version}, gateway has ${[...features].join(', ')}`,
  );
  if (!canPin)
    log(
      'warning: taskset is missing or there is one core: servers and load generator are not pinned',
    );
  const loadBefore = os.loadavg();

  // The upstream of the proxy cases shares core 0 with the load generator, so the server under
  // test keeps core 1 to itself; its CPU is not counted (it is another process).
  let upstream;
  let redis;
  let cluster;
  const servers = new Map();
  const roundTripsDir = mkdtempSync(path.join(os.tmpdir(), 'bench-round-trips-'));
  try {
    const env = { BENCH_ROUND_TRIPS_DIR: roundTripsDir };
    if (cases.some((c) => c.redis === true)) {
      redis = await startRedis();
      env.BENCH_REDIS_PORT = String(redis.port);
    }
    if (cases.some((c) => c.redis === 'cluster')) {
      cluster = await startRedisCluster();
      env.BENCH_REDIS_CLUSTER_PORTS = cluster.ports.join(',');
    }
    if (cases.some((c) => c.upstream)) {
      upstream = await startServer('upstream.mjs', { core: 0, label: 'upstream' });
      env.BENCH_UPSTREAM = `http://127.0.0.1:${upstream.port}`;
    }
    for (const c of cases) {
      servers.set(
        c.name,
        await startServer(c.file, {
          core: 1,
          args: c.args,
          env,
          label: c.name,
          startupSeconds: c.startupSeconds,
        }),
      );
    }

    /** Proves `server` answers `c`'s request correctly (quick mode: 20 requests of warm-up too). */
    const answersCorrectly = (c, server) =>
      checkCase(c, server.port, REQUESTS[c.request], quick ? 20 : 3);
    // Every contestant must answer correctly before anything is measured.
    const failures = [];
    for (const c of cases) {
      try {
        await answersCorrectly(c, servers.get(c.name));
      } catch (err) {
        failures.push(err.message);
      }
    }
    if (failures.length > 0)
      throw new Error(
        `${failures.length} case(s) failed the correctness check:\n\n${failures.join('\n\n')}`,
      );
    log(`all ${cases.length} cases answer correctly`);

    if (settings.warmupSeconds > 0) {
      log(`warm-up: ${settings.warmupSeconds} s per case`);
      for (const c of cases)
        await load(tool, servers.get(c.name).port, REQUESTS[c.request], settings.warmupSeconds);
    }

    // Each round has two parts. First every case runs alone, for its own figures (req/s,
    // latency, CPU µs/request). Then every comparison runs as a pair loaded at the same time,
    // both servers on core 1: the scheduler gives two busy processes equal CPU time, so their
    // req/s ratio is the ratio of their costs, and whatever slows the core (other tenants of the
    // host, whose contention drifts within seconds) slows both alike. Run one after the other,
    // the same bare Express server measured 193 and 232 µs per request a minute apart.
    const runs = new Map(cases.map((c) => [c.name, []]));
    const byName = new Map(cases.map((c) => [c.name, c]));
    const pairs = cases.flatMap((c) =>
      c.compare
        .filter((cmp) => byName.has(cmp.baseline))
        .map((cmp) => ({
          contestant: c,
          baseline: byName.get(cmp.baseline),
          key: pairKey(c.name, cmp.baseline),
          results: [],
        })),
    );
    // A case that fails under load is dropped from later rounds and reported; the others go on,
    // and the run still ends in failure.
    const failedUnderLoad = [];
    /** One run of `c`; Redis commands are counted only when it runs alone (`counted`). */
    const measure = async (c, label, counted, server = servers.get(c.name)) => {
      if (failedUnderLoad.some((f) => f.name === c.name)) return null;
      const redisPorts = c.redis === 'cluster' ? cluster.ports : [redis?.port];
      const redisStart = c.redis && counted ? await commandCountsOf(redisPorts) : undefined;
      const tripsStart = redisStart ? await roundTrips(server, roundTripsDir) : undefined;
      const cpuStart = cpuMicros(server.pid);
      const result = await load(tool, server.port, REQUESTS[c.request], settings.seconds);
      const cpuEnd = cpuMicros(server.pid);
      if (redisStart) {
        result.redisCommands = diffCounts(redisStart, await commandCountsOf(redisPorts));
        result.redisRoundTrips = (await roundTrips(server, roundTripsDir)) - tripsStart;
      }
      if (result.non2xx > 0 || result.errors > 0 || result.requests === 0) {
        // What the server answers now tells a refusal (its status and body) from a crash.
        const now = await checkCase(c, server.port, REQUESTS[c.request], 1).then(
          () => 'a request right after the run was answered correctly',
          (err) => err.message,
        );
        const message = `"${c.name}" failed under load: ${result.requests} requests, ${result.non2xx} non-2xx/3xx, ${result.errors} socket errors\n${now}\n${server.stderr()}`;
        log(`  FAILED ${message}`);
        failedUnderLoad.push({ name: c.name, message });
        return null;
      }
      result.cpuUsPerReq = cpuStart === null ? null : (cpuEnd - cpuStart) / result.requests;
      log(
        `  ${label} ${c.name.padEnd(62)} ${result.reqPerSec.toFixed(0).padStart(7)} req/s  p99 ${result.p99Ms?.toFixed(2)} ms  ${result.cpuUsPerReq?.toFixed(1)} µs/req${result.timeouts ? `  (${result.timeouts} timeouts)` : ''}`,
      );
      return result;
    };
    for (let round = 0; round < settings.runs; round++) {
      const forward = round % 2 === 0;
      for (const c of forward ? cases : [...cases].reverse()) {
        const result = await measure(c, `[${round + 1}/${settings.runs}] alone`, true);
        if (result !== null) runs.get(c.name).push(result);
      }
    }
    /**
     * Loads a fresh pair together, one run's length at a time, until each side has served
     * `settings.warmupRequests` (or `settings.warmupMaxSeconds` have passed). A fresh proxy
     * process settles only after ~30,000-45,000 requests: its CPU over bare Express fell from
     * +405 µs in its first 5 s to +239, +217, +197, +182, and ~+150-170 from the 30,000th on,
     * so a fixed 5 s (6,000 requests at its pair's rate) charged it ~50 µs of warm-up.
     */
    const warmPair = async (sides, own) => {
      const served = [0, 0];
      const started = Date.now();
      while (
        Math.min(...served) < settings.warmupRequests &&
        (Date.now() - started) / 1000 < settings.warmupMaxSeconds
      ) {
        const results = await Promise.all(
          sides.map((c, i) => load(tool, own[i].port, REQUESTS[c.request], settings.seconds)),
        );
        results.forEach((r, i) => {
          served[i] += r.requests;
        });
      }
      log(
        `  warmed ${sides.map((c) => c.name).join(' / ')}: ${served.join(' / ')} requests in ${Math.round((Date.now() - started) / 1000)} s`,
      );
    };
    // Each comparison gets two fresh processes of its own, warmed together and only ever loaded
    // together, so both sides have the same history. A server keeps getting cheaper over hundreds
    // of thousands of requests, and one that has just idled runs slower for a few seconds: bare
    // Express against usage plans measured 0.82-0.85x when the bare server had been loaded 60 s
    // more, 0.90-0.92x when the other had, and 0.706x in the first pair after the usage-plans
    // server idled 60 s. Sharing the baseline servers, which are loaded in many pairs, charged
    // every contestant that difference (full runs gave 0.78-0.82x where runs of two servers gave
    // 0.87-0.88x).
    for (const pair of pairs) {
      const sides = [pair.baseline, pair.contestant];
      const own = await Promise.all(
        sides.map((c) =>
          startServer(c.file, {
            core: 1,
            args: c.args,
            env,
            label: `${c.name} (pair)`,
            startupSeconds: c.startupSeconds,
          }),
        ),
      );
      try {
        // Fresh processes must answer correctly too, as the alone servers did before any load.
        await Promise.all(sides.map((c, i) => answersCorrectly(c, own[i])));
        await warmPair(sides, own);
        for (let round = 0; round < settings.runs; round++) {
          const label = `[${round + 1}/${settings.runs}] pair `;
          const [baseline, contestant] = await Promise.all([
            measure(pair.baseline, label, false, own[0]),
            measure(pair.contestant, label, false, own[1]),
          ]);
          if (baseline !== null && contestant !== null) pair.results.push({ baseline, contestant });
        }
      } finally {
        await Promise.all(own.map((server) => server.stop()));
      }
    }
    const pairResults = new Map(pairs.map((p) => [p.key, p.results]));

    const measuredCases = cases.filter((c) => !failedUnderLoad.some((f) => f.name === c.name));
    const measured = aggregate(measuredCases, runs, pairResults);
    const memory = argv.includes('--no-memory')
      ? { skipped: 'disabled with --no-memory' }
      : await runMemoryReport({ features, quick, log });
    const report = {
      node: process.version,
      tool: tool.version,
      date: new Date().toISOString(),
      settings: { ...settings, pinned: canPin, clkTck: CLK_TCK, cpuFromProc: hasProcStat },
      machine: {
        cpu: os.cpus()[0]?.model ?? 'unknown',
        cores: os.cpus().length,
        loadavgBefore: loadBefore.map((n) => Number(n.toFixed(2))),
        loadavgAfter: os.loadavg().map((n) => Number(n.toFixed(2))),
      },
      versions: versions(),
      durationSeconds: Math.round((Date.now() - started) / 1000),
      skipped: [
        ...skipped,
        ...failedUnderLoad.map((f) => ({
          name: f.name,
          reason: `FAILED under load: ${f.message.split('\n')[0]}`,
        })),
      ],
      memory,
      ...measured,
    };
    // Only a run of every case with the standard settings replaces bench/RESULTS.md.
    const custom = argv.some((a) => /^--(runs|seconds|warmup-requests)=/.test(a));
    const files = writeReports(report, { partial: Boolean(only) || custom });
    log(`wrote ${files.join(' and ')} in ${report.durationSeconds} s`);
    if (failedUnderLoad.length > 0)
      throw new Error(failedUnderLoad.map((f) => f.message).join('\n\n'));
    if (memory.error) throw new Error(`memory report failed: ${memory.error}`);
  } finally {
    await Promise.all([...servers.values()].map((s) => s.stop()));
    if (upstream) await upstream.stop();
    if (redis) await redis.stop();
    if (cluster) await cluster.stop();
    rmSync(roundTripsDir, { recursive: true, force: true });
  }
}

/**
 * The commands a Redis case's server has sent so far (see `scenarios/_redis.mjs`): SIGUSR2 makes
 * it write `<signal number> <count>` to `<dir>/<pid>`.
 */
async function roundTrips(server, dir) {
  const file = path.join(dir, String(server.pid));
  const previous = existsSync(file) ? Number(readFileSync(file, 'utf8').split(' ')[0]) : 0;
  process.kill(server.pid, 'SIGUSR2');
  for (let i = 0; i < 200; i++) {
    if (existsSync(file)) {
      const [signals, sent] = readFileSync(file, 'utf8').split(' ').map(Number);
      if (signals > previous) return sent;
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`${server.pid} did not report its Redis round trips`);
}

/** Commands run between two `INFO commandstats` readings. */
function diffCounts(before, after) {
  const out = {};
  for (const [name, calls] of Object.entries(after)) {
    const delta = calls - (before[name] ?? 0);
    if (delta > 0) out[name] = delta;
  }
  return out;
}

main().catch((err) => {
  stopAll();
  process.stderr.write(`\nbench FAILED: ${err.stack ?? err}\n`);
  process.exit(1);
});
