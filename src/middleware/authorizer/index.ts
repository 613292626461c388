export {
  type AuthorizerControls,
  type AuthorizerMiddleware,
  authorizer,
} from './authorizer.js';
export {
  AUTHORIZER_ARN_DEFAULTS,
  AUTHORIZER_DEFAULTS,
  type AuthorizerArnOptions,
  type AuthorizerOptions,
  type AuthorizerResponses,
} from './options.js';
export type {
  AuthorizerContextValue,
  AuthorizerEvent,
  AuthorizerFunction,
  AuthorizerPolicyResult,
  AuthorizerRequestEvent,
  AuthorizerResult,
  AuthorizerSimpleResult,
  AuthorizerStatement,
  AuthorizerTokenEvent,
} from './types.js';
