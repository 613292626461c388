import { describe, expect, it } from 'vitest';
import { DAY_MS, isoDate, periodBounds, toUtcDay, usageRows } from './quota.js';

const at = (iso: string) => Date.parse(iso);

describe('periodBounds()', () => {
  it('gives the UTC day', () => {
    expect(periodBounds('day', at('2026-03-10T23:59:59.999Z'))).toEqual({
      start: at('2026-03-10T00:00:00Z'),
      end: at('2026-03-11T00:00:00Z'),
    });
  });

  it('gives the UTC week from Monday 00:00, on every weekday and across a year end', () => {
    const monday = at('2026-01-05T00:00:00Z');
    for (let d = 0; d < 7; d++)
      expect(periodBounds('week', monday + d * DAY_MS + 3_600_000).start).toBe(monday);
    expect(periodBounds('week', at('2026-01-04T23:59:59Z')).start).toBe(at('2025-12-29T00:00:00Z'));
    expect(periodBounds('week', at('2021-01-01T12:00:00Z'))).toEqual({
      start: at('2020-12-28T00:00:00Z'),
      end: at('2021-01-04T00:00:00Z'),
    });
  });

  it('gives the UTC calendar month, with leap Februaries and December', () => {
    expect(periodBounds('month', at('2028-02-29T12:00:00Z'))).toEqual({
      start: at('2028-02-01T00:00:00Z'),
      end: at('2028-03-01T00:00:00Z'),
    });
    expect(periodBounds('month', at('2026-12-31T23:59:59Z')).end).toBe(at('2027-01-01T00:00:00Z'));
  });
});

describe('usageRows()', () => {
  it('reports [used, remaining] per day, remaining counting the earlier days of the period', () => {
    const monday = at('2026-01-05T00:00:00Z');
    const rule = { limit: 10, period: 'week' as const, offset: 0 };
    // Counts from Monday; the report starts on Wednesday.
    const rows = usageRows([2, 3, 1, 0, 4, 0, 0, 5], monday, monday + 2 * DAY_MS, rule, 0);
    expect(rows).toEqual([
      [1, 4],
      [0, 4],
      [4, 0],
      [0, 0],
      [0, 0],
      [5, 5], // next Monday: a new week
    ]);
  });

  it('takes the offset from the first period only, and reports null remaining without a quota', () => {
    const d0 = at('2026-01-05T00:00:00Z');
    const rule = { limit: 10, period: 'day' as const, offset: 4 };
    expect(usageRows([1, 1], d0, d0, rule, d0)).toEqual([
      [1, 5],
      [1, 9],
    ]);
    expect(usageRows([7], d0, d0, undefined, 0)).toEqual([[7, null]]);
  });
});

describe('toUtcDay()', () => {
  it('accepts dates, times and YYYY-MM-DD, and refuses impossible dates', () => {
    const day = at('2026-02-03T00:00:00Z');
    expect(toUtcDay('2026-02-03')).toBe(day);
    expect(toUtcDay(new Date('2026-02-03T18:00:00Z'))).toBe(day);
    expect(toUtcDay(day + 5)).toBe(day);
    expect(toUtcDay('2026-02-30')).toBeUndefined();
    expect(toUtcDay('03/02/2026')).toBeUndefined();
    expect(toUtcDay(Number.NaN)).toBeUndefined();
    expect(isoDate(day)).toBe('2026-02-03');
  });
});
