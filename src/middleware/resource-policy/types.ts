/** The shapes a resource policy is compiled into, shared by the compiler and the evaluator. */

import type { Exchange } from '../../core/exchange.js';
import type { PreparedPattern } from '../../core/iam-policy.js';
import type { ParsedAddress } from '../ip-filter/addresses.js';

/** An IAM policy document as API Gateway takes it (`x-amazon-apigateway-policy`). */
export interface ResourcePolicyDocument {
  Version?: string;
  Id?: string;
  Statement: ResourcePolicyStatement | readonly ResourcePolicyStatement[];
}

export interface ResourcePolicyStatement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Principal?: '*' | { AWS?: string | readonly string[]; [kind: string]: unknown };
  NotPrincipal?: '*' | { AWS?: string | readonly string[]; [kind: string]: unknown };
  Action?: string | readonly string[];
  NotAction?: string | readonly string[];
  Resource?: string | readonly string[];
  NotResource?: string | readonly string[];
  Condition?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
}

/** A statement this gateway cannot match, reported once at start-up (`onUnsupported`). */
export interface ResourcePolicyWarning {
  /** The statement's index in `Statement` (0 for a single statement object). */
  readonly statement: number;
  readonly sid: string | undefined;
  readonly message: string;
}

/**
 * Whether a condition holds for this request. `address` is the client's, read once per request
 * when the policy has an `aws:SourceIp` condition (undefined otherwise).
 */
export type ConditionTest = (ex: Exchange, address: ParsedAddress | undefined) => boolean;

/** A statement that can apply to an anonymous caller's `execute-api:Invoke`. */
export interface CompiledStatement {
  readonly deny: boolean;
  /** `Resource` patterns over `{apiId}/{stage}/{METHOD}{path}`; empty with `anyResource`. */
  readonly resources: readonly PreparedPattern[];
  /** Whether `Resource` holds `*` (or a pattern that covers this whole API). */
  readonly anyResource: boolean;
  /** Whether the patterns are `NotResource`'s: the statement covers what none of them matches. */
  readonly negated: boolean;
  /** All must hold (IAM ANDs condition operators and keys). */
  readonly conditions: readonly ConditionTest[];
}

export interface CompiledPolicy {
  /** Deny statements first, so that the first Allow reached after them can end the pass. */
  readonly statements: readonly CompiledStatement[];
  readonly needsAddress: boolean;
  readonly region: string;
  readonly accountId: string;
  readonly apiId: string;
}
