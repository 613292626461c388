export { lambda } from './lambda.js';
export { LAMBDA_DEFAULTS, type LambdaOptions } from './options.js';
export type {
  LambdaCallback,
  LambdaClientCert,
  LambdaContext,
  LambdaErrorDetails,
  LambdaEvent,
  LambdaEventAuthorizerV1,
  LambdaEventAuthorizerV2,
  LambdaEventIdentity,
  LambdaEventV1,
  LambdaEventV2,
  LambdaHandler,
  LambdaResult,
} from './types.js';
