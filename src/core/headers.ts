/** Pure header helpers shared by the middlewares. */

import type { OutgoingHttpHeader } from 'node:http';

/**
 * Hop-by-hop fields (RFC 9110 §7.6.1 and the classic RFC 2616 §13.5.1 list): they describe one
 * connection, so a proxy must not forward them and a cache must not store them. Fields named by
 * a `Connection` header are hop-by-hop as well.
 */
export const HOP_BY_HOP_HEADERS: readonly string[] = Object.freeze([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

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
