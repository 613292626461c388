/**
 * An integration's `responses`: each keyed by its selection pattern (a regular expression the
 * whole integration status must match; `default` when none does), with the method response's
 * status, header mappings and body templates.
 */

import { compileResponseMappings, type ResponseMapping } from './mappings.js';
import { childPointer } from './refs.js';
import type { Findings } from './report.js';

export interface IntegrationResponse {
  /** Matches the integration's status; undefined for `default`. */
  readonly pattern: RegExp | undefined;
  readonly status: number;
  readonly mappings: readonly ResponseMapping[];
  /** Body templates by media type, in the document's order. */
  readonly templates: ReadonlyArray<readonly [string, string]>;
}

/** Compiles `responses`; the default one last, so that the first match wins. */
export function compileResponses(
  responses: unknown,
  pointer: string,
  findings: Findings,
): IntegrationResponse[] {
  if (responses === undefined) return [];
  if (!isObject(responses)) throw findings.error(pointer, 'responses must be an object');
  const out: IntegrationResponse[] = [];
  let fallback: IntegrationResponse | undefined;
  for (const [key, value] of Object.entries(responses)) {
    const here = childPointer(pointer, key);
    if (!isObject(value)) throw findings.error(here, 'must be an object');
    const status = Number(value.statusCode ?? 200);
    if (!Number.isInteger(status) || status < 100 || status > 599)
      throw findings.error(childPointer(here, 'statusCode'), 'must be an HTTP status (100–599)');
    const selection = typeof value.selectionPattern === 'string' ? value.selectionPattern : key;
    const response: IntegrationResponse = {
      pattern:
        key === 'default' && value.selectionPattern === undefined
          ? undefined
          : regex(selection, here, findings),
      status,
      mappings: compileResponseMappings(
        value.responseParameters,
        childPointer(here, 'responseParameters'),
        findings,
      ),
      templates: compileTemplates(
        value.responseTemplates,
        childPointer(here, 'responseTemplates'),
        findings,
      ),
    };
    if (response.pattern === undefined) fallback = response;
    else out.push(response);
  }
  if (fallback !== undefined) out.push(fallback);
  return out;
}

/** The response for an integration status: the first whose pattern matches it, else `default`. */
export function selectResponse(
  responses: readonly IntegrationResponse[],
  status: number,
): IntegrationResponse | undefined {
  const text = String(status);
  for (const response of responses)
    if (response.pattern === undefined || response.pattern.test(text)) return response;
  return undefined;
}

/** API Gateway matches the whole value (Java's `matches`). */
function regex(pattern: string, pointer: string, findings: Findings): RegExp {
  try {
    return new RegExp(`^(?:${pattern})$`, 's');
  } catch {
    throw findings.error(
      pointer,
      `selection pattern ${JSON.stringify(pattern)} is not a regular expression`,
    );
  }
}

/** `$input`, `$context`, `#set`...: Velocity a local gateway does not evaluate. */
export const VTL = /[$#][A-Za-z{]/;

function compileTemplates(
  templates: unknown,
  pointer: string,
  findings: Findings,
): ReadonlyArray<readonly [string, string]> {
  if (templates === undefined) return [];
  if (!isObject(templates)) throw findings.error(pointer, 'must be an object');
  const out: Array<readonly [string, string]> = [];
  for (const [type, template] of Object.entries(templates)) {
    if (typeof template !== 'string') continue;
    if (VTL.test(template))
      findings.add(
        childPointer(pointer, type),
        'mapping template with Velocity (VTL): served as written',
      );
    out.push([type, template]);
  }
  return out;
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
