/**
 * A statement's `Resource` entries: read at start-up into their ARN parts, the API's own region,
 * account and id settled (the options, else what the policy names), then turned into patterns
 * over `{apiId}/{stage}/{METHOD}{path}`.
 */

import {
  hasWildcard,
  type PreparedPattern,
  preparePattern,
  wildcardMatch,
} from '../../core/iam-policy.js';
import { PolicySyntaxError } from './conditions.js';
import type { ResourcePolicyWarning } from './types.js';

/** The API's ARN parts the options give, and what the compiler reports to. */
export interface ApiArnSettings {
  readonly region: string | undefined;
  readonly accountId: string | undefined;
  readonly apiId: string | undefined;
  readonly defaults: ApiArn;
  /** The router ignores case: patterns are lower-cased and paths folded as they are read. */
  readonly foldCase: boolean;
  /** The router tells `/pets/` from `/pets`: else paths are matched without a trailing `/`. */
  readonly strictRouting: boolean;
  readonly report: (warning: ResourcePolicyWarning) => void;
}

/** The API's own ARN parts, settled. */
export interface ApiArn {
  readonly region: string;
  readonly accountId: string;
  readonly apiId: string;
}

/** What `patternsOf` needs of a statement. */
export interface StatementResources {
  readonly index: number;
  readonly sid: string | undefined;
  readonly resources: readonly ResourceEntry[];
}

const SHORT_FORM = 'execute-api:/';

/** Thrown when the options leave the API's ARN ambiguous (the policy names several). */
export class AmbiguousArnError extends Error {
  constructor(
    readonly option: 'region' | 'accountId' | 'apiId',
    readonly names: readonly string[],
  ) {
    super(`the policy names several (${names.join(', ')})`);
  }
}

/** A Resource entry read into its ARN parts (before the API's own ARN is known). */
export type ResourceEntry =
  | { readonly kind: 'any' }
  | { readonly kind: 'short'; readonly rest: string }
  | {
      readonly kind: 'arn';
      readonly region: string;
      readonly account: string;
      readonly rest: string;
    };

/**
 * Reads one Resource entry: `*`, API Gateway's short form `execute-api:/{stage}/{METHOD}/{path}`
 * (which it expands to the API's own ARN), or `arn:{partition}:execute-api:{region}:{account}:…`.
 * A `*` ending an ARN segment may reach across the colons after it (IAM's rule), so a shorter
 * ARN ending in `*` is read with the missing segments as `*`.
 */
export function readResource(text: string, where: string): ResourceEntry {
  if (text === '*') return { kind: 'any' };
  if (text.startsWith(SHORT_FORM)) return { kind: 'short', rest: text.slice(SHORT_FORM.length) };
  const segments = text.split(':');
  const expected = 'an execute-api ARN (arn:aws:execute-api:…), execute-api:/… or *';
  if (segments[0] !== 'arn') throw new PolicySyntaxError(where, expected, text);
  if (segments.length < 6) {
    if (!text.endsWith('*')) throw new PolicySyntaxError(where, expected, text);
    while (segments.length < 6) segments.push('*');
  }
  const [, , service = '', region = '', account = '', ...rest] = segments;
  if (!wildcardMatch(service, 'execute-api')) throw new PolicySyntaxError(where, expected, text);
  return { kind: 'arn', region, account, rest: rest.join(':') };
}

/** The API's region, account and id: the option, else the one the policy names, else the default. */
function resolveArnPart(
  option: 'region' | 'accountId' | 'apiId',
  given: string | undefined,
  named: Iterable<string>,
  fallback: string,
): string {
  if (given !== undefined) return given;
  const distinct = [...new Set(named)];
  if (distinct.length > 1) throw new AmbiguousArnError(option, distinct);
  return distinct[0] ?? fallback;
}

/** The literal value of a part, when it has no wildcard. */
function* literals(
  entries: readonly ResourceEntry[],
  part: (arn: { region: string; account: string; rest: string }) => string,
) {
  for (const entry of entries) {
    if (entry.kind !== 'arn') continue;
    const value = part(entry);
    if (value !== '' && !hasWildcard(value)) yield value;
  }
}

function apiIdOf(rest: string): string {
  const slash = rest.indexOf('/');
  return slash === -1 ? rest : rest.slice(0, slash);
}

/** The statement's resources as patterns; those naming another region, account or API dropped. */
export function patternsOf(
  statement: StatementResources,
  api: ApiArn,
  settings: ApiArnSettings,
): { patterns: PreparedPattern[]; any: boolean } {
  const patterns: PreparedPattern[] = [];
  let any = false;
  for (const [i, entry] of statement.resources.entries()) {
    if (entry.kind === 'any') {
      any = true;
      continue;
    }
    let pattern: string;
    if (entry.kind === 'short') pattern = `${api.apiId}/${entry.rest}`;
    else if (wildcardMatch(entry.region, api.region) && wildcardMatch(entry.account, api.accountId))
      pattern = entry.rest;
    else {
      settings.report({
        statement: statement.index,
        sid: statement.sid,
        message: `Statement[${statement.index}] Resource[${i}] names another region or account than ${api.region}:${api.accountId}: it never matches`,
      });
      continue;
    }
    if (pattern === '*') {
      any = true;
      continue;
    }
    const text = settings.foldCase ? pattern.toLowerCase() : pattern;
    patterns.push(preparePattern(text));
    const unslashed = settings.strictRouting ? undefined : unslashedPattern(text);
    if (unslashed !== undefined) patterns.push(preparePattern(unslashed));
  }
  return { patterns, any };
}

/**
 * A router that serves `/admin/` as `/admin` has its paths matched without the trailing `/`: a
 * pattern that matches the slashed spelling (`…/admin/`, `…/admin/*`, `…/admin?`) is tried on the
 * other as well, through the pattern that matches `P` exactly when `pattern` matches `P/` — its
 * trailing `*`s (which may match nothing) and then a final `/` or `?` taken off. Undefined when
 * `pattern` cannot match a text ending in `/` other than by a `*` that matches more.
 */
function unslashedPattern(pattern: string): string | undefined {
  let end = pattern.length;
  while (end > 0 && pattern.charCodeAt(end - 1) === 42 /* * */) end--;
  const last = pattern.charCodeAt(end - 1);
  return last === 47 /* / */ || last === 63 /* ? */ ? pattern.slice(0, end - 1) : undefined;
}

/** The API's region, account and id, from the options or from the policy's ARNs. */
export function apiArnOf(entries: readonly ResourceEntry[], settings: ApiArnSettings): ApiArn {
  const { defaults } = settings;
  return {
    region: resolveArnPart(
      'region',
      settings.region,
      literals(entries, (a) => a.region),
      defaults.region,
    ),
    accountId: resolveArnPart(
      'accountId',
      settings.accountId,
      literals(entries, (a) => a.account),
      defaults.accountId,
    ),
    apiId: resolveArnPart(
      'apiId',
      settings.apiId,
      literals(entries, (a) => apiIdOf(a.rest)),
      defaults.apiId,
    ),
  };
}
