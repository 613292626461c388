/** Small valid OpenAPI 3.0 documents for tests: the required fields filled in around what a test cares about. */

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
const ANY_METHOD = 'x-amazon-apigateway-any-method';

/**
 * `partial` with `openapi: '3.0.1'` and `info`, where every operation without `responses` gets
 * `{ '200': { description: 'ok' } }`.
 */
export function apiDocument(partial: {
  paths?: Record<string, Record<string, unknown>>;
  [key: string]: unknown;
}): Record<string, unknown> {
  const { paths = {}, ...extra } = partial;
  const withResponses: Record<string, Record<string, unknown>> = {};
  for (const [path, item] of Object.entries(paths)) {
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(item)) {
      const operation = METHODS.includes(key) || key === ANY_METHOD;
      out[key] =
        operation && typeof value === 'object' && value !== null && !('responses' in value)
          ? { ...value, responses: { '200': { description: 'ok' } } }
          : value;
    }
    withResponses[path] = out;
  }
  return {
    openapi: '3.0.1',
    info: { title: 'test', version: '1' },
    ...extra,
    paths: withResponses,
  };
}

/** A security scheme for a Lambda REQUEST authorizer reading `identitySource`. */
export function requestAuthorizerScheme(
  identitySource: string,
  authorizerResultTtlInSeconds: number,
): Record<string, unknown> {
  return {
    type: 'apiKey',
    name: 'Unused',
    in: 'header',
    'x-amazon-apigateway-authtype': 'custom',
    'x-amazon-apigateway-authorizer': {
      type: 'request',
      identitySource,
      authorizerResultTtlInSeconds,
    },
  };
}

/** A mock integration answering `ok` with `x-version` set to the stage variable `version`. */
export const stageVersionMock = {
  'x-amazon-apigateway-integration': {
    type: 'mock',
    requestTemplates: { 'application/json': '{"statusCode": 200}' },
    responses: {
      default: {
        statusCode: '200',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: API Gateway's stage variable syntax.
        responseParameters: { 'method.response.header.x-version': "'${stageVariables.version}'" },
        responseTemplates: { 'text/plain': 'ok' },
      },
    },
  },
};
