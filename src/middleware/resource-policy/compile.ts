/**
 * A resource policy checked and compiled at start-up: statements that can apply to an anonymous
 * caller's `execute-api:Invoke`, with their Resource patterns over `{apiId}/{stage}/{METHOD}{path}`
 * and their conditions. Anything this gateway cannot evaluate as written throws, naming the
 * statement, rather than being evaluated as something else.
 */

import { isPlainObject, namesInvoke, stringList } from '../../core/iam-policy.js';
import { type ConditionSources, compileConditions, PolicySyntaxError } from './conditions.js';
import {
  type ApiArnSettings,
  apiArnOf,
  patternsOf,
  type ResourceEntry,
  readResource,
} from './resources.js';
import type { CompiledPolicy, CompiledStatement, ConditionTest } from './types.js';

/** What the compiler needs of the resolved options. */
export interface CompileSettings extends ConditionSources, ApiArnSettings {}

const STATEMENT_ELEMENTS: ReadonlySet<string> = new Set([
  'Sid',
  'Effect',
  'Principal',
  'NotPrincipal',
  'Action',
  'NotAction',
  'Resource',
  'NotResource',
  'Condition',
]);
const VERSIONS: ReadonlySet<string> = new Set(['2012-10-17', '2008-10-17']);

/** A statement read and checked, before its resources become patterns. */
interface ParsedStatement {
  readonly index: number;
  readonly sid: string | undefined;
  readonly deny: boolean;
  readonly resources: readonly ResourceEntry[];
  readonly negated: boolean;
  readonly conditions: readonly ConditionTest[];
  readonly needsAddress: boolean;
}

/** Whether `Principal` / `NotPrincipal` names the anonymous caller: `*` or `{ "AWS": "*" }`. */
function namesEveryone(principal: unknown, where: string): boolean {
  if (principal === '*') return true;
  if (!isPlainObject(principal))
    throw new PolicySyntaxError(where, '"*" or an object such as { "AWS": "*" }', principal);
  const aws = principal.AWS === undefined ? [] : stringList(principal.AWS);
  if (aws === undefined) throw new PolicySyntaxError(`${where}.AWS`, 'a string or strings', aws);
  return aws.includes('*');
}

/**
 * Whether the statement applies to an anonymous caller. Named principals (IAM users, roles,
 * accounts, services) are callers that sign with SigV4, which this gateway does not verify: a
 * statement naming only them never matches, and is reported once.
 */
function appliesToAnonymous(
  statement: Record<string, unknown>,
  where: string,
  report: () => void,
): boolean {
  const { Principal, NotPrincipal } = statement;
  if ((Principal === undefined) === (NotPrincipal === undefined))
    throw new PolicySyntaxError(where, 'one of Principal or NotPrincipal', statement);
  if (NotPrincipal !== undefined)
    // Everyone but the principals named: the anonymous caller is none of them, unless `*`.
    return !namesEveryone(NotPrincipal, `${where}.NotPrincipal`);
  if (namesEveryone(Principal, `${where}.Principal`)) return true;
  report();
  return false;
}

function listOf(statement: Record<string, unknown>, element: string, where: string) {
  const list = stringList(statement[element]);
  if (list === undefined)
    throw new PolicySyntaxError(
      `${where}.${element}`,
      'a string or a non-empty array of strings',
      statement[element],
    );
  return list;
}

/** The one of two exclusive elements a statement has (`Action`/`NotAction`, `Resource`/`NotResource`). */
function oneOf(
  statement: Record<string, unknown>,
  element: string,
  where: string,
): { list: readonly string[]; negated: boolean } {
  const not = `Not${element}`;
  const has = statement[element] !== undefined;
  if (has === (statement[not] !== undefined))
    throw new PolicySyntaxError(where, `one of ${element} or ${not}`, statement);
  return has
    ? { list: listOf(statement, element, where), negated: false }
    : { list: listOf(statement, not, where), negated: true };
}

function parseStatement(
  statement: unknown,
  index: number,
  settings: CompileSettings,
): ParsedStatement | undefined {
  const where = `Statement[${index}]`;
  if (!isPlainObject(statement)) throw new PolicySyntaxError(where, 'an object', statement);
  for (const element of Object.keys(statement))
    if (!STATEMENT_ELEMENTS.has(element))
      throw new PolicySyntaxError(`${where}.${element}`, 'a statement element', element);
  const sid = typeof statement.Sid === 'string' ? statement.Sid : undefined;
  const { Effect } = statement;
  if (Effect !== 'Allow' && Effect !== 'Deny')
    throw new PolicySyntaxError(`${where}.Effect`, '"Allow" or "Deny"', Effect);
  const action = oneOf(statement, 'Action', where);
  const resource = oneOf(statement, 'Resource', where);
  const resources = resource.list.map((text, i) =>
    readResource(text, `${where}.${resource.negated ? 'NotResource' : 'Resource'}[${i}]`),
  );
  const { tests, needsAddress } =
    statement.Condition === undefined
      ? { tests: [], needsAddress: false }
      : compileConditions(statement.Condition, `${where}.Condition`, settings);
  const anonymous = appliesToAnonymous(statement, where, () =>
    settings.report({
      statement: index,
      sid,
      message: `${where}${sid === undefined ? '' : ` (${sid})`} names principals that sign their requests (SigV4), which this gateway does not verify: it never matches`,
    }),
  );
  // Statements about other actions (execute-api:ManageConnections) do not apply to a request.
  if (!anonymous || namesInvoke(action.list) === action.negated) return undefined;
  return {
    index,
    sid,
    deny: Effect === 'Deny',
    resources,
    negated: resource.negated,
    conditions: tests,
    needsAddress,
  };
}

/** Checks and compiles `document`; throws `PolicySyntaxError` or `AmbiguousArnError`. */
export function compilePolicy(document: unknown, settings: CompileSettings): CompiledPolicy {
  const policy = typeof document === 'string' ? parseJson(document) : document;
  if (!isPlainObject(policy)) throw new PolicySyntaxError('', 'an object', policy);
  for (const key of Object.keys(policy))
    if (key !== 'Version' && key !== 'Id' && key !== 'Statement')
      throw new PolicySyntaxError(key, 'Version, Id or Statement', key);
  if (policy.Version !== undefined && !VERSIONS.has(policy.Version as string))
    throw new PolicySyntaxError('Version', '"2012-10-17" or "2008-10-17"', policy.Version);
  const raw = policy.Statement;
  if (raw === undefined || (Array.isArray(raw) && raw.length === 0))
    throw new PolicySyntaxError('Statement', 'a statement or a non-empty array of them', raw);
  const list: unknown[] = Array.isArray(raw) ? raw : [raw];
  const parsed = list
    .map((statement, index) => parseStatement(statement, index, settings))
    .filter((statement) => statement !== undefined);
  const entries = parsed.flatMap((statement) => statement.resources);
  const api = apiArnOf(entries, settings);
  const statements: CompiledStatement[] = parsed.map((statement) => {
    const { patterns, any } = patternsOf(statement, api, settings);
    return Object.freeze({
      deny: statement.deny,
      resources: Object.freeze(patterns),
      anyResource: any,
      negated: statement.negated,
      conditions: Object.freeze([...statement.conditions]),
    });
  });
  // Denies first: once every Deny was checked, the first matching Allow ends the pass.
  statements.sort((a, b) => Number(b.deny) - Number(a.deny));
  return Object.freeze({
    statements: Object.freeze(statements),
    needsAddress: parsed.some((statement) => statement.needsAddress),
    ...api,
  });
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new PolicySyntaxError('', 'a policy object or its JSON text', text);
  }
}
