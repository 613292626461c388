/** The management methods on a `usagePlans()` middleware: keys and usage reports, as API Gateway's API has. */

import { createHash, randomUUID } from 'node:crypto';
import { optionRangeError, optionTypeError } from '../../core/validate.js';
import type { KeyRecord } from '../../stores/types.js';
import { defineKey, generateKey, type KeyDefinition } from './keys.js';
import { quotaSubject } from './known-keys.js';
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
  /**
   * Loads keys (plaintext hashed at once): creates the keys that are absent; a key already there
   * keeps what was changed at run time, and is replaced only when its definition here differs
   * from the one it was last imported from. Rejects when a key is another id's.
   */
  importKeys(keys: readonly ApiKeyInput[]): Promise<void>;
  /** Allows the key again from the next request. Rejects for an unknown id. */
  enableKey(id: string): Promise<void>;
  /** Refuses the key (403) from the next request. Rejects for an unknown id. */
  disableKey(id: string): Promise<void>;
  /**
   * Removes the key; resolves `true` when it existed. Its usage history stays (`usage(id)`); a new
   * key given the same id later starts its quota at zero.
   */
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

/**
 * The management methods, bound to one middleware's configuration. Each first waits for the
 * start-up import (`loaded`), so that a key of the `keys` option is there for it.
 */
export function keyManagement(
  config: UsagePlansConfig,
  loaded: () => Promise<void>,
): KeyManagement {
  const { keyStore, namespace, plans } = config;

  const existing = async (method: string, id: unknown): Promise<KeyRecord> => {
    if (typeof id !== 'string') throw optionTypeError(`${SCOPE}.${method}`, 'id', 'a string', id);
    await loaded();
    const record = await keyStore.getKey(namespace, id);
    if (record === undefined)
      throw optionRangeError(`${SCOPE}.${method}`, 'id', 'the id of an existing key', id);
    return record;
  };

  const setEnabled = async (method: string, id: string, enabled: boolean): Promise<void> => {
    const record = await existing(method, id);
    await keyStore.putKey(namespace, { ...record, enabled });
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
      await loaded();
      // Made by hand, not imported: no source digest, so no import ever replaces it.
      const { source: _, ...record } = toRecord(defineKey(input), config.clock.now());
      if (!(await createRecord(config, record)))
        throw optionRangeError(scope, 'id', 'an id not in use', id);
      return { id, key };
    },

    async importKeys(keys) {
      if (!Array.isArray(keys)) throw optionTypeError(SCOPE, 'importKeys', 'an array', keys);
      keys.forEach((input: unknown, i: number) => {
        assertKeyInput(SCOPE, `importKeys[${i}]`, input, plans);
      });
      await loaded();
      for (const definition of keys.map(defineKey)) {
        // An explicit import at run time is the operator's latest word: it restores deleted keys.
        if ((await importDefinition(config, definition, { restoreDeleted: true })) === 'conflict')
          throw new TypeError(
            `portcullis.${SCOPE}.importKeys: the key of "${definition.id}" is already in use`,
          );
      }
    },

    enableKey: (id) => setEnabled('enableKey', id, true),
    disableKey: (id) => setEnabled('disableKey', id, false),

    async deleteKey(id) {
      if (typeof id !== 'string') throw optionTypeError(`${SCOPE}.deleteKey`, 'id', 'a string', id);
      await loaded();
      const record = await keyStore.getKey(namespace, id);
      const deleted = await keyStore.deleteKey(namespace, id);
      if (deleted && record?.source !== undefined) await rememberDeletion(config, record);
      return deleted;
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
      if (id !== undefined && typeof id !== 'string')
        throw optionTypeError(scope, 'id', 'a string', id);
      await loaded();
      // A deleted key's history stays: reported without a plan (`remaining` null).
      const subjects: Array<{ id: string; plan: string | undefined }> =
        id === undefined
          ? await keyStore.listKeys(namespace)
          : [{ id, plan: (await keyStore.getKey(namespace, id))?.plan }];
      const items: Record<string, UsageDay[]> = {};
      for (const subject of subjects) {
        const quota = subject.plan === undefined ? undefined : plans.get(subject.plan)?.quota;
        // Read from the start of the quota period containing `from`, so that `remaining` counts
        // the days of that period before `from` too.
        const countsFrom = quota === undefined ? from : periodBounds(quota.period, from).start;
        const subjectKey = quotaSubject(namespace, subject.id);
        const counts = await config.quotaStore.getUsage(subjectKey, countsFrom, to);
        const first = quota === undefined ? 0 : config.firstPeriod[quota.period];
        items[subject.id] = usageRows(counts, countsFrom, from, quota, first);
      }
      return { startDate: isoDate(from), endDate: isoDate(to), items };
    },
  };
}

