-- One Idempotency-Key record of a fleet (see RedisIdempotency). The record is a hash:
--   b  the request body's SHA-256 (hex)       s  f = in flight, d = done (response kept), n = not kept
--   o  the owner (instance and request) while in flight
--   st, h, bd  the kept response: status, header block, body      r  why the response was not kept
-- KEYS[1] the record; ARGV[1] mode; ARGV[2] owner
--   claim:     ARGV[3] body hash, ARGV[4] how long an unfinished claim holds the key (ms)
--   complete:  ARGV[3] ttl (ms), ARGV[4] status, ARGV[5] header block, ARGV[6] body
--   notstored: ARGV[3] ttl (ms), ARGV[4] reason
--   release
-- claim answers {'first'}, {'mismatch'}, {'replay', status, head, body}, {'notstored', reason} or
-- {'inflight', ms left}; the others answer 1 when the owner still held the key, else 0.
local mode = ARGV[1]
if mode == 'claim' then
  local e = redis.call('HMGET', KEYS[1], 'b', 's', 'st', 'h', 'bd', 'r')
  if not e[1] then
    redis.call('HSET', KEYS[1], 'b', ARGV[3], 's', 'f', 'o', ARGV[2])
    redis.call('PEXPIRE', KEYS[1], ARGV[4])
    return {'first'}
  end
  if e[1] ~= ARGV[3] then
    return {'mismatch'}
  end
  if e[2] == 'd' then
    return {'replay', e[3], e[4], e[5]}
  end
  if e[2] == 'n' then
    return {'notstored', e[6]}
  end
  return {'inflight', tostring(redis.call('PTTL', KEYS[1]))}
end
if redis.call('HGET', KEYS[1], 'o') ~= ARGV[2] then
  return 0
end
if mode == 'release' then
  redis.call('DEL', KEYS[1])
  return 1
end
if mode == 'complete' then
  redis.call('HSET', KEYS[1], 's', 'd', 'st', ARGV[4], 'h', ARGV[5], 'bd', ARGV[6])
else
  redis.call('HSET', KEYS[1], 's', 'n', 'r', ARGV[4])
end
redis.call('HDEL', KEYS[1], 'o')
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
