/** The draft RateLimit fields parsed with a structured-field parser (RFC 8941), as a client would. */

import { parseList } from 'structured-headers';
import { expect } from 'vitest';

/** `RateLimit-Policy` parsed as the draft defines it: a List of String items with Integer q and w. */
export function parseRateLimitPolicy(
  value: string | string[] | undefined,
): Array<{ name: string; q: number; w: number }> {
  expect(typeof value).toBe('string');
  return parseList(value as string).map(([name, params]) => {
    expect(typeof name).toBe('string');
    expect([...params.keys()].sort()).toEqual(['q', 'w']);
    const q = params.get('q');
    const w = params.get('w');
    expect(Number.isInteger(q) && (q as number) >= 0).toBe(true);
    expect(Number.isInteger(w) && (w as number) >= 1).toBe(true);
    return { name: name as string, q: q as number, w: w as number };
  });
}

/** `RateLimit` parsed as the draft defines it: String items with Integer r and t. */
export function parseRateLimit(
  value: string | string[] | undefined,
): Array<{ name: string; r: number; t: number }> {
  expect(typeof value).toBe('string');
  return parseList(value as string).map(([name, params]) => {
    expect(typeof name).toBe('string');
    expect([...params.keys()].sort()).toEqual(['r', 't']);
    const r = params.get('r');
    const t = params.get('t');
    expect(Number.isInteger(r) && (r as number) >= 0).toBe(true);
    expect(Number.isInteger(t) && (t as number) >= 0).toBe(true);
    return { name: name as string, r: r as number, t: t as number };
  });
}
