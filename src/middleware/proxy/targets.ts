/** Upstream targets: URL validation, round-robin over a list with ejection, per-request functions. */

import type { Clock } from '../../core/clock.js';
import { optionTypeError } from '../../core/validate.js';
import type { TargetFunction } from './options.js';

/** The compiled `target` option. */
export type TargetSpec =
  | { readonly kind: 'list'; readonly urls: readonly URL[] }
  | { readonly kind: 'function'; readonly pick: TargetFunction };

/** Parses one upstream URL; only http and https, without query or fragment. */
export function parseTarget(scope: string, option: string, value: unknown): URL {
  let url: URL | undefined;
  if (value instanceof URL) url = new URL(value.href);
  else if (typeof value === 'string') url = URL.canParse(value) ? new URL(value) : undefined;
  if (
    url === undefined ||
    (url.protocol !== 'http:' && url.protocol !== 'https:') ||
    url.search !== '' ||
    url.hash !== ''
  ) {
    throw optionTypeError(
      scope,
      option,
      'an http(s) URL without query, like "http://127.0.0.1:9000"',
      value,
    );
  }
  return url;
}

export function compileTargets(scope: string, option: string, value: unknown): TargetSpec {
  if (typeof value === 'function') return { kind: 'function', pick: value as TargetFunction };
  if (Array.isArray(value)) {
    if (value.length === 0)
      throw optionTypeError(scope, option, 'a URL, a non-empty list of URLs or a function', value);
    return {
      kind: 'list',
      urls: Object.freeze(value.map((item, i) => parseTarget(scope, `${option}[${i}]`, item))),
    };
  }
  if (value === undefined)
    throw optionTypeError(scope, option, 'a URL, a non-empty list of URLs or a function', value);
  return { kind: 'list', urls: Object.freeze([parseTarget(scope, option, value)]) };
}

/**
 * Round-robin over a fixed list. An upstream that refused a connection is skipped until
 * `ejectedUntil[i]`; when every upstream is ejected, the one whose ejection ends first is
 * tried anyway (better a likely 502 than a certain one).
 */
export class TargetPool {
  private readonly ejectedUntil: number[];
  private cursor = 0;

  constructor(
    readonly urls: readonly URL[],
    private readonly ejectForMs: number,
    private readonly clock: Clock,
  ) {
    this.ejectedUntil = urls.map(() => 0);
  }

  /** The next upstream in turn that is not ejected. */
  pick(): URL {
    const n = this.urls.length;
    if (n === 1) return this.urls[0]!;
    const now = this.clock.now();
    let soonest = 0;
    for (let k = 0; k < n; k++) {
      const i = (this.cursor + k) % n;
      if (this.ejectedUntil[i]! <= now) {
        this.cursor = (i + 1) % n;
        return this.urls[i]!;
      }
      if (this.ejectedUntil[i]! < this.ejectedUntil[soonest]!) soonest = i;
    }
    return this.urls[soonest]!;
  }

  /** Another available upstream than `failed`, for the one retry; undefined when none is. */
  alternative(failed: URL): URL | undefined {
    if (this.urls.length < 2) return undefined;
    const next = this.pick();
    return next === failed || this.isEjected(next) ? undefined : next;
  }

  eject(url: URL): void {
    const i = this.urls.indexOf(url);
    if (i !== -1 && this.urls.length > 1) this.ejectedUntil[i] = this.clock.now() + this.ejectForMs;
  }

  private isEjected(url: URL): boolean {
    return this.ejectedUntil[this.urls.indexOf(url)]! > this.clock.now();
  }
}

/** Parses the URLs a target function returns, remembering the last few (they repeat). */
export class TargetCache {
  private readonly parsed = new Map<string, URL>();

  resolve(scope: string, value: unknown): URL {
    const key = value instanceof URL ? value.href : value;
    if (typeof key === 'string') {
      const hit = this.parsed.get(key);
      if (hit !== undefined) return hit;
    }
    const url = parseTarget(scope, 'target() result', value);
    if (this.parsed.size >= 256) this.parsed.clear();
    this.parsed.set(key as string, url);
    return url;
  }
}
