/**
 * A compiled resource policy's verdict for one request, in one pass over its statements. The
 * request's ARN is never built: each pattern is matched against `{apiId}/{stage}/`, the method
 * and the path read in place.
 */

import type { Exchange } from '../../core/exchange.js';
import { type PreparedPattern, preparedMatch, type Verdict } from '../../core/iam-policy.js';
import type { ParsedAddress } from '../ip-filter/addresses.js';
import type { CompiledPolicy, CompiledStatement } from './types.js';

/**
 * What a statement's resources are matched against: up to four variants, one bit each. `raw` is
 * the path as the router matches it, `resolved` as an upstream resolves it (paths.ts); `GET` is
 * tried too for a `HEAD` request, which the router serves from the `GET` route (RFC 9110 §9.3.2).
 */
export interface RequestResource {
  /** `{apiId}/{stage}/`. */
  lead: string;
  method: string;
  head: boolean;
  raw: string;
  /** The resolved spelling: `raw` itself (the usual case), another path, or undefined (unreadable). */
  resolved: string | undefined;
  foldCase: boolean;
}

const RAW = 1; // raw path, own method
const RAW_GET = 2; // raw path, GET for HEAD
const RESOLVED_SHIFT = 2; // the same two bits for the resolved path
const ALL = 15;

function matchesAny(
  patterns: readonly PreparedPattern[],
  r: RequestResource,
  method: string,
  path: string,
) {
  for (let i = 0; i < patterns.length; i++)
    if (preparedMatch(patterns[i]!, r.lead, method, path, r.foldCase)) return true;
  return false;
}

/** The variants of `r` that `patterns` match, for one spelling of the path. */
function spellingMask(
  patterns: readonly PreparedPattern[],
  r: RequestResource,
  path: string,
): number {
  let mask = matchesAny(patterns, r, r.method, path) ? RAW : 0;
  if (r.head && matchesAny(patterns, r, 'GET', path)) mask |= RAW_GET;
  return mask;
}

const RESOLVED = 3 << RESOLVED_SHIFT;

/** The variants of the request a statement's Resource (or NotResource) covers. */
function resourceMask(statement: CompiledStatement, r: RequestResource): number {
  let mask: number;
  if (statement.anyResource) mask = ALL;
  else {
    mask = spellingMask(statement.resources, r, r.raw);
    if (r.resolved === r.raw) mask |= mask << RESOLVED_SHIFT;
    else if (r.resolved !== undefined)
      mask |= spellingMask(statement.resources, r, r.resolved) << RESOLVED_SHIFT;
  }
  // Without `GET` to try, its bits say the same as the method's.
  if (!r.head) mask |= (mask & (RAW | (RAW << RESOLVED_SHIFT))) << 1;
  if (statement.negated) mask = ALL & ~mask;
  // A path this gateway cannot read (not UTF-8, or climbing above the root) may still be read as
  // any path by an upstream more lenient than that (`/%ff/../admin`, `/../admin` are its
  // `/admin`): no pattern can be said to miss it, nor to match it. Every Deny, Resource or
  // NotResource, is taken to cover it and no Allow, `*` included: it is refused either way.
  if (r.resolved === undefined) mask = statement.deny ? mask | RESOLVED : mask & ~RESOLVED;
  return mask;
}

function conditionsHold(
  statement: CompiledStatement,
  ex: Exchange,
  address: ParsedAddress | undefined,
): boolean {
  const { conditions } = statement;
  for (let i = 0; i < conditions.length; i++) if (!conditions[i]!(ex, address)) return false;
  return true;
}

/** Whether the Allows matched so far cover the request: some variant of each spelling. */
function covered(allowed: number): boolean {
  return (allowed & 3) !== 0 && (allowed & 12) !== 0;
}

/**
 * IAM's evaluation as API Gateway applies a resource policy alone: a matching Deny refuses
 * (explicitly), else a matching Allow admits, else the request is implicitly denied. A Deny
 * matching either spelling of the path refuses; an Allow must match both.
 */
export function evaluatePolicy(
  policy: CompiledPolicy,
  ex: Exchange,
  address: ParsedAddress | undefined,
  r: RequestResource,
): Verdict {
  let allowed = 0;
  const { statements } = policy;
  // Indexed loops on the request path: an iterator per loop would be an allocation per request.
  for (let i = 0; i < statements.length; i++) {
    const statement = statements[i]!;
    const mask = resourceMask(statement, r);
    if (mask === 0 || !conditionsHold(statement, ex, address)) continue;
    if (statement.deny) return 'explicitDeny';
    allowed |= mask;
    // Denies come first: none is left to check.
    if (covered(allowed)) return 'allow';
  }
  return 'implicitDeny';
}
