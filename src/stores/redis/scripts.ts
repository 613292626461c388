/**
 * The Lua scripts behind `redisStore()`: one script per decision (and one for a whole usage-plan
 * admission), so each is one atomic round trip (EVALSHA; ioredis falls back to EVAL when Redis
 * has not cached the script yet). The scripts are built from shared Lua functions, so that the
 * combined script computes exactly what the separate ones do.
 *
 * Numbers travel as strings: JS sends the shortest round-trip form (`String(x)`) and scripts
 * answer with `%.17g`, because Redis truncates Lua numbers returned as replies to integers and
 * Lua 5.1's `tostring` keeps only 14 digits. Every step is the same IEEE-double arithmetic as the
 * memory store's reference (`memory/gcra.ts`), so both stores give identical answers.
 *
 * Keys use a `{hash tag}` per subject so that all keys one script touches live in one cluster slot
 * (except the usage-plan script: see there).
 */

/**
 * GCRA token bucket (see `memory/gcra.ts`, which this reproduces step for step) as a Lua function,
 * shared by the bucket script and the usage-plan script so that both do the same arithmetic.
 * gcra(bucket key holding the TAT, emission interval ms, burst, cost, now ms) →
 * { allowed (0/1), remaining, resetMs, retryAfterMs }.
 * The key expires when the bucket is full again, which is when an absent key means the same.
 */
const GCRA_FN = `
local function f(x) return string.format('%.17g', x) end
local function whole(ms, interval) return math.max(math.floor(ms / interval + 1e-9), 0) end
local function gcra(key, interval, burst, cost, now)
  local capacity = burst * interval
  local stored = redis.call('GET', key)
  local base = now
  if stored then
    local tat = tonumber(stored)
    if tat >= now then base = tat end
  end
  local newTat = base + cost * interval
  local ahead = newTat - now
  if ahead > capacity + 1e-6 then
    local resetMs = base - now
    return { 0, f(whole(capacity - resetMs, interval)), f(resetMs), f(ahead - capacity) }
  end
  if cost > 0 then
    redis.call('SET', key, f(newTat), 'PX', math.ceil(ahead) + 1)
  end
  return { 1, f(whole(capacity - ahead, interval)), f(ahead), '0' }
end
`;

/**
 * Quota check plus usage increment, as a Lua function shared by the quota and usage-plan scripts.
 * quota(counter key (hash: start, used), usage counter of the UTC day of now, limit,
 * periodStart (the string as sent: it is compared with the stored one), ms until periodEnd,
 * ms the usage day must be kept) → { allowed (0/1), used }. A refusal changes nothing.
 */
const QUOTA_FN = `
local function quota(counterKey, dayKey, limit, start, ttl, dayTtl)
  local current = redis.call('HMGET', counterKey, 'start', 'used')
  local used = 0
  if current[1] == start then used = tonumber(current[2]) end
  if used >= limit then return { 0, used } end
  used = used + 1
  redis.call('HSET', counterKey, 'start', start, 'used', used)
  redis.call('PEXPIRE', counterKey, math.max(ttl, 1))
  redis.call('INCR', dayKey)
  redis.call('PEXPIRE', dayKey, math.max(dayTtl, 1))
  return { 1, used }
end
`;

/**
 * A key record by hash, as a Lua function: the hash index holds the id, the record is under
 * the record prefix plus the id. keyByHash(hash index key, record key prefix) → JSON or false.
 */
const KEY_BY_HASH_FN = `
local function keyByHash(hashKey, recordPrefix)
  local id = redis.call('GET', hashKey)
  if not id then return false end
  return redis.call('GET', recordPrefix .. id)
end
`;

/**
 * GCRA token bucket. KEYS[1] bucket key. ARGV: emission interval ms, burst, cost, now ms.
 * Reply: { allowed (0/1), remaining, resetMs, retryAfterMs }.
 */
export const GCRA_SCRIPT = `${GCRA_FN}
return gcra(KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]))
`;

