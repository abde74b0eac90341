/**
 * Lua scripts of the Redis trending store. Each runs atomically on the Redis server
 * (https://redis.io/docs/latest/develop/interact/programmability/eval-intro/), so an event is
 * applied entirely or not at all, and readers never see a half re-based state.
 *
 * Re-basing visits the sorted sets listed in the registry set, which are not declared in KEYS: fine
 * on a standalone Redis (this project's deployment), not on Redis Cluster.
 */

/**
 * Shared Lua: multiply every registered sorted set by exp(−(now − t0)/τ) (ZUNIONSTORE with one
 * input and WEIGHTS, keeping each key's TTL), drop members that underflowed to 0, and move the
 * landmark to `now`.
 */
const REBASE_FUNCTION = `
local function rebase(t0Key, registryKey, now, t0, tau, nowText)
  local factor = string.format('%.17g', math.exp(-(now - t0) / tau))
  local keys = redis.call('SMEMBERS', registryKey)
  for _, key in ipairs(keys) do
    local ttl = redis.call('PTTL', key)
    if ttl == -2 then
      redis.call('SREM', registryKey, key)
    else
      redis.call('ZUNIONSTORE', key, '1', key, 'WEIGHTS', factor)
      redis.call('ZREMRANGEBYSCORE', key, '-inf', '0')
      if ttl > 0 and redis.call('EXISTS', key) == 1 then
        redis.call('PEXPIRE', key, ttl)
      end
    end
  end
  redis.call('SET', t0Key, nowText)
end
`;

/**
 * Applies one event at most once, with one account's weight on a product capped per window.
 *
 * KEYS: 1 landmark t0, 2 watermark hash (field: `<topic>:<partition>`, value: the highest offset
 * applied from it; field `direct`: the sequence of events applied without a log position), 3 dedup
 * window of the event's partition (sorted set: member `<len>:<user id>:<event id>`, score: offset),
 * 4 stats hash of the product, 5 registry of trending sorted sets, 6 window bucket hash of the
 * product (the bucket holding the event's time), 7 cap hash of the product and cap window (field:
 * user id, value: the user's weighted events on the product in that window), 8… the sorted sets to
 * increment (all + one per category).
 * ARGV: 1 now (ms), 2 event time (ms), 3 weight, 4 τ (ms), 5 stats field, 6 dedup window size
 * (entries kept per partition), 7 sorted-set TTL (s), 8 top N kept per set, 9 stats TTL (s, 0 =
 * none), 10 re-base bound (re-base when (now − t0)/τ exceeds it), 11 product id, 12 how long the
 * window bucket is still read, in ms (its PEXPIRE, relative to the caller's clock; 0 = the event is
 * already older than every window read from now on, so it is counted all-time only), 13 user id,
 * 14 the cap N (weighted events per user, product and cap window that raise the trending score),
 * 15 the cap hash's PEXPIRE (ms), 16 the watermark field, 17 the event's offset in its partition
 * (decimal; -1 = no log position: the script numbers the event itself, with HINCRBY on the `direct`
 * field, and checks no watermark), 18 the dedup window member.
 *
 * Order: dedup first, so a duplicate changes nothing (the cap counter included): (a) an offset at or
 * below the partition's watermark is a redelivery and is skipped; otherwise the watermark moves to
 * it; (b) a (user, event id) already in the partition's window (ZADD NX answers 0) is the same event
 * published again at a later offset and is skipped; otherwise it joins the window, which is trimmed
 * to the newest N entries by offset (ZREMRANGEBYRANK). Then the exact stats and window counts (every
 * event, capped or not), then, for an event with weight > 0 that has not decayed to nothing, HINCRBY
 * of the user's field in the cap hash: only the first N such events of a user on a product in one
 * cap window increment the sorted sets.
 *
 * Returns 1 when applied, 2 when applied but over the cap (counted in the stats, not in trending),
 * 0 for a redelivered offset, 3 for a (user, event id) still in the dedup window.
 */
export const APPLY_SCRIPT = `${REBASE_FUNCTION}
-- The score is passed on as the caller's decimal text: Lua would print a number above 1e14 rounded.
local score = ARGV[17]
local offset = tonumber(score)
if offset < 0 then
  score = redis.call('HINCRBY', KEYS[2], ARGV[16], 1)
else
  local mark = redis.call('HGET', KEYS[2], ARGV[16])
  if mark and offset <= tonumber(mark) then
    return 0
  end
  redis.call('HSET', KEYS[2], ARGV[16], score)
end
if redis.call('ZADD', KEYS[3], 'NX', score, ARGV[18]) == 0 then
  return 3
end
redis.call('ZREMRANGEBYRANK', KEYS[3], 0, -(tonumber(ARGV[6]) + 1))
local now = tonumber(ARGV[1])
local tau = tonumber(ARGV[4])
local t0 = tonumber(redis.call('GET', KEYS[1]))
if t0 == nil then
  t0 = now
  redis.call('SET', KEYS[1], ARGV[1])
elseif (now - t0) / tau > tonumber(ARGV[10]) then
  rebase(KEYS[1], KEYS[5], now, t0, tau, ARGV[1])
  t0 = now
end
redis.call('HINCRBY', KEYS[4], ARGV[5], 1)
local statsTtl = tonumber(ARGV[9])
if statsTtl > 0 then
  redis.call('EXPIRE', KEYS[4], statsTtl)
end
local windowTtl = tonumber(ARGV[12])
if windowTtl > 0 then
  redis.call('HINCRBY', KEYS[6], ARGV[5], 1)
  redis.call('PEXPIRE', KEYS[6], windowTtl)
end
local weight = tonumber(ARGV[3])
if weight > 0 and #KEYS > 7 then
  local t = math.min(tonumber(ARGV[2]), now)
  local increment = weight * math.exp((t - t0) / tau)
  if increment > 0 then
    local used = redis.call('HINCRBY', KEYS[7], ARGV[13], 1)
    redis.call('PEXPIRE', KEYS[7], ARGV[15])
    if used > tonumber(ARGV[14]) then
      return 2
    end
    local incrementText = string.format('%.17g', increment)
    local keep = tonumber(ARGV[8])
    for i = 8, #KEYS do
      redis.call('ZINCRBY', KEYS[i], incrementText, ARGV[11])
      redis.call('ZREMRANGEBYRANK', KEYS[i], 0, -(keep + 1))
      redis.call('EXPIRE', KEYS[i], ARGV[7])
    end
    redis.call('SADD', KEYS[5], unpack(KEYS, 8))
    redis.call('EXPIRE', KEYS[5], ARGV[7])
  end
end
return 1
`;

