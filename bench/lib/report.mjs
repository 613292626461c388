/** Turns the runs into medians and ratios, and writes RESULTS.md and results.json. */

import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { REFERENCE_BARE_US } from './cases.mjs';

const BENCH = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const PEERS = [
  'express',
  'koa',
  'cors',
  '@koa/cors',
  'express-rate-limit',
  'rate-limiter-flexible',
  'koa-ratelimit',
  'apicache',
  'http-proxy-middleware',
  'autocannon',
];
/** Below this, a difference in server CPU µs/request is this machine's noise (issue 8). */
export const CPU_NOISE_US = 10;

const readJson = (file) => JSON.parse(readFileSync(file, 'utf8'));

export function versions() {
  const root = readJson(path.join(BENCH, '..', 'package.json'));
  let commit = null;
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
      cwd: BENCH,
      stdio: ['ignore', 'pipe', 'ignore'],
    })
      .toString()
      .trim();
  } catch {}
  const out = { portcullis: `${root.version}${commit ? ` (${commit})` : ''}` };
  for (const name of PEERS) {
    try {
      out[name] = readJson(path.join(BENCH, 'node_modules', name, 'package.json')).version;
    } catch {
      out[name] = null;
    }
  }
  return out;
}

/** How a contestant–baseline pair is named in the map of pair results `aggregate` takes. */
export function pairKey(contestant, baseline) {
  return `${contestant}\u0000${baseline}`;
}

