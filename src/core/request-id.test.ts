import { describe, expect, it } from 'vitest';
import { randomRequestId } from './request-id.js';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('randomRequestId()', () => {
  it('makes version 4 UUIDs, all different, across refills of the random pool', () => {
    const ids = Array.from({ length: 2000 }, () => randomRequestId());
    for (const id of ids) expect(id).toMatch(UUID_V4);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('spreads its digits: every hex digit appears in every free position', () => {
    const ids = Array.from({ length: 4000 }, () => randomRequestId());
    for (const position of [0, 9, 15, 20, 35]) {
      expect(new Set(ids.map((id) => id[position])).size).toBe(16);
    }
  });
});
