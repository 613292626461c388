/**
 * The Lua scripts behind `redisStore()`: one script per decision (and one for a whole usage-plan
 * admission), so each is one atomic round trip (ioredis `defineCommand`: EVALSHA, and EVAL once
 * when Redis answers NOSCRIPT). Every key a script reads or writes is passed in KEYS, as Redis
 * Cluster requires. The scripts are built from shared Lua functions, so that the
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
 * The deadline of a charge (ms, Redis time, see `client.ts`): past it the gateway has given up on
 * the call and answered without Redis, so the script must change nothing. `TIME` before a write
 * needs effects replication, the only mode from Redis 7 on and switched on here for 5 and 6.
 */
const DEADLINE_FN = `
if redis.replicate_commands then redis.replicate_commands() end
local function expired(deadline)
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) > tonumber(deadline)
end
`;

/**
 * GCRA token bucket (see `memory/gcra.ts`, which this reproduces step for step) as a Lua function,
 * shared by the bucket script and the usage-plan script so that both do the same arithmetic.
 * gcra(bucket key holding the TAT, emission interval ms, burst, cost, now ms) →
 * { allowed (0/1), remaining, resetMs, retryAfterMs }.
 * The key expires a second after the bucket is full again (from then on an absent key means the
 * same): Redis counts that time on its own clock, and the second keeps a caller whose clock is a
 * little behind, or whose next call comes late, from finding the key gone before its bucket is full.
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
    redis.call('SET', key, f(newTat), 'PX', math.ceil(ahead) + 1000)
  end
  return { 1, f(whole(capacity - ahead, interval)), f(ahead), '0' }
end
`;

/**
 * Quota check plus usage increment, as a Lua function shared by the quota and usage-plan scripts.
 * quota(counter key (hash: start, used), usage counter of the UTC day of now, limit,
 * periodStart, ms until periodEnd, ms the usage day must be kept) → { allowed (0/1), used } and,
 * when the stored period is later than the caller's, its ms to live. A refusal changes nothing.
 *
 * The period only moves forward: an instance whose clock is behind (its period not over yet)
 * counts in the period another instance already started, and leaves that period's expiry alone,
 * instead of resetting the counter back (which let a quota reset twice around a boundary).
 */
const QUOTA_FN = `
local function quota(counterKey, dayKey, limit, start, ttl, dayTtl)
  local current = redis.call('HMGET', counterKey, 'start', 'used')
  local stored = tonumber(current[1])
  local used = 0
  local ahead = stored ~= nil and stored > start
  if stored == start or ahead then used = tonumber(current[2]) end
  if used >= limit then
    if ahead then return { 0, used, redis.call('PTTL', counterKey) } end
    return { 0, used }
  end
  used = used + 1
  redis.call('INCR', dayKey)
  redis.call('PEXPIRE', dayKey, math.max(dayTtl, 1))
  if ahead then
    redis.call('HSET', counterKey, 'used', used)
    return { 1, used, redis.call('PTTL', counterKey) }
  end
  redis.call('HSET', counterKey, 'start', start, 'used', used)
  redis.call('PEXPIRE', counterKey, math.max(ttl, 1))
  return { 1, used }
end
`;

/**
 * GCRA token bucket. KEYS[1] bucket key. ARGV: emission interval ms, burst, cost, now ms, deadline.
 * Reply: { allowed (0/1), remaining, resetMs, retryAfterMs }, or -2 past the deadline.
 */
export const GCRA_SCRIPT = `${DEADLINE_FN}${GCRA_FN}
if expired(ARGV[5]) then return -2 end
return gcra(KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]))
`;

/**
 * Quota check plus usage increment, atomically.
 * KEYS[1] quota counter; KEYS[2] the usage counter of the UTC day of now.
 * ARGV: limit, periodStart, ms until periodEnd, ms the usage day must be kept, deadline.
 * Reply: { allowed (0/1), used, [ms to live of a later stored period] }, or -2 past the deadline.
 */
export const QUOTA_SCRIPT = `${DEADLINE_FN}${QUOTA_FN}
if expired(ARGV[5]) then return -2 end
return quota(KEYS[1], KEYS[2], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]))
`;

/**
 * One `usagePlans()` admission in one round trip: the key check, the plan's bucket, then the
 * quota, with the same functions as the bucket and quota scripts (so the same keys and answers).
 * KEYS[1] hash index of the presented key (it holds the record's JSON); KEYS[2] bucket key (any
 * key when there is no bucket); KEYS[3] quota counter; KEYS[4] usage counter of the UTC day of now.
 * ARGV: [1] deadline, [2] expected id, [3] expected plan, [4] '1' with a bucket else '0',
 * [5..8] the bucket's interval, burst, cost, now, [9..12] the quota's limit, periodStart, ms until
 * periodEnd, ms the usage day must be kept.
 * Reply: -2 past the deadline; { 0, record JSON or nothing } when the record is gone, disabled, or
 * not the expected id and plan (nothing changed); else { 1, bucket reply (4 items; -1 first
 * without a bucket), quota reply (2 or 3 items, absent when the bucket refused) }.
 *
 * The record keys carry the namespace's hash tag and the bucket and quota keys their subject's,
 * so this script spans several Redis Cluster slots: `redisStore()` leaves it out on a Cluster
 * client (usage plans then make one call per decision there).
 */
export const USAGE_PLAN_SCRIPT = `${DEADLINE_FN}${GCRA_FN}${QUOTA_FN}
if expired(ARGV[1]) then return -2 end
local json = redis.call('GET', KEYS[1])
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
local q = quota(KEYS[3], KEYS[4], tonumber(ARGV[9]), tonumber(ARGV[10]), tonumber(ARGV[11]), tonumber(ARGV[12]))
return { 1, b[1], b[2], b[3], b[4], q[1], q[2], q[3] }
`;

/**
 * Stores a key record, replacing any with the same id and dropping that one's hash index. The
 * caller read the old record first, so that its hash index is a declared key too; when the record
 * changed in between, nothing is written and the caller reads again.
 * KEYS[1] record key (by id), KEYS[2] hash index of the new record, KEYS[3] id set, KEYS[4] hash
 * index of the old record (KEYS[2] when there was none).
 * ARGV: record JSON, id, the old record's hash ('' when there was none).
 * Reply: 1, or 0 when the old record is no longer the one read.
 */
export const PUT_KEY_SCRIPT = `
local old = redis.call('GET', KEYS[1])
local oldHash = old and cjson.decode(old).hash or ''
if oldHash ~= ARGV[3] then return 0 end
if old and KEYS[4] ~= KEYS[2] then redis.call('DEL', KEYS[4]) end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('SET', KEYS[2], ARGV[1])
redis.call('SADD', KEYS[3], ARGV[2])
return 1
`;

/**
 * Deletes a key record and its hash index (read by the caller first, as for `PUT_KEY_SCRIPT`).
 * KEYS[1] record key, KEYS[2] id set, KEYS[3] hash index of the record read.
 * ARGV: id, the hash of the record read. Reply: 1 when deleted, 0 when there was none, -1 when
 * the record is no longer the one read (nothing changed).
 */
export const DELETE_KEY_SCRIPT = `
local old = redis.call('GET', KEYS[1])
if not old then return 0 end
if cjson.decode(old).hash ~= ARGV[2] then return -1 end
redis.call('DEL', KEYS[3])
redis.call('DEL', KEYS[1])
redis.call('SREM', KEYS[2], ARGV[1])
return 1
`;
