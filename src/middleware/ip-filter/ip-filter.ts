/** `gateway.ipFilter()`: a resource policy on the source IP (`aws:SourceIp`), allow and deny lists of ranges. */

import { createMiddleware } from '../../adapters/universal.js';
import { sendPrepared } from '../../core/errors.js';
import type { GatewayMiddleware } from '../../core/middleware.js';
import { parseClientAddress } from './addresses.js';
import { type IpFilterConfig, type IpFilterOptions, resolveIpFilterOptions } from './options.js';
import { ALLOW, DENY } from './prefix-trie.js';

/**
 * Admits or refuses a request by its client address, the one `throttle` keys on (Express
 * `trust proxy`, Koa `app.proxy`). A `deny` match always refuses; with `allow`, only its ranges
 * pass. A refused request gets 403 `{"message":"Forbidden"}` and never reaches the handler; so
 * does one whose address is not an IP address (garbage in a trusted `X-Forwarded-For`).
 *
 * @example
 * app.use('/admin', gateway.ipFilter({ allow: ['10.0.0.0/8', '2001:db8::/32'] }));
 * app.use(gateway.ipFilter({ deny: ['203.0.113.0/24'] }));
 * @see https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-resource-policies-examples.html
 */
export function ipFilter(options: IpFilterOptions): GatewayMiddleware {
  const config = resolveIpFilterOptions(options);
  return createMiddleware('ipFilter', function ipFilter(ex, next) {
    if (!admits(config, ex.ip)) return sendPrepared(ex, config.forbidden);
    return next();
  });
}

/** Whether `ip` passes the filter: not denied, and allowed when there is an allow list. */
export function admits(config: IpFilterConfig, ip: string): boolean {
  const address = parseClientAddress(ip);
  if (address === undefined) return false;
  const marks = config.ranges.lookup(address);
  if ((marks & DENY) !== 0) return false;
  return !config.allowListed || (marks & ALLOW) !== 0;
}
