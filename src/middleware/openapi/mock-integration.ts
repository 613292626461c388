/** `mock` integrations: a status from the request template, a response from `responses`, the same for every request. */

import type { CoreHandler, Exchange } from '../../core/exchange.js';
import type { IntegrationContext } from './integration-context.js';
import { withStageVariables } from './mappings.js';
import { childPointer } from './refs.js';
import {
  compileResponses,
  type IntegrationResponse,
  isObject,
  selectResponse,
  VTL,
} from './responses.js';

/** The integration status a mock's request template names: `{"statusCode": 200}`. */
const STATUS_CODE = /"statusCode"\s*:\s*(\d{3})/;

export function compileMock(
  integration: Record<string, unknown>,
  context: IntegrationContext,
): CoreHandler {
  const { pointer, findings } = context;
  const templates = isObject(integration.requestTemplates) ? integration.requestTemplates : {};
  const template = templates['application/json'] ?? Object.values(templates)[0];
  let status = 200;
  if (typeof template === 'string') {
    const found = STATUS_CODE.exec(template);
    if (found !== null) status = Number(found[1]);
    const stripped = template.replace(STATUS_CODE, '');
    if (VTL.test(stripped) || found === null)
      findings.add(
        childPointer(pointer, 'requestTemplates'),
        'mock request template beyond {"statusCode": N}: status 200 assumed unless one is found',
      );
  }
  const responses = compileResponses(
    integration.responses,
    childPointer(pointer, 'responses'),
    findings,
  );
  const response = selectResponse(responses, status);
  const answer = mockAnswer(response, status, context);
  return function mock(ex: Exchange): void {
    for (const [name, value] of answer.headers) ex.setHeader(name, value);
    ex.respond(answer.status, answer.body);
  };
}

interface MockAnswer {
  readonly status: number;
  readonly headers: ReadonlyArray<readonly [string, string]>;
  readonly body: string | null;
}

/** A mock's answer is the same for every request: computed once. */
function mockAnswer(
  response: IntegrationResponse | undefined,
  integrationStatus: number,
  context: IntegrationContext,
): MockAnswer {
  if (response === undefined) return { status: integrationStatus, headers: [], body: null };
  const headers: Array<readonly [string, string]> = [];
  for (const [name, from] of response.mappings) {
    if ('value' in from)
      headers.push([
        name,
        withStageVariables(
          from.value,
          context.variables,
          context.stage,
          context.pointer,
          context.findings,
        ),
      ]);
    else
      context.findings.add(
        childPointer(context.pointer, 'responses'),
        `a mock has no integration header ${from.header} to map`,
      );
  }
  const template =
    response.templates.find(([type]) => type === 'application/json') ?? response.templates[0];
  if (template === undefined) return { status: response.status, headers, body: null };
  if (!headers.some(([name]) => name === 'content-type'))
    headers.push(['content-type', template[0]]);
  return { status: response.status, headers, body: template[1] };
}
