/**
 * The key-management operations of `redisStore()` that `KeyStore` and `QuotaStore` make optional:
 * creating a key only if neither its id nor its hash is taken (one script, so that of two
 * instances creating one id exactly one succeeds), and forgetting a quota subject's period counter.
 * Every key a script touches is in KEYS and carries the namespace's `{hash tag}`, so the script
 * runs on Redis Cluster too.
 */

import type { KeyRecord } from '../types.js';
import type { RedisCall, RedisClient } from './client.js';

/**
 * Stores a key record only if its id and its hash are both free.
 * KEYS[1] record key (by id), KEYS[2] hash index key, KEYS[3] id set; all under `{namespace}`.
 * ARGV: record JSON, id. The hash index holds the record itself (as `putKey` writes it), so that a
 * lookup by hash is one GET of a declared key. Reply: 1 when stored, 0 when the id or the hash was taken (nothing changed).
 */
export const ADD_KEY_SCRIPT = `
if redis.call('EXISTS', KEYS[1]) == 1 or redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('SET', KEYS[2], ARGV[1])
redis.call('SADD', KEYS[3], ARGV[2])
return 1
`;

interface AddKeyCommand {
  portcullisAddKey(
    recordKey: string,
    hashKey: string,
    idsKey: string,
    json: string,
    id: string,
  ): Promise<number>;
}

/** `addKey` and `resetQuota`, given the store's call guard and its key layout. */
export function redisKeyAdditions(
  client: RedisClient,
  call: RedisCall,
  keyPrefix: (namespace: string) => string,
  quotaKey: (key: string) => string,
): {
  addKey(namespace: string, record: KeyRecord): Promise<boolean>;
  resetQuota(key: string): Promise<void>;
} {
  client.defineCommand('portcullisAddKey', { numberOfKeys: 3, lua: ADD_KEY_SCRIPT });
  const commands = client as unknown as AddKeyCommand;
  return {
    async addKey(namespace, record) {
      const base = keyPrefix(namespace);
      const added = await call(() =>
        commands.portcullisAddKey(
          `${base}id:${record.id}`,
          `${base}h:${record.hash}`,
          `${base}ids`,
          JSON.stringify(record),
          record.id,
        ),
      );
      return added === 1;
    },
    async resetQuota(key) {
      await call(() => client.del(quotaKey(key)));
    },
  };
}
