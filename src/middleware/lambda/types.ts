/**
 * What a Lambda handler behind `gateway.lambda()` receives and may answer: API Gateway's proxy
 * integration shapes (payload formats 1.0 and 2.0), field for field as `@types/aws-lambda` names
 * them, so that a handler typed with those types compiles against these too.
 */

/** `$context.identity.clientCert` / `requestContext.authentication.clientCert` of a mutual-TLS request. */
export interface LambdaClientCert {
  readonly clientCertPem: string;
  readonly subjectDN: string;
  readonly issuerDN: string;
  readonly serialNumber: string;
  readonly validity: { readonly notBefore: string; readonly notAfter: string };
}

/** `requestContext.identity` of payload 1.0. What the gateway cannot know is `null`, as in API Gateway's events. */
export interface LambdaEventIdentity {
  readonly accessKey: null;
  readonly accountId: null;
  readonly apiKey: null;
  /** The id of the API key `usagePlans` admitted the request with, else null. */
  readonly apiKeyId: string | null;
  readonly caller: null;
  readonly clientCert: LambdaClientCert | null;
  readonly cognitoAuthenticationProvider: null;
  readonly cognitoAuthenticationType: null;
  readonly cognitoIdentityId: null;
  readonly cognitoIdentityPoolId: null;
  readonly principalOrgId: null;
  readonly sourceIp: string;
  readonly user: null;
  readonly userAgent: string | null;
  readonly userArn: null;
}

/**
 * `requestContext.authorizer` of payload 1.0: a JWT's `claims` (and `scopes`), or a Lambda
 * authorizer's `context` fields beside its `principalId` and `integrationLatency`; values are
 * text, as REST APIs coerce them.
 */
export type LambdaEventAuthorizerV1 = Readonly<Record<string, unknown>>;

/** The event of payload format 1.0 (REST APIs; `APIGatewayProxyEvent`). */
export interface LambdaEventV1 {
  /** The route template (`/pets/{id}`), or the path when the route is not known. */
  readonly resource: string;
  /** The request path as the client sent it, without the query. */
  readonly path: string;
  readonly httpMethod: string;
  /** Header names as the client sent them; a repeated header has its last value. */
  readonly headers: Readonly<Record<string, string>>;
  /** Every value of every header. */
  readonly multiValueHeaders: Readonly<Record<string, readonly string[]>>;
  /** Decoded query parameters (the last value of a repeated one); null without a query. */
  readonly queryStringParameters: Readonly<Record<string, string>> | null;
  readonly multiValueQueryStringParameters: Readonly<Record<string, readonly string[]>> | null;
  readonly pathParameters: Readonly<Record<string, string>> | null;
  readonly stageVariables: Readonly<Record<string, string>> | null;
  readonly requestContext: {
    readonly accountId: string;
    readonly apiId: string;
    /** Absent when no authorizer (`jwt`, `authorizer`) ran. */
    readonly authorizer?: LambdaEventAuthorizerV1;
    readonly domainName: string;
    readonly domainPrefix: string;
    readonly extendedRequestId: string;
    readonly httpMethod: string;
    readonly identity: LambdaEventIdentity;
    readonly path: string;
    readonly protocol: string;
    readonly requestId: string;
    /** `dd/MMM/yyyy:HH:mm:ss +0000`. */
    readonly requestTime: string;
    readonly requestTimeEpoch: number;
    readonly resourceId: string;
    readonly resourcePath: string;
    readonly stage: string;
  };
  /** The body as text, or base64 when `isBase64Encoded`; null without a body. */
  readonly body: string | null;
  readonly isBase64Encoded: boolean;
}

/** `requestContext.authorizer` of payload 2.0. */
export interface LambdaEventAuthorizerV2 {
  readonly jwt?: {
    readonly claims: Readonly<Record<string, unknown>>;
    readonly scopes: readonly string[] | null;
  };
  readonly lambda?: Readonly<Record<string, unknown>>;
}

