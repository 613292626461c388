/**
 * A statement's `Condition` block compiled at start-up into tests over the request: `aws:SourceIp`
 * against prefix tries, and the header-borne keys (`aws:SourceVpce`, `aws:SourceVpc`,
 * `aws:Referer`, `aws:UserAgent`) against string sets and wildcard patterns.
 */

import { isPlainObject, wildcardMatch } from '../../core/iam-policy.js';
import { parseRange, RangeSyntaxError } from '../ip-filter/addresses.js';
import { ALLOW, PrefixTrie } from '../ip-filter/prefix-trie.js';
import type { ConditionTest } from './types.js';

/** Where the request's value of each supported key comes from. */
export interface ConditionSources {
  /** The header a trusted front sets to the VPC endpoint id (`aws:SourceVpce`), if any. */
  readonly vpceHeader: string | undefined;
  /** The header a trusted front sets to the VPC id (`aws:SourceVpc`), if any. */
  readonly vpcHeader: string | undefined;
}

/** A start-up error in the policy, with where it is (`Statement[1].Condition.IpAddress`). */
export class PolicySyntaxError extends Error {
  constructor(
    readonly where: string,
    readonly expected: string,
    readonly got: unknown,
  ) {
    super(`${where} must be ${expected}`);
  }
}

const SOURCE_IP = 'aws:sourceip';

/** Header-borne keys (lower case: IAM compares key names ignoring case). */
function headerOf(key: string, sources: ConditionSources): string | undefined | null {
  switch (key) {
    case 'aws:sourcevpce':
      return sources.vpceHeader;
    case 'aws:sourcevpc':
      return sources.vpcHeader;
    case 'aws:referer':
      return 'referer';
    case 'aws:useragent':
      return 'user-agent';
    default:
      return null; // not a key this gateway knows
  }
}

type StringOperator = 'Equals' | 'EqualsIgnoreCase' | 'Like';

/** An operator split into IAM's parts: `ForAnyValue:StringNotLikeIfExists`. */
interface Operator {
  readonly base: string;
  readonly negated: boolean;
  /** What the condition answers when the request has no value for the key. */
  readonly whenMissing: boolean | undefined;
}

const STRING_OPERATORS: Record<string, [StringOperator, boolean]> = {
  StringEquals: ['Equals', false],
  StringNotEquals: ['Equals', true],
  StringEqualsIgnoreCase: ['EqualsIgnoreCase', false],
  StringNotEqualsIgnoreCase: ['EqualsIgnoreCase', true],
  StringLike: ['Like', false],
  StringNotLike: ['Like', true],
};

/**
 * IAM's rules for a key the request lacks: a positive operator is false, a negated one true;
 * `IfExists` makes it true; `ForAnyValue` false and `ForAllValues` true (an empty set).
 */
function parseOperator(name: string): Operator | undefined {
  const colon = name.indexOf(':');
  const qualifier = colon === -1 ? '' : name.slice(0, colon);
  if (qualifier !== '' && qualifier !== 'ForAnyValue' && qualifier !== 'ForAllValues')
    return undefined;
  let base = name.slice(colon + 1);
  const ifExists = base.endsWith('IfExists');
  if (ifExists) base = base.slice(0, -'IfExists'.length);
  const negated = base in STRING_OPERATORS ? STRING_OPERATORS[base]![1] : base === 'NotIpAddress';
  if (!(base in STRING_OPERATORS) && base !== 'IpAddress' && base !== 'NotIpAddress')
    return base === 'Null' && qualifier === '' && !ifExists
      ? { base, negated: false, whenMissing: undefined }
      : undefined;
  const whenMissing = ifExists
    ? true
    : qualifier === 'ForAllValues'
      ? true
      : qualifier === 'ForAnyValue'
        ? false
        : negated;
  return { base, negated, whenMissing };
}

function valueList(value: unknown, where: string): readonly string[] {
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list) || list.length === 0 || !list.every((v) => typeof v === 'string'))
    throw new PolicySyntaxError(where, 'a string or a non-empty array of strings', value);
  for (const item of list as string[])
    if (item.includes('${'))
      throw new PolicySyntaxError(where, 'plain values (policy variables are not supported)', item);
  return list as string[];
}

