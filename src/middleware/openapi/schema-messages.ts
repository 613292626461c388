/** ajv's errors about a document, in words, pointing at the property they are about. */

import type { ErrorObject } from 'ajv';
import { childPointer } from './refs.js';

/** One thing wrong with a document: where, and what, in words. */
export interface Problem {
  readonly pointer: string;
  readonly message: string;
}

/** The problem in words; `required` and `additionalProperties` point at the property itself. */
export function describeError(error: ErrorObject, at: string): Problem {
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'required':
      return { pointer: childPointer(at, String(params.missingProperty)), message: 'is required' };
    case 'additionalProperties':
      return {
        pointer: childPointer(at, String(params.additionalProperty)),
        message: unexpectedPropertyMessage(error.parentSchema as Record<string, unknown>),
      };
    case 'type':
      return { pointer: at, message: `must be ${withArticle(String(params.type))}` };
    case 'enum': {
      const allowed = params.allowedValues as unknown[];
      const list = caseInsensitiveList(allowed) ?? allowed.map(show).join(', ');
      return {
        pointer: at,
        message: allowed.length === 1 ? `must be ${list}` : `must be one of ${list}`,
      };
    }
    case 'minProperties':
      if (at.endsWith('/responses'))
        return { pointer: at, message: 'must have at least one response' };
      return { pointer: at, message: `must have at least ${params.limit} entries` };
    case 'pattern':
      if (at === '/openapi')
        return { pointer: at, message: `must be a 3.0.x version, got ${show(error.data)}` };
      return { pointer: at, message: `must match the pattern ${params.pattern}` };
    case 'format':
      return { pointer: at, message: `must be a valid ${params.format}` };
    case 'not':
      return {
        pointer: at,
        message: textOr(error.parentSchema?.description, 'is not allowed here'),
      };
    default:
      return { pointer: at, message: error.message ?? 'is invalid' };
  }
}

function unexpectedPropertyMessage(parent: Record<string, unknown>): string {
  const patterns = Object.keys((parent.patternProperties ?? {}) as object);
  if (patterns.includes('^\\/')) return "is not a path: paths start with '/'";
  const known = Object.keys((parent.properties ?? {}) as object);
  if (known.length === 0) return 'is not allowed here';
  const extensions = patterns.includes('^x-') ? ', x-…' : '';
  return `is not allowed here (known: ${known.join(', ')}${extensions})`;
}

/** `http, mock (in lower or upper case)` for an enum that lists each name in both cases. */
function caseInsensitiveList(allowed: readonly unknown[]): string | undefined {
  const lower = allowed.filter((v): v is string => typeof v === 'string' && v === v.toLowerCase());
  if (lower.length * 2 !== allowed.length) return undefined;
  if (!lower.every((v) => allowed.includes(v.toUpperCase()))) return undefined;
  return `${lower.join(', ')} (in lower or upper case)`;
}

function withArticle(type: string): string {
  if (type.includes(',')) return `one of ${type.replaceAll(',', ', ')}`;
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

export function show(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

export function textOr(text: unknown, fallback: string): string {
  return typeof text === 'string' ? text : fallback;
}
