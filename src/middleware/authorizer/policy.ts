/**
 * An authorizer's answer, checked once and kept as a decision that is evaluated again for each
 * request's own method and path (so a cached Allow for `GET /pets` says nothing of `DELETE /pets/1`).
 */

import type { Principal } from '../../core/context.js';
import {
  hasWildcard,
  isPlainObject,
  namesInvoke,
  stringList,
  type Verdict,
  wildcardMatch,
} from '../../core/iam-policy.js';

export { type Verdict, wildcardMatch };

/** A result, validated: what the cache keeps. */
export interface Decision {
  /** The answer as `fn` gave it, for a shared store (serialised at once, never read per request). */
  readonly source: unknown;
  readonly principal: Principal;
  readonly usageIdentifierKey: string | undefined;
  /** The simple form's answer for every request; undefined for a policy. */
  readonly allowAll: boolean | undefined;
  /** Resource patterns of the statements that apply to `execute-api:Invoke`. */
  readonly allows: readonly ArnPattern[];
  readonly denies: readonly ArnPattern[];
  /** Routing ignores case: patterns are lower-cased, and the request's ARN is folded as it is read. */
  readonly foldCase: boolean;
}

/** A Resource pattern: the literal when it has no wildcard, else the pattern for `wildcardMatch`. */
interface ArnPattern {
  readonly text: string;
  readonly literal: boolean;
}

/** Thrown for a result that is not a valid authorizer answer (500 AUTHORIZER_CONFIGURATION_ERROR). */
export class MalformedResult extends Error {}

function matchesAny(patterns: readonly ArnPattern[], arn: string, foldCase: boolean): boolean {
  for (const pattern of patterns) {
    const matched =
      pattern.literal && !foldCase
        ? pattern.text === arn
        : wildcardMatch(pattern.text, arn, foldCase);
    if (matched) return true;
  }
  return false;
}

/**
 * The verdict for one request. An explicit Deny wins over any Allow; no matching Allow is an
 * implicit deny (IAM's evaluation logic). `alsoArn` is the `GET` resource of a `HEAD` request,
 * which the router serves from the `GET` route: a Deny of either denies it, an Allow of either
 * allows it.
 */
export function evaluate(decision: Decision, arn: string, alsoArn: string | undefined): Verdict {
  const { foldCase } = decision;
  if (
    matchesAny(decision.denies, arn, foldCase) ||
    (alsoArn !== undefined && matchesAny(decision.denies, alsoArn, foldCase))
  )
    return 'explicitDeny';
  if (
    matchesAny(decision.allows, arn, foldCase) ||
    (alsoArn !== undefined && matchesAny(decision.allows, alsoArn, foldCase))
  )
    return 'allow';
  return 'implicitDeny';
}

function checkedList(value: unknown, what: string): readonly string[] {
  const list = stringList(value);
  if (list === undefined)
    throw new MalformedResult(`${what} must be a string or a non-empty array of strings`);
  return list;
}

function checkedContext(value: unknown): Readonly<Record<string, unknown>> | undefined {
  if (value === undefined) return undefined;
  if (!isPlainObject(value)) throw new MalformedResult('context must be an object');
  const out: Record<string, unknown> = {};
  for (const [name, item] of Object.entries(value)) {
    // API Gateway refuses objects and arrays in the context, and so does this.
    const t = typeof item;
    if (t !== 'string' && t !== 'number' && t !== 'boolean')
      throw new MalformedResult('context values must be strings, numbers or booleans');
    out[name] = item;
  }
  return Object.freeze(out);
}

/** The statement elements this gateway evaluates (and `Sid`, a label). */
const STATEMENT_ELEMENTS: ReadonlySet<string> = new Set(['Sid', 'Effect', 'Action', 'Resource']);

/**
 * Refuses a statement with any other element: `NotResource`, `NotAction`, `Condition` or
 * `NotPrincipal` each narrows what the statement covers, and ignoring one would widen an Allow
 * (an Allow on `*` with `NotResource: admin` would allow admin too). A policy this gateway cannot
 * evaluate as written is answered 500, never evaluated as something else.
 */
function assertEvaluatedElements(statement: Record<string, unknown>): void {
  for (const element of Object.keys(statement)) {
    if (!STATEMENT_ELEMENTS.has(element))
      throw new MalformedResult(
        `a Statement may only have Effect, Action, Resource and Sid, not ${element}`,
      );
  }
}

function compilePolicy(
  document: unknown,
  caseSensitive: boolean,
): { allows: ArnPattern[]; denies: ArnPattern[] } {
  if (!isPlainObject(document)) throw new MalformedResult('policyDocument must be an object');
  const statements = Array.isArray(document.Statement) ? document.Statement : [document.Statement];
  const allows: ArnPattern[] = [];
  const denies: ArnPattern[] = [];
  for (const statement of statements) {
    if (!isPlainObject(statement)) throw new MalformedResult('a Statement must be an object');
    assertEvaluatedElements(statement);
    const effect = statement.Effect;
    if (effect !== 'Allow' && effect !== 'Deny')
      throw new MalformedResult("a Statement's Effect must be 'Allow' or 'Deny'");
    const actions = checkedList(statement.Action, "a Statement's Action");
    const resources = checkedList(statement.Resource, "a Statement's Resource");
    // IAM compares action names case-insensitively; statements for other actions do not apply.
    if (!namesInvoke(actions)) continue;
    const into = effect === 'Allow' ? allows : denies;
    for (const resource of resources) {
      const text = caseSensitive ? resource : resource.toLowerCase();
      into.push(Object.freeze({ text, literal: !hasWildcard(text) }));
    }
  }
  return { allows, denies };
}

/** Checks `fn`'s answer and compiles it; throws `MalformedResult` for anything API Gateway would refuse. */
export function toDecision(result: unknown, caseSensitive: boolean): Decision {
  if (!isPlainObject(result)) throw new MalformedResult('the result must be an object');
  const { principalId, usageIdentifierKey } = result;
  if (typeof principalId !== 'string' || principalId === '')
    throw new MalformedResult('principalId must be a non-empty string');
  if (usageIdentifierKey !== undefined && typeof usageIdentifierKey !== 'string')
    throw new MalformedResult('usageIdentifierKey must be a string');
  const context = checkedContext(result.context);
  const principal: Principal = Object.freeze(
    context === undefined
      ? { id: principalId, via: 'authorizer' as const }
      : { id: principalId, via: 'authorizer' as const, context },
  );
  const hasPolicy = result.policyDocument !== undefined;
  if (hasPolicy === (result.allow !== undefined))
    throw new MalformedResult('the result must have either allow or policyDocument');
  if (!hasPolicy && typeof result.allow !== 'boolean')
    throw new MalformedResult('allow must be a boolean');
  const { allows, denies } = hasPolicy
    ? compilePolicy(result.policyDocument, caseSensitive)
    : { allows: [], denies: [] };
  return Object.freeze({
    source: result,
    principal,
    usageIdentifierKey,
    allowAll: hasPolicy ? undefined : (result.allow as boolean),
    allows: Object.freeze(allows),
    denies: Object.freeze(denies),
    foldCase: !caseSensitive,
  });
}
