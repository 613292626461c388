export {
  RESOURCE_POLICY_DEFAULTS,
  type ResourcePolicyOptions,
} from './options.js';
export { resourcePolicy } from './resource-policy.js';
export type {
  ResourcePolicyDocument,
  ResourcePolicyStatement,
  ResourcePolicyWarning,
} from './types.js';