const median = (values) => {
  const sorted = values.filter((v) => v !== null && v !== undefined).sort((a, b) => a - b);
  if (sorted.length === 0) return null;
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const round = (n, digits) => (n === null ? null : Number(n.toFixed(digits)));
/** (max − min) / median, in percent: how far the runs of one case disagree. */
const spread = (values) => {
  const m = median(values);
  return values.length < 2 || !m
    ? null
    : round(((Math.max(...values) - Math.min(...values)) / m) * 100, 1);
};

/** Redis commands per request served, in all and by command, over every run of a case. */
function redisPerRequest(runs) {
  if (!runs.some((x) => x.redisCommands)) return {};
  const requests = runs.reduce((n, x) => n + x.requests, 0);
  const byCommand = {};
  for (const x of runs)
    for (const [name, calls] of Object.entries(x.redisCommands ?? {}))
      byCommand[name] = (byCommand[name] ?? 0) + calls;
  const total = Object.values(byCommand).reduce((a, b) => a + b, 0);
  const trips = runs.reduce((n, x) => n + (x.redisRoundTrips ?? 0), 0);
  return {
    redisRoundTripsPerReq: round(trips / requests, 3),
    redisCommandsPerReq: round(total / requests, 3),
    redisCommandsPerReqByCommand: Object.fromEntries(
      Object.entries(byCommand).map(([name, calls]) => [name, round(calls / requests, 3)]),
    ),
  };
}

/**
 * The median of each pair's added µs at the reference machine's speed: scaled by how much slower
 * than `referenceUs` the bare framework ran in that very pair; null without a reference or pairs.
 */
function addedAtReference(pairs, cpuDiffs, referenceUs) {
  if (referenceUs === null || pairs.length === 0) return null;
  return round(
    median(pairs.map((p, i) => (cpuDiffs[i] * referenceUs) / p.baseline.cpuUsPerReq)),
    1,
  );
}

/**
 * `measured`: one entry per case (medians); `cases`: issue 8's rows, one per comparison (a case
 * with no comparison has one row with `baseline: null`).
 */
export function aggregate(caseList, runs, pairResults) {
  const measured = caseList.map((c) => {
    const r = runs.get(c.name);
    return {
      name: c.name,
      reqPerSec: round(median(r.map((x) => x.reqPerSec)), 0),
      p50Ms: round(median(r.map((x) => x.p50Ms)), 2),
      p99Ms: round(median(r.map((x) => x.p99Ms)), 2),
      cpuUsPerReq: round(median(r.map((x) => x.cpuUsPerReq)), 1),
      cpuUsPerReqMin: round(Math.min(...r.map((x) => x.cpuUsPerReq ?? Number.NaN)), 1),
      reqPerSecSpreadPct: spread(r.map((x) => x.reqPerSec)),
      cpuSpreadPct: spread(r.map((x) => x.cpuUsPerReq).filter((x) => x !== null)),
      ...redisPerRequest(r),
      runs: r.map((x) => ({
        reqPerSec: round(x.reqPerSec, 0),
        cpuUsPerReq: round(x.cpuUsPerReq, 1),
        timeouts: x.timeouts,
      })),
    };
  });
  const byName = new Map(measured.map((m) => [m.name, m]));
  const cases = [];
  for (const c of caseList) {
    const m = byName.get(c.name);
    const base = {
      name: c.name,
      reqPerSec: m.reqPerSec,
      p50Ms: m.p50Ms,
      p99Ms: m.p99Ms,
      cpuUsPerReq: m.cpuUsPerReq,
    };
    const comparisons = c.compare.filter((cmp) => byName.has(cmp.baseline));
    if (comparisons.length === 0) {
      cases.push({ ...base, baseline: null, ratio: null, target: null });
      continue;
    }
    for (const cmp of comparisons) {
      const pairs = (pairResults.get(pairKey(c.name, cmp.baseline)) ?? []).filter(
        (p) => p.contestant.cpuUsPerReq !== null && p.baseline.cpuUsPerReq !== null,
      );
      // Both sides of a pair were loaded at the same time; the comparison is the median over the pairs.
      const ratios = pairs.map((p) => p.contestant.reqPerSec / p.baseline.reqPerSec);
      const cpuDiffs = pairs.map((p) => p.contestant.cpuUsPerReq - p.baseline.cpuUsPerReq);
      const reference = cmp.referenceBaselineUs ?? null;
      const cpuAddedAtReferenceUs = addedAtReference(pairs, cpuDiffs, reference);
      const ratio = round(median(ratios), 3);
      const cpuAddedUs = round(median(cpuDiffs), 1);
      const target = cmp.target ?? null;
      const cpuAddedMaxUs = cmp.cpuAddedMaxUs ?? null;
      cases.push({
        ...base,
        baseline: cmp.baseline,
        ratio,
        target,
        cpuAddedUs,
        /** The smallest and largest CPU difference of any one pair: how far the pairs disagree. */
        cpuAddedRangeUs:
          cpuDiffs.length > 0
            ? [round(Math.min(...cpuDiffs), 1), round(Math.max(...cpuDiffs), 1)]
            : null,
        ratioRange:
          ratios.length > 0 ? [round(Math.min(...ratios), 3), round(Math.max(...ratios), 3)] : null,
        pairs: pairs.length,
        cpuAddedMaxUs,
        ratioMet: target === null || ratio === null ? null : ratio >= target,
        cpuMet: cpuAddedMaxUs === null || cpuAddedUs === null ? null : cpuAddedUs <= cpuAddedMaxUs,
        /** The bare framework's µs/request the targets were set at, and the added µs scaled to it. */
        referenceBaselineUs: reference,
        cpuAddedAtReferenceUs,
        cpuMetAtReference:
          cpuAddedMaxUs === null || cpuAddedAtReferenceUs === null
            ? null
            : cpuAddedAtReferenceUs <= cpuAddedMaxUs,
      });
    }
  }
  return { cases, measured };
}

const fmt = (n, digits = 0) => (n === null || n === undefined ? '–' : n.toFixed(digits));

/** `[low, high]` as "low … high", or – when there is no pair. */
const range = (pair, format) => (pair === null ? '–' : `${format(pair[0])} … ${format(pair[1])}`);

const signed = (n) => (n === null || n === undefined ? '–' : `${n > 0 ? '+' : ''}${n.toFixed(1)}`);

/** Whether single pairs fell on both sides of `limit`: then this run cannot decide it. */
const spans = (range, limit) => range !== null && range[0] < limit && limit < range[1];

/**
 * The verdict on the medians, as issue 8 asks, and whether the run could decide it: when the
 * pairs themselves disagree about the target, the median's side of it is this run's luck.
 */
export function verdict(row) {
  const parts = [];
  if (row.ratioMet !== null) {
    const undecided = spans(row.ratioRange ?? null, row.target);
    parts.push(`req/s ${row.ratioMet ? '✅' : '❌'}${undecided ? ' (pairs on both sides)' : ''}`);
  }
  if (row.cpuMet !== null) {
    const over = row.cpuAddedUs - row.cpuAddedMaxUs;
    const undecided = spans(row.cpuAddedRangeUs ?? null, row.cpuAddedMaxUs);
    parts.push(
      row.cpuMet
        ? `CPU ✅${undecided ? ' (pairs on both sides)' : ''}`
        : over < CPU_NOISE_US
          ? 'CPU ≈ (within noise)'
          : `CPU ❌${undecided ? ' (pairs on both sides)' : ''}`,
    );
    if (row.cpuMetAtReference != null && row.cpuMetAtReference !== row.cpuMet)
      parts.push(`CPU at reference speed ${row.cpuMetAtReference ? '✅' : '❌'}`);
  }
  return parts.join(', ') || 'reference';
}

/** What this run's spreads say about the machine's noise, in words. */
function noiseNote(report) {
  const spreads = (key) => report.measured.map((m) => m[key]).filter((v) => v !== null);
  const worst = (key) => (spreads(key).length ? Math.max(...spreads(key)) : null);
  const typical = (key) => median(spreads(key));
  const measuredNote =
    report.settings.runs > 1
      ? ` In this run the req/s of one case moved by ${fmt(typical('reqPerSecSpreadPct'))} % between its rounds (median over cases; worst ${fmt(worst('reqPerSecSpreadPct'))} %), its server CPU µs/request by ${fmt(typical('cpuSpreadPct'))} % (worst ${fmt(worst('cpuSpreadPct'))} %); the load average went from ${report.machine.loadavgBefore[0]} to ${report.machine.loadavgAfter[0]} on ${report.machine.cores} cores.`
      : '';
  return `This is a shared 2-core machine: other processes (test suites) take CPU while the bench runs, so req/s moves 30–50 % between runs, often more, and even between the rounds of one run.${measuredNote} Server CPU µs per request moves far less, because it counts only the work the server process did; targets are judged on it first, and differences under ~${CPU_NOISE_US} µs/request are below this machine's noise ("≈" above); under heavy contention it rises too (context switches, cold caches), which the "lowest run" column shows, and the host's contention drifts within seconds, which is why every comparison is measured with both servers loaded at once on the same core rather than as a difference of two runs taken at different times. Ratios compare cases of the same run only. p99 latency is the most noise-sensitive figure: a run that coincides with someone's test suite shows it there first.`;
}

function markdown(report) {
  const s = report.settings;
  const lines = [
    '# Benchmark results',
    '',
    `Written by \`npm run bench\` (\`bench/run.mjs\`, ${s.mode} mode) on ${report.date}; do not edit by hand, run it again.`,
    'Cases, targets and method: issue 8 and `bench/README.md`. Machine-readable: `bench/results.json`.',
    '',
    ...(s.mode === 'quick'
      ? [
          '**Quick mode**: one round, cold 1 s runs (each case alone, then each pair), no warm-up. These figures only prove that the suite runs; read the full run in `bench/RESULTS.md`.',
          '',
        ]
      : []),
    '## Setup',
    '',
    `- Node ${report.node}, portcullis ${report.versions.portcullis}; load tool ${report.tool}, ${s.connections} connections, one thread.`,
    `- ${report.machine.cores} cores (${report.machine.cpu}); ${s.pinned ? 'each server in its own process pinned to core 1 (`taskset -c 1`), the load generator and the proxy upstream on core 0' : 'NOT pinned (no taskset or a single core)'}.`,
    `- ${s.warmupSeconds > 0 ? `${s.warmupSeconds} s warm-up per case, then ` : ''}${s.runs} round(s). A round runs every case alone for ${s.seconds} s (the first table: medians over the rounds), then every comparison as a pair loaded at the same time for ${s.seconds} s, both servers on core 1, each with its own ${s.connections} connections (the second table: medians over the pairs). Two busy processes on one core get equal CPU time, so a pair's req/s ratio is the ratio of the two servers' costs, and whatever slows the core slows both sides alike.`,
    `- Server CPU µs/request: user+system time of the server process from \`/proc/<pid>/stat\` (CLK_TCK ${s.clkTck}) over the measured run, divided by the requests it served.`,
    `- Load average before/after: ${report.machine.loadavgBefore.join(' ')} / ${report.machine.loadavgAfter.join(' ')} (other processes were running on the same 2-core machine).`,
    '',
    '## Cases',
    '',
    '| case | req/s | p50 ms | p99 ms | server CPU µs/req | lowest run | req/s spread | CPU spread |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const m of report.measured) {
    lines.push(
      `| ${m.name} | ${fmt(m.reqPerSec)} | ${fmt(m.p50Ms, 2)} | ${fmt(m.p99Ms, 2)} | ${fmt(m.cpuUsPerReq, 1)} | ${fmt(Number.isNaN(m.cpuUsPerReqMin) ? null : m.cpuUsPerReqMin, 1)} | ${m.reqPerSecSpreadPct === null ? '–' : `${m.reqPerSecSpreadPct}%`} | ${m.cpuSpreadPct === null ? '–' : `${m.cpuSpreadPct}%`} |`,
    );
  }
  lines.push(
    '',
    'Each case alone; figures are medians over the rounds; "lowest run" is the smallest CPU µs/request of any run of the case (the run least disturbed by other processes); spread is (max − min) / median over the rounds. The spreads are why the comparisons below are measured as simultaneous pairs.',
    '',
    '## Comparisons and targets (same run)',
    '',
    'Each figure is the median over the rounds of that comparison\'s simultaneous pair (both servers sharing core 1, so req/s here is about half of the first table\'s); the ranges are the lowest and highest single pair, and say how far this run can be trusted: "(pairs on both sides)" marks a verdict that single pairs contradicted, which this run therefore cannot settle. `bench/INSTRUCTIONS.md` (instructions per request) is the measure that repeats on a noisy machine.',
    '',
    `"At reference speed" is each pair's added µs scaled by the bare framework's µs in the issue's reference figures (${Object.entries(
      REFERENCE_BARE_US,
    )
      .map(([fw, us]) => `${fw} ${us}`)
      .join(
        ', ',
      )}) over its µs in that pair: the same code costs more µs when the host runs slower, and a difference measured on a slow host would otherwise miss a target that the reference machine would meet. The verdict is on the measured figure; it names the scaled one where the two disagree.`,
    '',
    '| case | compared with | req/s ratio | (pair range) | target | CPU µs/req added | (pair range) | at reference speed | CPU target | verdict |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---|',
  );
  for (const row of report.cases.filter((r) => r.baseline !== null)) {
    lines.push(
      `| ${row.name} | ${row.baseline} | ${fmt(row.ratio, 3)} | ${range(row.ratioRange, (n) => fmt(n, 2))} | ${row.target === null ? '–' : `≥ ${row.target}`} | ${signed(row.cpuAddedUs)} | ${range(row.cpuAddedRangeUs, signed)} | ${signed(row.cpuAddedAtReferenceUs)} | ${row.cpuAddedMaxUs === null ? '–' : `≤ +${row.cpuAddedMaxUs}`} | ${verdict(row)} |`,
    );
  }
  const onRedis = report.measured.filter((m) => m.redisCommandsPerReq !== undefined);
  if (onRedis.length > 0) {
    lines.push(
      '',
      '## Redis commands per request',
      '',
      "Round trips are the commands the case's Redis client sent (counted in its process), commands are what Redis ran, from `INFO commandstats` on the bench's own Redis server or three-master Cluster (nobody else's commands, summed over the nodes), over every measured run; INFO also counts the commands a Lua script runs (the deadline's TIME, the bucket's GET and SET...).",
      '',
    );
    for (const m of onRedis) {
      const detail = Object.entries(m.redisCommandsPerReqByCommand)
        .map(([name, n]) => `${name} ${n}`)
        .join(', ');
      lines.push(
        `- ${m.name}: ${m.redisRoundTripsPerReq} round trips, ${m.redisCommandsPerReq} commands per request (${detail})`,
      );
    }
  }
  lines.push('', '## Memory', '');
  const mem = report.memory;
  if (mem.skipped) lines.push(`Skipped: ${mem.skipped}.`);
  for (const item of mem.items ?? []) lines.push(`- ${item}`);
  if (mem.error) lines.push(`- FAILED: ${mem.error}`);
  lines.push('', '## Not measured yet', '');
  if (report.skipped.length === 0) lines.push('Every case of issue 8 ran.');
  else {
    lines.push(
      'These cases run as soon as what they need is there (the runner checks `Object.keys(gateway)`, `dist/redis.js` and `redis-server`):',
      '',
    );
    for (const sk of report.skipped) lines.push(`- ${sk.name} — ${sk.reason}`);
  }
  lines.push(
    '',
    '## Versions',
    '',
    ...Object.entries(report.versions).map(([name, v]) => `- ${name} ${v ?? '(not installed)'}`),
    '',
    '## Reading these numbers',
    '',
    noiseNote(report),
    '',
  );
  return lines.join('\n');
}

/** Full runs write bench/RESULTS.md and bench/results.json; quick or partial runs write under bench/.runs/ (ignored by git). */
export function writeReports(report, { partial }) {
  const dir = report.settings.mode === 'full' && !partial ? BENCH : path.join(BENCH, '.runs');
  mkdirSync(dir, { recursive: true });
  const { measured, ...json } = report;
  const jsonFile = path.join(dir, 'results.json');
  const mdFile = path.join(dir, 'RESULTS.md');
  writeFileSync(jsonFile, `${JSON.stringify({ ...json, measured }, null, 2)}\n`);
  writeFileSync(mdFile, markdown(report));
  return [path.relative(process.cwd(), mdFile), path.relative(process.cwd(), jsonFile)];
}
