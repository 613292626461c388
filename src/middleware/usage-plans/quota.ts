/** Quota periods in UTC (day, week from Monday, month) and the usage report: pure functions of time. */

export type QuotaPeriod = 'day' | 'week' | 'month';

export const DAY_MS = 86_400_000;

/** `[start, end)` of a quota period, ms since the epoch. */
export interface PeriodBounds {
  readonly start: number;
  readonly end: number;
}

/**
 * The period containing `now`: the UTC day; the UTC week starting Monday 00:00 (ISO 8601, as API
 * Gateway's WEEK); or the UTC calendar month.
 * @see https://docs.aws.amazon.com/apigateway/latest/api/API_QuotaSettings.html
 */
export function periodBounds(period: QuotaPeriod, now: number): PeriodBounds {
  const day = Math.floor(now / DAY_MS);
  if (period === 'day') return { start: day * DAY_MS, end: (day + 1) * DAY_MS };
  if (period === 'week') {
    // 1970-01-01 was a Thursday: day 0 is 3 days after a Monday.
    const monday = day - ((day + 3) % 7);
    return { start: monday * DAY_MS, end: (monday + 7) * DAY_MS };
  }
  const date = new Date(now);
  const year = date.getUTCFullYear();
  const month = date.getUTCMonth();
  return { start: Date.UTC(year, month, 1), end: Date.UTC(year, month + 1, 1) };
}

/** A plan's quota, validated. */
export interface QuotaRule {
  readonly limit: number;
  readonly period: QuotaPeriod;
  /** Requests taken from the allowance of the first period only (API Gateway's `offset`). */
  readonly offset: number;
}

/** The allowance of the period starting at `periodStart`; `firstPeriodStart` is the plan's first. */
export function periodLimit(
  rule: QuotaRule,
  periodStart: number,
  firstPeriodStart: number,
): number {
  return periodStart === firstPeriodStart ? rule.limit - rule.offset : rule.limit;
}

/** One day of a usage report: requests used that day, and the quota left at its end (null without a quota). */
export type UsageDay = [used: number, remaining: number | null];

/**
 * Turns per-day counts into API Gateway's GetUsage rows. `counts[i]` is the usage of day
 * `countsFrom + i * DAY_MS`, and `countsFrom` must be the start of the quota period containing
 * `from`, so that `remaining` accounts for the earlier days of that period.
 */
export function usageRows(
  counts: readonly number[],
  countsFrom: number,
  from: number,
  rule: QuotaRule | undefined,
  firstPeriodStart: number,
): UsageDay[] {
  const rows: UsageDay[] = [];
  let periodEnd = Number.NEGATIVE_INFINITY;
  let limit = 0;
  let used = 0;
  for (let i = 0; i < counts.length; i++) {
    const day = countsFrom + i * DAY_MS;
    const count = counts[i] ?? 0;
    if (rule !== undefined && day >= periodEnd) {
      const bounds = periodBounds(rule.period, day);
      periodEnd = bounds.end;
      limit = periodLimit(rule, bounds.start, firstPeriodStart);
      used = 0;
    }
    used += count;
    if (day >= from) rows.push([count, rule === undefined ? null : Math.max(0, limit - used)]);
  }
  return rows;
}

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** A UTC day start from a `Date`, a time in ms, or a `YYYY-MM-DD` string; undefined when invalid. */
export function toUtcDay(value: Date | number | string): number | undefined {
  let ms: number;
  if (value instanceof Date) ms = value.getTime();
  else if (typeof value === 'number') ms = value;
  else {
    const match = ISO_DATE.exec(value);
    if (match === null) return undefined;
    ms = Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]));
    if (new Date(ms).toISOString().slice(0, 10) !== value) return undefined;
  }
  return Number.isFinite(ms) ? Math.floor(ms / DAY_MS) * DAY_MS : undefined;
}

/** `YYYY-MM-DD` of a UTC day. */
export function isoDate(day: number): string {
  return new Date(day).toISOString().slice(0, 10);
}