/** The event of payload format 2.0 (HTTP APIs; `APIGatewayProxyEventV2`). Absent parts are left out. */
export interface LambdaEventV2 {
  readonly version: '2.0';
  /** `GET /pets/{id}`, or `$default` when the route is not known. */
  readonly routeKey: string;
  readonly rawPath: string;
  /** The query as sent, without `?`; `''` without a query. */
  readonly rawQueryString: string;
  /** The `Cookie` header's cookies (`name=value`), when it has any. */
  readonly cookies?: readonly string[];
  /** Lower-case names; repeated headers joined with commas. The cookies are in `cookies`. */
  readonly headers: Readonly<Record<string, string>>;
  /** Decoded query parameters; a repeated one's values joined with commas. */
  readonly queryStringParameters?: Readonly<Record<string, string>>;
  readonly pathParameters?: Readonly<Record<string, string>>;
  readonly stageVariables?: Readonly<Record<string, string>>;
  readonly requestContext: {
    readonly accountId: string;
    readonly apiId: string;
    readonly authentication?: { readonly clientCert: LambdaClientCert };
    readonly authorizer?: LambdaEventAuthorizerV2;
    readonly domainName: string;
    readonly domainPrefix: string;
    readonly http: {
      readonly method: string;
      readonly path: string;
      readonly protocol: string;
      readonly sourceIp: string;
      readonly userAgent: string;
    };
    readonly requestId: string;
    readonly routeKey: string;
    readonly stage: string;
    /** `dd/MMM/yyyy:HH:mm:ss +0000`. */
    readonly time: string;
    readonly timeEpoch: number;
  };
  readonly body?: string;
  readonly isBase64Encoded: boolean;
}

export type LambdaEvent = LambdaEventV1 | LambdaEventV2;

/** What a handler answers (`APIGatewayProxyResult` / `APIGatewayProxyStructuredResultV2`). */
export interface LambdaResult {
  statusCode: number;
  headers?: Record<string, string | number | boolean>;
  /** Payload 1.0: every value of a header (replaces the same name in `headers`). */
  multiValueHeaders?: Record<string, ReadonlyArray<string | number | boolean>>;
  /** Payload 2.0: each becomes one `Set-Cookie` field. */
  cookies?: readonly string[];
  body?: string;
  /** The body is base64: it is decoded and its bytes sent. */
  isBase64Encoded?: boolean;
}

/** The Lambda `context` object (`Context` in `@types/aws-lambda`). */
export interface LambdaContext {
  callbackWaitsForEmptyEventLoop: boolean;
  readonly functionName: string;
  readonly functionVersion: string;
  /** `arn:aws:lambda:{region}:{accountId}:function:{functionName}`. */
  readonly invokedFunctionArn: string;
  /** Megabytes, as text (the Node.js runtime's type). */
  readonly memoryLimitInMB: string;
  /** The gateway's request id (`x-request-id`). */
  readonly awsRequestId: string;
  readonly logGroupName: string;
  readonly logStreamName: string;
  /** Milliseconds left before `timeout` ends the invocation with 504. */
  getRemainingTimeInMillis(): number;
  /** The legacy ways of answering, before callbacks: `done(error, result)`. */
  done(error?: unknown, result?: unknown): void;
  fail(error: unknown): void;
  succeed(result: unknown): void;
}

/** Node's Lambda callback: `callback(error)` fails the invocation, `callback(null, result)` answers. */
export type LambdaCallback = (error?: unknown, result?: unknown) => void;

/**
 * A Lambda handler for API Gateway's proxy integration: async (returns or resolves to the
 * result), or in the callback style (declares a third parameter and calls
 * `callback(null, result)`). `E` lets a handler typed with `@types/aws-lambda`'s
 * `APIGatewayProxyEvent` or `APIGatewayProxyEventV2` be passed as it is.
 */
export type LambdaHandler<E = LambdaEvent> = (
  event: E,
  context: LambdaContext,
  callback: LambdaCallback,
) => unknown;

/** Why an invocation failed, given to `onError`. */
export interface LambdaErrorDetails {
  /** The gateway's request id (also the context's `awsRequestId`). */
  readonly requestId: string;
  readonly functionName: string;
  /**
   * `'error'`: the handler threw, rejected or reported an error; `'timeout'`: no result within
   * `timeout`; `'malformed'`: the result is not one API Gateway accepts.
   */
  readonly reason: 'error' | 'timeout' | 'malformed';
}