/** What importing one definition did. */
export type ImportOutcome = 'created' | 'unchanged' | 'updated' | 'conflict';

/**
 * Imports one definition: created when its id is absent; left as it is when the stored record
 * came from this same definition (what was changed at run time wins); replaced, keeping its
 * creation time, when the definition changed since. `'conflict'` when its key is another id's.
 */
export async function importDefinition(
  config: UsagePlansConfig,
  definition: KeyDefinition,
  { restoreDeleted = false } = {},
): Promise<ImportOutcome> {
  const { keyStore, namespace } = config;
  // Twice at most: a first creation can lose the race to another instance importing this id.
  for (let attempt = 0; attempt < 2; attempt++) {
    const current = await keyStore.getKey(namespace, definition.id);
    if (current?.source === definition.source) return 'unchanged';
    if (current === undefined && !restoreDeleted) {
      // Deleted at run time from this very definition: the deletion wins over the next start.
      const deletion = await keyStore.getKey(deletionsOf(namespace), definition.id);
      if (deletion !== undefined && deletion.source === definition.source) return 'unchanged';
    }
    const holder = await keyStore.getKeyByHash(namespace, definition.hash);
    if (holder !== undefined && holder.id !== definition.id) return 'conflict';
    if (current === undefined) {
      if (await createRecord(config, toRecord(definition, config.clock.now()))) return 'created';
      continue;
    }
    await keyStore.putKey(namespace, toRecord(definition, current.createdAt));
    return 'updated';
  }
  return 'unchanged';
}

/**
 * Stores a new key when neither its id nor its key is in use (atomically, with a store that has
 * `addKey`), and starts its quota at zero: a deleted key's id may be reused, its count must not
 * be. Resolves false when nothing was stored.
 */
async function createRecord(config: UsagePlansConfig, record: KeyRecord): Promise<boolean> {
  const { keyStore, namespace } = config;
  let added: boolean;
  if (keyStore.addKey !== undefined) added = await keyStore.addKey(namespace, record);
  else {
    const taken =
      (await keyStore.getKey(namespace, record.id)) !== undefined ||
      (await keyStore.getKeyByHash(namespace, record.hash)) !== undefined;
    if (!taken) await keyStore.putKey(namespace, record);
    added = !taken;
  }
  if (added) await config.quotaStore.resetQuota?.(quotaSubject(namespace, record.id));
  return added;
}

/**
 * Where run-time deletions of keys that came from the `keys` option are remembered (a namespace
 * of the same key store, one record per id with the deleted definition's digest), so that the
 * next start does not create them again. A record there holds no usable key: its hash is a
 * digest of the id, which no presented key can have.
 */
function deletionsOf(namespace: string): string {
  return `${namespace}:deleted`;
}

async function rememberDeletion(config: UsagePlansConfig, record: KeyRecord): Promise<void> {
  const hash = createHash('sha256').update(`deleted\0${record.id}`).digest('hex');
  await config.keyStore.putKey(deletionsOf(config.namespace), {
    id: record.id,
    hash,
    plan: record.plan,
    enabled: false,
    createdAt: config.clock.now(),
    ...(record.source === undefined ? {} : { source: record.source }),
  });
}

function toRecord(definition: KeyDefinition, createdAt: number): KeyRecord {
  const { name, ...rest } = definition;
  return { ...rest, createdAt, ...(name === undefined ? {} : { name }) };
}