/**
 * Re-bases now (moves t0 to now, scaling every set), whatever the bound.
 *
 * KEYS: 1 landmark t0, 2 registry. ARGV: 1 now (ms), 2 τ (ms).
 * Returns 1 when re-based, 0 when there was no landmark yet.
 */
export const REBASE_SCRIPT = `${REBASE_FUNCTION}
local t0 = tonumber(redis.call('GET', KEYS[1]))
if t0 == nil then
  return 0
end
rebase(KEYS[1], KEYS[2], tonumber(ARGV[1]), t0, tonumber(ARGV[2]), ARGV[1])
return 1
`;

/**
 * Removes one deleted user from the trending statistics, atomically (one script: a retry after a
 * failure either finds everything done or nothing).
 *
 * KEYS: 1 landmark t0, 2 registry of trending sorted sets, 3 the user's tombstone (set here with
 * NX, so the subtraction below runs once per deletion, however often the deletion message is
 * redelivered), 4 the dedup window of the deletion message's partition.
 * ARGV: 1 τ (ms), 2 tombstone TTL (s), 3 user id, 4 number of products P, then per product: its id,
 * its stats hash key, n and n pairs (event time in ms, weight) of the user's events that raised its
 * trending score, m and m stats fields to decrement, b and b pairs (window bucket key, field) to
 * decrement, c and c cap hash keys to drop the user's field from; then d and d dedup members.
 *
 * Per product (first time only): Σ weight × exp((t − t0)/τ) is subtracted from the product in every
 * registered sorted set that holds it (the same increments the apply script added, with today's t0:
 * re-basing scaled them alike), removing the member when nothing meaningful is left (≤ 1e-9 of its
 * score); each stats field and window bucket field is decremented, never below 0. Always: the cap
 * fields and the dedup members naming the user are deleted.
 *
 * Returns 1 when the subtraction ran now, 0 when the tombstone was already there.
 */
export const ERASE_USER_SCRIPT = `
local tau = tonumber(ARGV[1])
local first = redis.call('SET', KEYS[3], '1', 'NX', 'EX', ARGV[2])
local t0 = tonumber(redis.call('GET', KEYS[1]))
local registry = redis.call('SMEMBERS', KEYS[2])
local user = ARGV[3]
local i = 5
for p = 1, tonumber(ARGV[4]) do
  local product = ARGV[i]
  local stats = ARGV[i + 1]
  i = i + 2
  local n = tonumber(ARGV[i])
  i = i + 1
  local total = 0
  for j = 1, n do
    if t0 then total = total + tonumber(ARGV[i + 1]) * math.exp((tonumber(ARGV[i]) - t0) / tau) end
    i = i + 2
  end
  if first and total > 0 then
    for _, key in ipairs(registry) do
      local s = redis.call('ZSCORE', key, product)
      if s then
        local left = tonumber(s) - total
        if left <= tonumber(s) * 1e-9 then
          redis.call('ZREM', key, product)
        else
          redis.call('ZADD', key, 'XX', string.format('%.17g', left), product)
        end
      end
    end
  end
  n = tonumber(ARGV[i])
  i = i + 1
  for j = 1, n do
    if first then
      local v = tonumber(redis.call('HGET', stats, ARGV[i]))
      if v and v > 0 then redis.call('HINCRBY', stats, ARGV[i], -1) end
    end
    i = i + 1
  end
  n = tonumber(ARGV[i])
  i = i + 1
  for j = 1, n do
    if first then
      local v = tonumber(redis.call('HGET', ARGV[i], ARGV[i + 1]))
      if v and v > 0 then redis.call('HINCRBY', ARGV[i], ARGV[i + 1], -1) end
    end
    i = i + 2
  end
  n = tonumber(ARGV[i])
  i = i + 1
  for j = 1, n do
    redis.call('HDEL', ARGV[i], user)
    i = i + 1
  end
end
local d = tonumber(ARGV[i])
i = i + 1
for j = 1, d do
  redis.call('ZREM', KEYS[4], ARGV[i])
  i = i + 1
end
if first then return 1 end
return 0
`;
