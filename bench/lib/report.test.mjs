/** The bench's arithmetic: comparisons come from pairs measured together, and verdicts say when pairs disagree. */

import { describe, expect, it } from 'vitest';
import { aggregate, pairKey, verdict } from './report.mjs';

const run = (cpuUsPerReq, reqPerSec) => ({
  requests: 10_000,
  reqPerSec,
  p50Ms: 1,
  p99Ms: 2,
  cpuUsPerReq,
  timeouts: 0,
});

const bare = { name: 'bare', compare: [] };
const contestant = {
  name: 'contestant',
  compare: [{ baseline: 'bare', target: 0.9, cpuAddedMaxUs: 20 }],
};

/** `aggregate()` over one comparison of `contestantCase` with 'bare', measured as `pairs`. */
function aggregatePairs(contestantCase, pairs) {
  const runs = new Map([
    ['bare', pairs.map((p) => p.baseline)],
    ['contestant', pairs.map((p) => p.contestant)],
  ]);
  return aggregate([bare, contestantCase], runs, new Map([[pairKey('contestant', 'bare'), pairs]]));
}

/** Three rounds on a machine whose speed drifts: slow, fast, then a round where only one side was hit. */
function drifting() {
  return aggregatePairs(contestant, [
    { baseline: run(100, 1000), contestant: run(110, 950) },
    { baseline: run(300, 400), contestant: run(310, 380) },
    { baseline: run(200, 500), contestant: run(500, 200) },
  ]);
}

describe('aggregate()', () => {
  it('takes the median of the pairs’ differences, not the difference of the medians', () => {
    const row = drifting().cases.find((c) => c.name === 'contestant');
    // Medians of the cases alone: 310 − 200 = +110 µs. Pair by pair: +10, +10, +300.
    expect(row.cpuAddedUs).toBe(10);
    expect(row.cpuAddedRangeUs).toEqual([10, 300]);
    expect(row.ratio).toBe(0.95);
    expect(row.ratioRange).toEqual([0.4, 0.95]);
    expect(row.pairs).toBe(3);
    expect(row.cpuMet).toBe(true);
    expect(row.ratioMet).toBe(true);
  });

  it('keeps each case’s own figures as medians over all its runs', () => {
    const measured = drifting().measured.find((m) => m.name === 'contestant');
    expect(measured.cpuUsPerReq).toBe(310);
    expect(measured.cpuUsPerReqMin).toBe(110);
  });
});

describe('added CPU at reference speed', () => {
  const scaled = (referenceBaselineUs) => {
    const slow = {
      name: 'contestant',
      compare: [{ ...contestant.compare[0], referenceBaselineUs }],
    };
    // The host ran at half the reference speed (bare 200 µs against 100) in two pairs of three.
    const result = aggregatePairs(slow, [
      { baseline: run(200, 500), contestant: run(230, 450) },
      { baseline: run(100, 1000), contestant: run(115, 900) },
      { baseline: run(200, 500), contestant: run(232, 440) },
    ]);
    return result.cases.find((c) => c.name === 'contestant');
  };

  it('scales each pair’s difference by the reference over that pair’s bare µs', () => {
    const row = scaled(100);
    // Measured: +30, +15, +32 (median +30, over the +20 target); at reference speed +15, +15, +16.
    expect(row.cpuAddedUs).toBe(30);
    expect(row.cpuMet).toBe(false);
    expect(row.cpuAddedAtReferenceUs).toBe(15);
    expect(row.cpuMetAtReference).toBe(true);
    expect(verdict(row)).toBe('req/s ✅, CPU ❌ (pairs on both sides), CPU at reference speed ✅');
  });

  it('leaves the figure out where no reference is given', () => {
    const row = scaled(undefined);
    expect(row.cpuAddedAtReferenceUs).toBeNull();
    expect(row.cpuMetAtReference).toBeNull();
    expect(verdict(row)).toBe('req/s ✅, CPU ❌ (pairs on both sides)');
  });
});

describe('verdict()', () => {
  it('marks a verdict that single pairs contradict', () => {
    const row = drifting().cases.find((c) => c.name === 'contestant');
    expect(verdict(row)).toBe('req/s ✅ (pairs on both sides), CPU ✅ (pairs on both sides)');
  });

  it('gives a plain verdict when every pair agrees', () => {
    expect(
      verdict({
        ratioMet: false,
        target: 0.95,
        ratioRange: [0.7, 0.9],
        cpuMet: false,
        cpuAddedUs: 40,
        cpuAddedMaxUs: 10,
        cpuAddedRangeUs: [30, 50],
      }),
    ).toBe('req/s ❌, CPU ❌');
  });
});
