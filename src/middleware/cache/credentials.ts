/**
 * Credentials and the cache: which requests bypass it, and usage plans found mounted after it.
 *
 * A shared cache must not answer a request carrying a credential with a response stored for
 * someone else (RFC 9111 §3.5): Varnish passes any request with `Authorization` or `Cookie`.
 * An API key is a credential too, except once `usagePlans()` has checked it: then every admitted
 * caller may share the stage's entries, as API Gateway's cache does. nginx and apicache key on
 * the URL alone, so that a cache mounted before the key check serves anyone what a key holder
 * got (apicache issue #225); here it cannot.
 */

import type { ApiKeyInfo } from '../../core/context.js';
import type { Exchange } from '../../core/exchange.js';
import type { CacheConfig } from './options.js';

/** Whether `ex` carries a credential its key does not include (so it must not use the cache). */
export function carriesCredential(config: CacheConfig, ex: Exchange): boolean {
  // Indexed: a for-of here ran through the array iterator builtin on every request.
  const { credentials } = config;
  for (let i = 0; i < credentials.length; i++)
    if (ex.header(credentials[i]!) !== undefined) return true;
  const apiKey = config.apiKeyHeader;
  // Admitted by usage plans mounted before the cache: the key was checked, the caller may share.
  return apiKey !== undefined && ex.gateway.apiKey === undefined && ex.header(apiKey) !== undefined;
}

/**
 * Whether usage plans mounted after the cache admitted `ex` (`admittedBefore`: its `apiKey` when
 * the cache ran). Its response must not be stored: the next caller would get it from the cache
 * without the usage plans ever seeing their key. Warns once, naming the order.
 */
export function admittedBehind(ex: Exchange, admittedBefore: ApiKeyInfo | undefined): boolean {
  if (admittedBefore !== undefined || ex.gateway.apiKey === undefined) return false;
  if (!warned) {
    warned = true;
    process.emitWarning(
      'portcullis.cache: usagePlans() runs after cache(), so responses to API key holders are ' +
        'never cached; mount usagePlans() before cache() to let admitted callers share entries',
      { code: 'PORTCULLIS_CACHE_ORDER' },
    );
  }
  return true;
}

let warned = false;
