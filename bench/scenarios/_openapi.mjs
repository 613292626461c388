/**
 * What the openapi cases share (issue 27): a small PetStore-like document with API Gateway's
 * extensions, and the options and answer of the same stack assembled by hand, so that the two
 * scenarios of a framework differ only in who routes and composes the pieces.
 */

import { BODY, NEVER_THROTTLE, USAGE_PLANS } from './_common.mjs';
import { gateway } from './_portcullis.mjs';

/** The answer of the measured operation's `mock` integration, and of the route by hand. */
export const MOCK_BODY = JSON.stringify(BODY);
export const MOCK_TYPE = 'application/json';

/** The stage the API is mounted under, and its throttle (one that never triggers). */
export const STAGES = { prod: { throttle: NEVER_THROTTLE } };

/** `openapi()`'s usage plans: the plans and keys of the usage-plan cases (the key source is the document's). */
export const OPENAPI_OPTIONS = { stages: STAGES, usagePlans: USAGE_PLANS };

/** The route by hand: the stage's prefix and the path template in the framework's syntax. */
export const HAND_ROUTE = '/prod/pets/:id';

/**
 * The pieces of the route by hand. By default `gateway.throttle()` then `gateway.usagePlans()`,
 * each mounted alone; the throttle first so that its RateLimit items come first, as those of
 * openapi()'s stage throttle do (it runs inside the plan's charge): the answers are the same
 * bytes. With the argument `pipeline`, one `gateway.pipeline({ usagePlans, throttle })`, which
 * composes them as openapi() does: the difference to openapi() is then its routing and dispatch.
 */
export function handPieces(mode = process.argv[2]) {
  if (mode === 'pipeline')
    return [gateway.pipeline({ usagePlans: USAGE_PLANS, throttle: NEVER_THROTTLE })];
  return [gateway.throttle(NEVER_THROTTLE), gateway.usagePlans(USAGE_PLANS)];
}

const mock = (body) => ({
  type: 'mock',
  requestTemplates: { 'application/json': '{"statusCode": 200}' },
  responses: {
    default: { statusCode: '200', responseTemplates: { 'application/json': body } },
  },
});

/** An operation answered by a mock; `keyed` ones require the API key. */
const op = (body, keyed = false) => ({
  ...(keyed ? { security: [{ api_key: [] }] } : {}),
  responses: { 200: { description: 'ok' } },
  'x-amazon-apigateway-integration': mock(body),
});

const other = '{"message":"other"}';

/**
 * 16 paths, static ones, `{param}` templates at several depths and one greedy `{proxy+}`, so the
 * router has siblings to pass by; the measured request is `GET /prod/pets/42`.
 */
export const DOCUMENT = {
  openapi: '3.0.1',
  info: { title: 'bench pets', version: '1' },
  'x-amazon-apigateway-api-key-source': 'HEADER',
  components: {
    securitySchemes: { api_key: { type: 'apiKey', name: 'x-api-key', in: 'header' } },
  },
  paths: {
    '/': { get: op(other) },
    '/health': { get: op(other) },
    '/pets': { get: op(other, true), post: op(other, true) },
    '/pets/search': { get: op(other, true) },
    '/pets/{id}': { get: op(MOCK_BODY, true), put: op(other, true), delete: op(other, true) },
    '/pets/{id}/photos': { get: op(other, true), post: op(other, true) },
    '/pets/{id}/photos/{photoId}': { get: op(other, true) },
    '/pets/{id}/owner': { get: op(other, true) },
    '/owners': { get: op(other, true) },
    '/owners/{ownerId}': { get: op(other, true) },
    '/owners/{ownerId}/pets': { get: op(other, true) },
    '/stores': { get: op(other, true) },
    '/stores/{storeId}': { get: op(other, true) },
    '/stores/{storeId}/inventory': { get: op(other, true) },
    '/orders/{orderId}': { get: op(other, true), delete: op(other, true) },
    '/files/{proxy+}': { 'x-amazon-apigateway-any-method': op(other, true) },
  },
};
