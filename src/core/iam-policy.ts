/**
 * IAM policy pieces that both the authorizer's policies and API Gateway resource policies use:
 * ARN wildcard matching, the `execute-api:Invoke` action test, and statement field readers.
 */

/** IAM's outcome: an explicit Deny wins over any Allow; without a matching Allow, an implicit deny. */
export type Verdict = 'allow' | 'explicitDeny' | 'implicitDeny';

/** The action every statement of an API's policies is about; IAM compares actions ignoring case. */
const INVOKE = 'execute-api:invoke';

/**
 * Char code of position `i` of the text `a + b + c` (never built as one string), its ASCII
 * capitals as lower case with `foldCase`.
 */
function codeAt(a: string, b: string, c: string, i: number, foldCase: boolean): number {
  let code: number;
  if (i < a.length) code = a.charCodeAt(i);
  else {
    const j = i - a.length;
    code = j < b.length ? b.charCodeAt(j) : c.charCodeAt(j - b.length);
  }
  return foldCase && code >= 65 && code <= 90 ? code + 32 : code;
}

/**
 * Whether `pattern` (with `*` any run of characters, `?` one character, as IAM's ARN matching)
 * matches all of the text `a + b + c`, which is read in place: a resource policy matches
 * `{stage}/`, the method and the path of each request without joining them. Linear in practice
 * and O(n·m) at worst, never exponential: the path is the client's, and a backtracking regular
 * expression over it could be made to run for minutes. With `foldCase`, the text's ASCII
 * capitals compare as lower case (`pattern` is lower case already): no lower-cased copy is made.
 */
export function wildcardMatchParts(
  pattern: string,
  a: string,
  b: string,
  c: string,
  foldCase: boolean,
): boolean {
  const length = a.length + b.length + c.length;
  let p = 0;
  let t = 0;
  let star = -1;
  let resume = 0;
  while (t < length) {
    const code = p < pattern.length ? pattern.charCodeAt(p) : -1;
    const d = codeAt(a, b, c, t, foldCase);
    if (code === 42 /* * */) {
      // A final `*` takes whatever is left: no need to walk it.
      if (p === pattern.length - 1) return true;
      star = p++;
      resume = t;
    } else if (code === 63 /* ? */ || (code !== -1 && code === d)) {
      p++;
      t++;
    } else if (star !== -1) {
      p = star + 1;
      t = ++resume;
    } else {
      return false;
    }
  }
  while (pattern.charCodeAt(p) === 42) p++;
  return p === pattern.length;
}

/**
 * A pattern prepared for matching many texts: most patterns that do not match a text differ
 * from it in their literal tail (`…/GET/pets` against `…/POST/orders`), which is compared first,
 * from the end, before the general matcher runs.
 */
export interface PreparedPattern {
  readonly text: string;
  /** What follows the last `*` (all of `text` without one); `?` still matches any character. */
  readonly tail: string;
  /** Characters a matching text has at least: every character but the `*`s. */
  readonly minLength: number;
  /** Whether `text` has no `*`: then a match has exactly `minLength` characters. */
  readonly starless: boolean;
}

export function preparePattern(text: string): PreparedPattern {
  const star = text.lastIndexOf('*');
  const stars = text.length - text.replaceAll('*', '').length;
  return Object.freeze({
    text,
    tail: text.slice(star + 1),
    minLength: text.length - stars,
    starless: star === -1,
  });
}

/** `wildcardMatchParts` for a prepared pattern, rejecting by length and by the literal tail first. */
export function preparedMatch(
  pattern: PreparedPattern,
  a: string,
  b: string,
  c: string,
  foldCase: boolean,
): boolean {
  const length = a.length + b.length + c.length;
  if (length < pattern.minLength || (pattern.starless && length !== pattern.minLength))
    return false;
  const { tail } = pattern;
  for (let i = 1; i <= tail.length; i++) {
    const code = tail.charCodeAt(tail.length - i);
    if (code === 63 /* ? */) continue;
    if (code !== codeAt(a, b, c, length - i, foldCase)) return false;
  }
  return wildcardMatchParts(pattern.text, a, b, c, foldCase);
}

/** `wildcardMatchParts` on one string. */
export function wildcardMatch(pattern: string, text: string, foldCase = false): boolean {
  return wildcardMatchParts(pattern, text, '', '', foldCase);
}

/** Whether an `Action` (or `NotAction`) list names `execute-api:Invoke`, wildcards included. */
export function namesInvoke(actions: readonly string[]): boolean {
  return actions.some((action) => wildcardMatch(action.toLowerCase(), INVOKE));
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A policy element given as a string or a non-empty array of strings, as a list; else undefined. */
export function stringList(value: unknown): readonly string[] | undefined {
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list) || list.length === 0 || !list.every((v) => typeof v === 'string'))
    return undefined;
  return list as string[];
}

/** Whether a Resource pattern has a wildcard (else it is compared as a literal). */
export function hasWildcard(pattern: string): boolean {
  return pattern.includes('*') || pattern.includes('?');
}

/** API Gateway's `methodArn` parts where the app does not say, as the README documents them. */
export const EXECUTE_API_ARN_DEFAULTS = Object.freeze({
  region: 'local',
  accountId: '000000000000',
  apiId: 'portcullis',
  stage: '$default',
});

/** An ARN part: no `:` or `/` (they separate the parts) and no `*`/`?` (they would be wildcards). */
export const ARN_PART = /^[^:/*?\s]+$/;
