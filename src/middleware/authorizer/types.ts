/** What an authorizer function receives and may answer: API Gateway's Lambda authorizer shapes. */

/** Values API Gateway allows in an authorizer's `context` (objects and arrays are refused). */
export type AuthorizerContextValue = string | number | boolean;

/** The event of a `'REQUEST'` authorizer, shaped as API Gateway's REQUEST authorizer event. */
export interface AuthorizerRequestEvent {
  readonly type: 'REQUEST';
  /** `arn:aws:execute-api:{region}:{accountId}:{apiId}/{stage}/{METHOD}/{path}`. */
  readonly methodArn: string;
  /** The request path (API Gateway puts the resource template here; portcullis has no templates). */
  readonly resource: string;
  /** The request path, without the query. */
  readonly path: string;
  readonly httpMethod: string;
  /** Request headers, names in lower case. */
  readonly headers: Readonly<Record<string, string>>;
  /** The query's parameters (the last value of a repeated one), or null without a query. */
  readonly queryStringParameters: Readonly<Record<string, string>> | null;
  readonly identity: { readonly sourceIp: string };
  readonly requestContext: {
    readonly accountId: string;
    readonly apiId: string;
    readonly stage: string;
    readonly httpMethod: string;
    readonly path: string;
    readonly requestId: string;
    readonly identity: { readonly sourceIp: string };
  };
}

/** The event of a `'TOKEN'` authorizer, as API Gateway's TOKEN authorizer event. */
export interface AuthorizerTokenEvent {
  readonly type: 'TOKEN';
  readonly methodArn: string;
  /** The value of the one header of `identitySource`. */
  readonly authorizationToken: string;
}

export type AuthorizerEvent = AuthorizerRequestEvent | AuthorizerTokenEvent;

interface ResultBase {
  /** Who the caller is: `principal.id` on the gateway context. */
  principalId: string;
  /** Handed to later middlewares and handlers as `principal.context`; string, number or boolean values. */
  context?: Record<string, AuthorizerContextValue>;
  /** The API key `usagePlans({ keySource: 'authorizer' })` admits the request with. */
  usageIdentifierKey?: string;
}

/** The simple answer: allowed or not, for every method and path. */
export interface AuthorizerSimpleResult extends ResultBase {
  allow: boolean;
}

/** One IAM statement of a Lambda authorizer's policy. */
export interface AuthorizerStatement {
  Effect: 'Allow' | 'Deny';
  Action: string | string[];
  /** ARN patterns: `*` matches any run of characters, `?` one character (as IAM). */
  Resource: string | string[];
}

/** The answer of a real Lambda authorizer: an IAM policy evaluated against each request's method and path. */
export interface AuthorizerPolicyResult extends ResultBase {
  policyDocument: { Version?: string; Statement: AuthorizerStatement | AuthorizerStatement[] };
}

export type AuthorizerResult = AuthorizerSimpleResult | AuthorizerPolicyResult;

/**
 * Decides a request. Throw (or reject with) `new Error('Unauthorized')` for a 401, as a Lambda
 * authorizer does; anything else thrown is a 500.
 */
export type AuthorizerFunction = (
  event: AuthorizerEvent,
) => AuthorizerResult | PromiseLike<AuthorizerResult>;