/** A test of one string against a condition's values (true when any matches). */
function stringMatcher(
  kind: StringOperator,
  values: readonly string[],
): (value: string) => boolean {
  if (kind === 'Like') return (value) => values.some((pattern) => wildcardMatch(pattern, value));
  if (kind === 'EqualsIgnoreCase') {
    const set = new Set(values.map((v) => v.toLowerCase()));
    return (value) => set.has(value.toLowerCase());
  }
  const set = new Set(values);
  return (value) => set.has(value);
}

function ipTrie(values: readonly string[], where: string): PrefixTrie {
  const trie = new PrefixTrie();
  for (const [i, entry] of values.entries()) {
    try {
      trie.insert(parseRange(entry.trim()), ALLOW);
    } catch (err) {
      if (!(err instanceof RangeSyntaxError)) throw err;
      throw new PolicySyntaxError(
        `${where}[${i}]`,
        `an IP address or CIDR range (${err.message})`,
        entry,
      );
    }
  }
  trie.seal();
  return trie;
}

/**
 * `Null`: whether the key is absent (`"true"`) or present (`"false"`). The source address is
 * always there (`header` null); a header-borne key only when the app named its header
 * (`undefined` when not) and the client sent it.
 */
function nullTest(value: unknown, header: string | undefined | null, where: string): ConditionTest {
  const text = typeof value === 'boolean' ? String(value) : value;
  if (text !== 'true' && text !== 'false')
    throw new PolicySyntaxError(where, '"true" or "false"', value);
  const expectAbsent = text === 'true';
  if (header === null) return () => !expectAbsent;
  if (header === undefined) return () => expectAbsent;
  return (ex) => (ex.header(header) === undefined) === expectAbsent;
}

function keyTest(
  operator: Operator,
  key: string,
  value: unknown,
  where: string,
  sources: ConditionSources,
): ConditionTest {
  const lower = key.toLowerCase();
  const header = lower === SOURCE_IP ? null : headerOf(lower, sources);
  if (header === null && lower !== SOURCE_IP)
    throw new PolicySyntaxError(
      where,
      'a key this gateway evaluates (aws:SourceIp, aws:SourceVpce, aws:SourceVpc, aws:Referer, aws:UserAgent)',
      key,
    );
  if (operator.base === 'Null') return nullTest(value, header, where);
  const values = valueList(value, where);
  const { negated, whenMissing } = operator;
  if (lower === SOURCE_IP) {
    if (operator.base in STRING_OPERATORS)
      throw new PolicySyntaxError(where, 'compared with IpAddress or NotIpAddress', key);
    const trie = ipTrie(values, where);
    // The evaluator refuses a request whose address it cannot read before any test runs.
    return (_ex, address) => ((trie.lookup(address!) & ALLOW) !== 0) !== negated;
  }
  if (!(operator.base in STRING_OPERATORS) || header === null)
    throw new PolicySyntaxError(where, 'compared with a String operator', key);
  const matches = stringMatcher(STRING_OPERATORS[operator.base]![0], values);
  if (header === undefined) return () => whenMissing!;
  return (ex) => {
    const actual = ex.header(header);
    return actual === undefined ? whenMissing! : matches(actual) !== negated;
  };
}

/** Compiles a `Condition` block; `where` names it in errors (`Statement[0].Condition`). */
export function compileConditions(
  condition: unknown,
  where: string,
  sources: ConditionSources,
): { tests: ConditionTest[]; needsAddress: boolean } {
  if (!isPlainObject(condition))
    throw new PolicySyntaxError(where, 'an object of operators', condition);
  const tests: ConditionTest[] = [];
  let needsAddress = false;
  for (const [name, block] of Object.entries(condition)) {
    const operator = parseOperator(name);
    if (operator === undefined)
      throw new PolicySyntaxError(
        `${where}.${name}`,
        'an operator this gateway evaluates (String(Not)Equals(IgnoreCase), String(Not)Like, (Not)IpAddress, Null; ForAnyValue:/ForAllValues:, IfExists)',
        name,
      );
    // IAM's grammar gives an operator at least one key: an empty block would hold for every
    // request, an Allow admitting and a Deny refusing everyone (a value deleted by mistake).
    if (!isPlainObject(block) || Object.keys(block).length === 0)
      throw new PolicySyntaxError(`${where}.${name}`, 'an object of condition keys', block);
    for (const [key, value] of Object.entries(block)) {
      tests.push(keyTest(operator, key, value, `${where}.${name}["${key}"]`, sources));
      if (key.toLowerCase() === SOURCE_IP && operator.base !== 'Null') needsAddress = true;
    }
  }
  return { tests, needsAddress };
}
