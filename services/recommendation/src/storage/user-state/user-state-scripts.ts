/**
 * Lua scripts of the Redis per-user state (see `redis-user-state-store.ts`). Each runs atomically
 * on the Redis server (https://redis.io/docs/latest/develop/interact/programmability/eval-intro/),
 * so a reader never sees an event half applied.
 */

/**
 * Applies one event to one user's state. Every step is a last-writer-wins update by event time, so
 * applying an event twice, or a set of events in any order, gives the same state (up to the
 * bounds, and up to events of one user and product in the same millisecond): the Kafka stream, a
 * replay of it and a scan of the engagement database may all apply the same events.
 *
 * KEYS: 1 seen sorted set (product → time of the user's latest seen-kind event with it), 2 opinion
 * sorted set (product → time of the latest explicit opinion: like, dislike or rating), 3 positives
 * sorted set (product → time, the products whose latest opinion is positive), 4 version counter.
 * ARGV: 1 product id, 2 event time (ms), 3 "1" when the event's kind makes the product seen,
 * 4 opinion: 1 positive, 0 negative, -1 none (click, view), 5 most seen products kept, 6 most
 * positives kept.
 *
 * The seen and opinion sets keep the ARGV[5] most recent members (an opinion that falls out also
 * leaves the positives, so the positives stay a subset of the opinions), the positives the ARGV[6]
 * most recent. An opinion as old as the stored one replaces it (of two opinions in the same
 * millisecond the later applied wins). The version is incremented only when the product's entries
 * actually changed, so a reader can cache a user's state until it does: re-applying an event, an
 * older event, or one that the bounds would drop at once leave it alone.
 *
 * Returns 1 when the state changed, 0 when it did not.
 */
export const APPLY_USER_EVENT_SCRIPT = `
local product = ARGV[1]
local t = tonumber(ARGV[2])
local maxSeen = tonumber(ARGV[5])
local changed = 0
if ARGV[3] == '1' then
  local current = redis.call('ZSCORE', KEYS[1], product)
  if not current or tonumber(current) < t then
    redis.call('ZADD', KEYS[1], t, product)
    redis.call('ZREMRANGEBYRANK', KEYS[1], 0, -(maxSeen + 1))
    if redis.call('ZSCORE', KEYS[1], product) ~= current then changed = 1 end
  end
end
local opinion = tonumber(ARGV[4])
if opinion >= 0 then
  local current = redis.call('ZSCORE', KEYS[2], product)
  if not current or tonumber(current) <= t then
    local positive = redis.call('ZSCORE', KEYS[3], product)
    redis.call('ZADD', KEYS[2], t, product)
    if opinion == 1 then
      redis.call('ZADD', KEYS[3], t, product)
      redis.call('ZREMRANGEBYRANK', KEYS[3], 0, -(tonumber(ARGV[6]) + 1))
    else
      redis.call('ZREM', KEYS[3], product)
    end
    if redis.call('ZCARD', KEYS[2]) > maxSeen then
      local old = redis.call('ZRANGE', KEYS[2], 0, -(maxSeen + 1))
      redis.call('ZREMRANGEBYRANK', KEYS[2], 0, -(maxSeen + 1))
      redis.call('ZREM', KEYS[3], unpack(old))
    end
    if redis.call('ZSCORE', KEYS[2], product) ~= current or redis.call('ZSCORE', KEYS[3], product) ~= positive then
      changed = 1
    end
  end
end
if changed == 1 then
  redis.call('INCR', KEYS[4])
end
return changed
`;

/**
 * Marks the state ready when the rebuild that is finishing still holds the rebuild lock: a Redis
 * that restarted empty during the rebuild has lost the lock too, so the half-built state is never
 * marked ready.
 *
 * KEYS: 1 rebuild lock, 2 readiness marker. ARGV: 1 the rebuild's token, 2 the rules' fingerprint.
 * Returns 1 when marked, 0 when the lock is gone or held by another rebuild.
 */
export const FINISH_REBUILD_SCRIPT = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return 0
end
redis.call('SET', KEYS[2], ARGV[2])
redis.call('DEL', KEYS[1])
return 1
`;

/**
 * Extends the rebuild lock while its holder works.
 *
 * KEYS: 1 rebuild lock. ARGV: 1 the rebuild's token, 2 the new TTL (ms).
 * Returns 1 when extended, 0 when the lock is gone or held by another rebuild.
 */
export const EXTEND_REBUILD_SCRIPT = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return 0
end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
`;
