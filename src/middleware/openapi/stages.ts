/**
 * Stages and canaries: each stage mounted under `/{name}` with its variables, throttle and
 * cache; a canary serves its share of a stage's requests with its own variables, sticky per API
 * key (a hash of it) or else per client (a cookie), so that one caller does not flip.
 */

import { createHash, randomInt } from 'node:crypto';
import type { CoreHandler, Exchange } from '../../core/exchange.js';
import { coreHandlerOf } from '../../core/middleware.js';
import { type CacheOptions, cache } from '../cache/index.js';
import { prefixedOptionError } from '../pipeline/pieces.js';
import { type ThrottleOptions, throttle } from '../throttle/index.js';
import { type OpenApiConfig, SCOPE, type StageOptions } from './options.js';

/** One set of stage variables the integrations are compiled for: a stage, or its canary. */
export interface Variant {
  readonly stage: string;
  readonly canary: boolean;
  readonly variables: Readonly<Record<string, string>>;
}

export interface Stage {
  readonly name: string;
  /** Index of the stage's own variant, and of its canary's (or -1). */
  readonly main: number;
  readonly canary: number;
  /** The canary's share in hundredths of a percent (0–10000). */
  readonly share: number;
  readonly throttle: CoreHandler | undefined;
  /** The stage's cache settings (built per variant and cache key, see `StageCaches`). */
  readonly cache: CacheOptions | undefined;
}

/** The name of the stage when there are none: API Gateway's HTTP API default stage. */
export const DEFAULT_STAGE = '$default';

/** The stages of `config` (one `$default` without any) and the variants to compile. */
export function compileStages(config: OpenApiConfig): { stages: Stage[]; variants: Variant[] } {
  const entries: Array<[string, StageOptions]> =
    config.stages === undefined ? [[DEFAULT_STAGE, {}]] : Object.entries(config.stages);
  const stages: Stage[] = [];
  const variants: Variant[] = [];
  for (const [name, options] of entries) {
    const variables = { ...options.variables };
    const main = variants.push({ stage: name, canary: false, variables }) - 1;
    let canary = -1;
    if (options.canary !== undefined) {
      const merged = { ...variables, ...options.canary.variables };
      canary = variants.push({ stage: name, canary: true, variables: merged }) - 1;
    }
    stages.push({
      name,
      main,
      canary,
      share: Math.round((options.canary?.percentTraffic ?? 0) * 100),
      throttle: options.throttle === undefined ? undefined : stageThrottle(name, options.throttle),
      cache: cacheOptionsOf(options.cache),
    });
  }
  return { stages, variants };
}

/** A stage's throttle; an option error names it as `openapi()` takes it (`stages.prod.throttle.rate`). */
function stageThrottle(stage: string, options: ThrottleOptions): CoreHandler {
  try {
    return coreHandlerOf(throttle(options))!;
  } catch (err) {
    throw prefixedOptionError(err, SCOPE, `stages.${stage}.throttle`);
  }
}

function cacheOptionsOf(value: StageOptions['cache']): CacheOptions | undefined {
  if (value === undefined) return undefined;
  if (value === true) return {};
  return typeof value === 'number' ? { ttl: value } : value;
}

/**
 * The stage caches, one per variant and set of `cacheKeyParameters` headers: a canary never
 * serves the stable version's entries (nor the reverse), and an operation's key parameters join
 * its key. Built once at start-up.
 */
export class StageCaches {
  private readonly built = new Map<string, CoreHandler>();

  handlerFor(stage: Stage, variant: Variant, headers: readonly string[]): CoreHandler | undefined {
    if (stage.cache === undefined) return undefined;
    const base = stage.cache.namespace ?? `openapi.${variant.stage}`;
    const namespace = variant.canary ? `${base}.canary` : base;
    const key = `${namespace}\n${headers.join('\n')}`;
    let handler = this.built.get(key);
    if (handler === undefined) {
      const listed = [...(stage.cache.headers ?? []), ...headers];
      try {
        handler = coreHandlerOf(cache({ ...stage.cache, namespace, headers: listed }))!;
      } catch (err) {
        throw prefixedOptionError(err, SCOPE, `stages.${stage.name}.cache`);
      }
      this.built.set(key, handler);
    }
    return handler;
  }
}

export const CANARY_COOKIE = 'portcullis-canary';
const TICKET = /^\d{1,4}$/;

/**
 * Whether the canary serves this request. Each caller holds a ticket from 0 to 9999, served by
 * the canary when below its share: the hash of its API key, else the ticket in its cookie (a
 * new random one, set in the response, when it has none). The share may change; tickets stay.
 */
export function servedByCanary(ex: Exchange, stage: Stage, keyHeader: string): boolean {
  if (stage.share === 0) return false;
  if (stage.share >= 10_000) return true;
  return ticketOf(ex, stage, keyHeader) < stage.share;
}

function ticketOf(ex: Exchange, stage: Stage, keyHeader: string): number {
  const key = ex.header(keyHeader);
  if (key !== undefined && key !== '')
    return createHash('sha256').update(key).digest().readUInt32BE(0) % 10_000;
  const fromCookie = cookieTicket(ex.header('cookie'));
  if (fromCookie !== undefined) return fromCookie;
  const ticket = randomInt(10_000);
  const path = stage.name === DEFAULT_STAGE ? '/' : `/${stage.name}`;
  ex.setHeader('set-cookie', `${CANARY_COOKIE}=${ticket}; Path=${path}; HttpOnly; SameSite=Lax`);
  return ticket;
}

function cookieTicket(header: string | undefined): number | undefined {
  if (header === undefined) return undefined;
  for (const pair of header.split(';')) {
    const eq = pair.indexOf('=');
    if (eq === -1 || pair.slice(0, eq).trim() !== CANARY_COOKIE) continue;
    const value = pair.slice(eq + 1).trim();
    return TICKET.test(value) ? Number(value) : undefined;
  }
  return undefined;
}
