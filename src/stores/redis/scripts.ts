/**
 * The Lua scripts behind `redisStore()`: one script per decision, so each decision is one atomic
 * round trip (EVALSHA; ioredis falls back to EVAL when Redis has not cached the script yet).
 *
 * Numbers travel as strings: JS sends the shortest round-trip form (`String(x)`) and scripts
 * answer with `%.17g`, because Redis truncates Lua numbers returned as replies to integers and
 * Lua 5.1's `tostring` keeps only 14 digits. Every step is the same IEEE-double arithmetic as the
 * memory store's reference (`memory/gcra.ts`), so both stores give identical answers.
 *
 * Keys use a `{hash tag}` per subject so that all keys one script touches live in one cluster slot.
 */

/**
 * GCRA token bucket (see `memory/gcra.ts`, which this reproduces step for step).
 * KEYS[1] bucket key (holds the TAT). ARGV: emission interval ms, burst, cost, now ms.
 * Reply: { allowed (0/1), remaining, resetMs, retryAfterMs }.
 * The key expires when the bucket is full again, which is when an absent key means the same.
 */
export const GCRA_SCRIPT = `
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local now = tonumber(ARGV[4])
local function f(x) return string.format('%.17g', x) end
local function whole(ms) return math.max(math.floor(ms / interval + 1e-9), 0) end
local capacity = burst * interval
local stored = redis.call('GET', KEYS[1])
local base = now
if stored then
  local tat = tonumber(stored)
  if tat >= now then base = tat end
end
local newTat = base + cost * interval
local ahead = newTat - now
if ahead > capacity + 1e-6 then
  local resetMs = base - now
  return { 0, f(whole(capacity - resetMs)), f(resetMs), f(ahead - capacity) }
end
if cost > 0 then
  redis.call('SET', KEYS[1], f(newTat), 'PX', math.ceil(ahead) + 1)
end
return { 1, f(whole(capacity - ahead)), f(ahead), '0' }
`;

/**
 * Quota check plus usage increment, atomically.
 * KEYS[1] quota counter (hash: start, used); KEYS[2] the usage counter of the UTC day of now.
 * ARGV: limit, periodStart, ms until periodEnd, ms the usage day must be kept.
 * Reply: { allowed (0/1), used }. A refusal changes nothing.
 */
export const QUOTA_SCRIPT = `
local limit = tonumber(ARGV[1])
local current = redis.call('HMGET', KEYS[1], 'start', 'used')
local used = 0
if current[1] == ARGV[2] then used = tonumber(current[2]) end
if used >= limit then return { 0, used } end
used = used + 1
redis.call('HSET', KEYS[1], 'start', ARGV[2], 'used', used)
redis.call('PEXPIRE', KEYS[1], math.max(tonumber(ARGV[3]), 1))
redis.call('INCR', KEYS[2])
redis.call('PEXPIRE', KEYS[2], math.max(tonumber(ARGV[4]), 1))
return { 1, used }
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
export const KEY_BY_HASH_SCRIPT = `
local id = redis.call('GET', KEYS[1])
if not id then return false end
return redis.call('GET', ARGV[1] .. id)
`;
