export type { DayInput, KeyManagement, UsageReport } from './management.js';
export {
  type ApiKeyInput,
  type PlanOptions,
  type PlanQuota,
  type PlanThrottle,
  USAGE_PLANS_DEFAULTS,
  type UsagePlansOptions,
  type UsagePlansResponses,
} from './options.js';
export type { QuotaPeriod, UsageDay } from './quota.js';
export { type UsagePlansMiddleware, usagePlans } from './usage-plans.js';