/**
 * Quota check plus usage increment, atomically.
 * KEYS[1] quota counter; KEYS[2] the usage counter of the UTC day of now.
 * ARGV: limit, periodStart, ms until periodEnd, ms the usage day must be kept.
 * Reply: { allowed (0/1), used }.
 */
export const QUOTA_SCRIPT = `${QUOTA_FN}
return quota(KEYS[1], KEYS[2], tonumber(ARGV[1]), ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4]))
`;

/**
 * One `usagePlans()` admission in one round trip: the key check, the plan's bucket, then the
 * quota, with the same functions as the bucket and quota scripts (so the same keys and answers).
 * KEYS[1] hash index of the presented key; KEYS[2] bucket key (any key when there is no bucket);
 * KEYS[3] quota counter; KEYS[4] usage counter of the UTC day of now.
 * ARGV: [1] record key prefix, [2] expected id, [3] expected plan, [4] '1' with a bucket else '0',
 * [5..8] the bucket's interval, burst, cost, now, [9..12] the quota's limit, periodStart, ms until
 * periodEnd, ms the usage day must be kept.
 * Reply: { 0, record JSON or nothing } when the record is gone, disabled, or not the expected id
 * and plan (nothing changed); else { 1, bucket reply (4 items; -1 first without a bucket),
 * quota reply (2 items, absent when the bucket refused) }.
 *
 * The record keys carry the namespace's hash tag and the bucket and quota keys their subject's,
 * so this script spans several Redis Cluster slots: `redisStore()` leaves it out on a Cluster
 * client (usage plans then make one call per decision there).
 */
export const USAGE_PLAN_SCRIPT = `${GCRA_FN}${QUOTA_FN}${KEY_BY_HASH_FN}
local json = keyByHash(KEYS[1], ARGV[1])
if not json then return { 0 } end
local record = cjson.decode(json)
if record.enabled ~= true or record.id ~= ARGV[2] or record.plan ~= ARGV[3] then
  return { 0, json }
end
local b = { -1, '0', '0', '0' }
if ARGV[4] == '1' then
  b = gcra(KEYS[2], tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8]))
  if b[1] == 0 then return { 1, b[1], b[2], b[3], b[4] } end
end
local q = quota(KEYS[3], KEYS[4], tonumber(ARGV[9]), ARGV[10], tonumber(ARGV[11]), tonumber(ARGV[12]))
return { 1, b[1], b[2], b[3], b[4], q[1], q[2] }
`;

/**
 * Stores a key record, replacing any with the same id and dropping that one's hash index.
 * KEYS[1] record key (by id), KEYS[2] hash index key of the new record, KEYS[3] id set.
 * ARGV: record JSON, id, hash index prefix (the old record's hash is appended to it).
 */
export const PUT_KEY_SCRIPT = `
local old = redis.call('GET', KEYS[1])
if old then
  local oldHash = cjson.decode(old).hash
  if oldHash then redis.call('DEL', ARGV[3] .. oldHash) end
end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('SET', KEYS[2], ARGV[2])
redis.call('SADD', KEYS[3], ARGV[2])
return 1
`;

/**
 * Deletes a key record and its hash index.
 * KEYS[1] record key, KEYS[2] id set. ARGV: id, hash index prefix. Reply: 1 when it was there.
 */
export const DELETE_KEY_SCRIPT = `
local old = redis.call('GET', KEYS[1])
if not old then return 0 end
local oldHash = cjson.decode(old).hash
if oldHash then redis.call('DEL', ARGV[2] .. oldHash) end
redis.call('DEL', KEYS[1])
redis.call('SREM', KEYS[2], ARGV[1])
return 1
`;

/**
 * Looks a key record up by hash in one round trip.
 * KEYS[1] hash index key. ARGV: record key prefix (the id is appended). Reply: record JSON or nil.
 */
export const KEY_BY_HASH_SCRIPT = `${KEY_BY_HASH_FN}
return keyByHash(KEYS[1], ARGV[1])
`;
