/** What throttle and usage plans share once a bucket has answered: headers, context, the 429, store health. */

import type { Exchange, Next } from '../../core/exchange.js';
import type { BucketResult } from '../../stores/types.js';
import {
  appendListItem,
  RATELIMIT,
  RATELIMIT_POLICY,
  rateLimitItem,
  retryAfterSeconds,
} from './headers.js';

/** Adds this policy's items to `RateLimit-Policy` and `RateLimit`. */
export function setRateLimitFields(
  ex: Exchange,
  policy: string,
  label: string,
  remaining: number,
  resetMs: number,
): void {
  appendListItem(ex, RATELIMIT_POLICY, policy);
  appendListItem(ex, RATELIMIT, rateLimitItem(label, remaining, resetMs));
}

/**
 * Collects the items of several policies (a plan's throttle and quota) so that each field is set
 * once per request: every `setHeader` validates the whole value again.
 */
export class RateLimitFields {
  private policy = '';
  private state = '';

  add(policy: string, label: string, remaining: number, resetMs: number): void {
    const item = rateLimitItem(label, remaining, resetMs);
    this.policy = this.policy === '' ? policy : `${this.policy}, ${policy}`;
    this.state = this.state === '' ? item : `${this.state}, ${item}`;
  }

  write(ex: Exchange): void {
    if (this.policy === '') return;
    appendListItem(ex, RATELIMIT_POLICY, this.policy);
    appendListItem(ex, RATELIMIT, this.state);
  }
}

/**
 * Hand-over of RateLimit items from a throttle to the usage plans running it (`pipeline()`: the
 * stage throttle runs inside usage plans' `aroundCharge`, see usage-plans.ts). Without it the
 * throttle sets `RateLimit-Policy` and `RateLimit` and the plan then reads and sets both again
 * with its items appended: four `setHeader` and four `getHeader` where two `setHeader` do. Usage
 * plans offer a collector for the exchange just before they call the throttle, and withdraw it
 * when that call returns; a throttle takes it only for that exchange and only when it is
 * called within that call (it is the first piece run), so an offer never reaches another
 * request. A throttle that did not take it sets its fields itself, as when mounted alone.
 */
let offeredTo: Exchange | undefined;
let offered: RateLimitFields | undefined;

/** Usage plans: `fields` collects the RateLimit items of a throttle run for `ex` from now on. */
export function offerFields(ex: Exchange, fields: RateLimitFields): void {
  offeredTo = ex;
  offered = fields;
}

/** Usage plans: the call that could take the offer has returned. */
export function withdrawFields(): void {
  offeredTo = undefined;
  offered = undefined;
}

/** Throttle: the collector offered for `ex`, taken (at most once), or undefined. */
export function takeOfferedFields(ex: Exchange): RateLimitFields | undefined {
  if (offeredTo !== ex) return undefined;
  const fields = offered;
  withdrawFields();
  return fields;
}

/** Records the decision on the context; with stacked throttles the tightest one is kept. */
export function recordThrottle(
  ex: Exchange,
  name: string,
  burst: number,
  result: BucketResult,
): void {
  const previous = ex.gateway.throttle;
  if (result.allowed && previous?.allowed === true && previous.remaining < result.remaining) return;
  ex.gateway.throttle = {
    policy: name,
    limit: burst,
    remaining: result.remaining,
    allowed: result.allowed,
  };
}

/** The `Retry-After` header of a refusal, as the extra header list `sendPrepared` takes. */
export function retryAfter(ms: number): Array<readonly [string, string]> {
  return [['retry-after', retryAfterSeconds(ms)]];
}

/**
 * Continues down the chain. Koa needs the promise of `next()` (errors and ordering flow through
 * it); in Express awaiting it would only wait for the response to finish, which costs listeners
 * on every request for nothing.
 */
export function proceed(ex: Exchange, next: Next): PromiseLike<void> | undefined {
  const downstream = next();
  return ex.framework === 'koa' ? downstream : undefined;
}

/**
 * Tells the operator once when a store starts failing and once when it answers again, never per
 * request (a down store under load would otherwise flood the logs).
 */
export class StoreHealth {
  private down = false;

  constructor(private readonly scope: string) {}

  failed(err: unknown, consequence: string): void {
    if (this.down) return;
    this.down = true;
    const reason = err instanceof Error ? err.message : String(err);
    process.emitWarning(`portcullis.${this.scope}: store failed (${reason}); ${consequence}`, {
      code: 'PORTCULLIS_STORE_DOWN',
    });
  }

  ok(): void {
    if (!this.down) return;
    this.down = false;
    process.emitWarning(`portcullis.${this.scope}: store answers again`, {
      code: 'PORTCULLIS_STORE_UP',
    });
  }
}
