/** The management methods on a `usagePlans()` middleware: keys and usage reports, as API Gateway's API has. */

import { randomUUID } from 'node:crypto';
import { optionRangeError, optionTypeError } from '../../core/validate.js';
import type { KeyRecord } from '../../stores/types.js';
import { generateKey, hashKey } from './keys.js';
import type { ApiKeyInput, UsagePlansConfig } from './options.js';
import { assertKeyInput, assertPlanName } from './plans.js';
import { DAY_MS, isoDate, periodBounds, toUtcDay, type UsageDay, usageRows } from './quota.js';

/** A day: a `Date`, ms since the epoch, or `'YYYY-MM-DD'` (UTC). */
export type DayInput = Date | number | string;

/** API Gateway's GetUsage shape: per key id, one `[used, remaining]` per UTC day from `startDate` to `endDate`. */
export interface UsageReport {
  readonly startDate: string;
  readonly endDate: string;
  readonly items: Record<string, UsageDay[]>;
}

/** Longest range `usage()` reports on, in days. */
const MAX_USAGE_DAYS = 366;

export interface KeyManagement {
  /** Creates a key on `plan`. The plaintext `key` (40 characters) is returned once and never stored. */
  createKey(options: { plan: string; id?: string; name?: string; enabled?: boolean }): Promise<{
    id: string;
    key: string;
  }>;
  /** Loads keys (plaintext hashed at once), replacing keys with the same ids. */
  importKeys(keys: readonly ApiKeyInput[]): Promise<void>;
  /** Allows the key again from the next request. Rejects for an unknown id. */
  enableKey(id: string): Promise<void>;
  /** Refuses the key (403) from the next request. Rejects for an unknown id. */
  disableKey(id: string): Promise<void>;
  /** Removes the key; resolves `true` when it existed. Its usage history stays. */
  deleteKey(id: string): Promise<boolean>;
  /** Moves the key to another plan from the next request. Rejects for an unknown id or plan. */
  setPlan(id: string, plan: string): Promise<void>;
  /**
   * Usage per UTC day from `from` to `to` (inclusive, default today), for key `id` or for every
   * key: `[used, remaining]`, where `remaining` is what the key's current plan quota had left at
   * the end of that day (`null` for a plan without a quota).
   */
  usage(id?: string, range?: { from?: DayInput; to?: DayInput }): Promise<UsageReport>;
}

const SCOPE = 'usagePlans';

/** The management methods, bound to one middleware's configuration. */
export function keyManagement(config: UsagePlansConfig): KeyManagement {
  const { keyStore, namespace, plans } = config;

  const existing = async (method: string, id: unknown): Promise<KeyRecord> => {
    if (typeof id !== 'string') throw optionTypeError(`${SCOPE}.${method}`, 'id', 'a string', id);
    const record = await keyStore.getKey(namespace, id);
    if (record === undefined)
      throw optionRangeError(`${SCOPE}.${method}`, 'id', 'the id of an existing key', id);
    return record;
  };

  const setEnabled = async (method: string, id: string, enabled: boolean): Promise<void> => {
    const record = await existing(method, id);
    await keyStore.putKey(namespace, { ...record, enabled });
  };

  const put = async (method: string, input: ApiKeyInput): Promise<void> => {
    const hash = hashKey(input.key);
    const holder = await keyStore.getKeyByHash(namespace, hash);
    if (holder !== undefined && holder.id !== input.id)
      throw new TypeError(
        `portcullis.${SCOPE}.${method}: the key of "${input.id}" is already in use`,
      );
    const record: KeyRecord = {
      id: input.id,
      hash,
      plan: input.plan,
      enabled: input.enabled ?? true,
      createdAt: config.clock.now(),
      ...(input.name === undefined ? {} : { name: input.name }),
    };
    await keyStore.putKey(namespace, record);
  };

  return {
    async createKey(options) {
      const scope = `${SCOPE}.createKey`;
      if (typeof options !== 'object' || options === null)
        throw optionTypeError(scope, 'options', 'an object like { plan }', options);
      const id = options.id ?? randomUUID();
      const key = generateKey();
      const input = { ...options, id, key };
      assertKeyInput(SCOPE, 'createKey', input, plans);
      if ((await keyStore.getKey(namespace, id)) !== undefined)
        throw optionRangeError(scope, 'id', 'an id not in use', id);
      await put('createKey', input);
      return { id, key };
    },

    async importKeys(keys) {
      if (!Array.isArray(keys)) throw optionTypeError(SCOPE, 'importKeys', 'an array', keys);
      keys.forEach((input: unknown, i: number) => {
        assertKeyInput(SCOPE, `importKeys[${i}]`, input, plans);
      });
      for (const input of keys) await put('importKeys', input);
    },

    enableKey: (id) => setEnabled('enableKey', id, true),
    disableKey: (id) => setEnabled('disableKey', id, false),

    async deleteKey(id) {
      if (typeof id !== 'string') throw optionTypeError(`${SCOPE}.deleteKey`, 'id', 'a string', id);
      return keyStore.deleteKey(namespace, id);
    },

    async setPlan(id, plan) {
      assertPlanName(`${SCOPE}.setPlan`, 'plan', plan, plans);
      const record = await existing('setPlan', id);
      await keyStore.putKey(namespace, { ...record, plan });
    },

    async usage(id, range = {}) {
      const scope = `${SCOPE}.usage`;
      const today = toUtcDay(config.clock.now())!;
      const from = range.from === undefined ? today : toUtcDay(range.from);
      const to = range.to === undefined ? Math.max(today, from ?? today) : toUtcDay(range.to);
      if (from === undefined)
        throw optionTypeError(scope, 'from', 'a Date, a time in ms or YYYY-MM-DD', range.from);
      if (to === undefined)
        throw optionTypeError(scope, 'to', 'a Date, a time in ms or YYYY-MM-DD', range.to);
      if (to < from || (to - from) / DAY_MS >= MAX_USAGE_DAYS)
        throw optionRangeError(
          scope,
          'to',
          `a day from "from" to ${MAX_USAGE_DAYS} days after it`,
          isoDate(to),
        );
      const records =
        id === undefined ? await keyStore.listKeys(namespace) : [await existing('usage', id)];
      const items: Record<string, UsageDay[]> = {};
      for (const record of records) {
        const quota = plans.get(record.plan)?.quota;
        // Read from the start of the quota period containing `from`, so that `remaining` counts
        // the days of that period before `from` too.
        const countsFrom = quota === undefined ? from : periodBounds(quota.period, from).start;
        const counts = await config.store.getUsage(`${namespace}:q:${record.id}`, countsFrom, to);
        const first = quota === undefined ? 0 : config.firstPeriod[quota.period];
        items[record.id] = usageRows(counts, countsFrom, from, quota, first);
      }
      return { startDate: isoDate(from), endDate: isoDate(to), items };
    },
  };
}
