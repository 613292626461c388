/** Pure header helpers shared by the middlewares. */

import type { OutgoingHttpHeader } from 'node:http';

/**
 * Merges `fields` into an existing `Vary` value (RFC 9110 §12.5.5): keeps what is there,
 * adds what is missing (case-insensitively), and leaves `*` alone. Returns `undefined`
 * when nothing changes.
 */
export function mergeVary(
  existing: OutgoingHttpHeader | undefined,
  fields: readonly string[],
): string | undefined {
  if (existing === undefined || existing === '') return fields.join(', ');
  const current = Array.isArray(existing) ? existing.join(', ') : String(existing);
  if (current.trim() === '*') return undefined;
  const present = current
    .toLowerCase()
    .split(',')
    .map((field) => field.trim());
  if (present.includes('*')) return undefined;
  let merged = current;
  for (const field of fields) {
    if (!present.includes(field.toLowerCase())) merged += `, ${field}`;
  }
  return merged === current ? undefined : merged;
}
