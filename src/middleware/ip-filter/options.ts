/** `ipFilter()` options, their defaults, and the resolved configuration (the ranges compiled into a trie). */

import {
  type ErrorResponseOptions,
  type PreparedResponse,
  prepareErrorResponse,
} from '../../core/errors.js';
import {
  assertKnownOptions,
  assertOptionsObject,
  optionRangeError,
  optionTypeError,
  stripUndefined,
} from '../../core/validate.js';
import { parseRange, RangeSyntaxError } from './addresses.js';
import { ALLOW, DENY, PrefixTrie } from './prefix-trie.js';

export interface IpFilterOptions {
  /**
   * Addresses and CIDR ranges that may pass, IPv4 or IPv6 (`'10.0.0.0/8'`, `'192.0.2.7'`,
   * `'2001:db8::/32'`). When given, every other address is refused. An IPv4-mapped IPv6 client
   * (`::ffff:10.1.2.3`) is matched as its IPv4 address.
   * @default undefined (every address not denied passes)
   */
  allow?: readonly string[];
  /** Addresses and CIDR ranges that are refused, even when `allow` also contains them. @default [] */
  deny?: readonly string[];
  /** Replaces the 403 `{"message":"Forbidden"}`. */
  response?: ErrorResponseOptions;
}

export const IP_FILTER_DEFAULTS = {
  allow: undefined,
  deny: [],
  response: undefined,
} as const satisfies IpFilterOptions;

const KNOWN_OPTIONS = Object.keys(IP_FILTER_DEFAULTS);
const SCOPE = 'ipFilter';

/** The resolved configuration. */
export interface IpFilterConfig {
  readonly ranges: PrefixTrie;
  /** Whether an address must match `allow` (an allow list was given). */
  readonly allowListed: boolean;
  readonly forbidden: PreparedResponse;
}

/** Validates `options` and compiles both lists into one trie. */
export function resolveIpFilterOptions(options: IpFilterOptions): IpFilterConfig {
  assertOptionsObject(SCOPE, options);
  assertKnownOptions(SCOPE, options, KNOWN_OPTIONS);
  const o = { ...IP_FILTER_DEFAULTS, ...stripUndefined(options) };
  if (o.allow === undefined && Array.isArray(o.deny) && o.deny.length === 0)
    throw new TypeError(
      `portcullis.${SCOPE}: give "allow", "deny" or both (an empty filter lets everything pass)`,
    );
  const ranges = new PrefixTrie();
  if (o.allow !== undefined) {
    // An empty allow list would refuse every request: almost surely a configuration mistake.
    if (Array.isArray(o.allow) && o.allow.length === 0)
      throw optionRangeError(
        SCOPE,
        'allow',
        'a non-empty array (an empty one refuses everything)',
        o.allow,
      );
    addRanges(ranges, 'allow', o.allow, ALLOW);
  }
  addRanges(ranges, 'deny', o.deny, DENY);
  ranges.seal();
  return Object.freeze({
    ranges,
    allowListed: o.allow !== undefined,
    forbidden: prepareErrorResponse('forbidden', o.response, SCOPE, 'response'),
  });
}

function addRanges(trie: PrefixTrie, option: string, list: unknown, mark: number): void {
  if (!Array.isArray(list))
    throw optionTypeError(SCOPE, option, 'an array of IP addresses and CIDR ranges', list);
  for (const [index, entry] of list.entries()) {
    if (typeof entry !== 'string')
      throw optionTypeError(SCOPE, `${option}[${index}]`, 'an IP address or CIDR range', entry);
    try {
      trie.insert(parseRange(entry.trim()), mark);
    } catch (err) {
      if (!(err instanceof RangeSyntaxError)) throw err;
      throw optionRangeError(
        SCOPE,
        `${option}[${index}]`,
        `an IP address or CIDR range (${err.message})`,
        entry,
      );
    }
  }
}
