-- Breakwater's shared pacing budget of one rate-limit key: the same rules as resilience.WindowBudget, kept in
-- one Redis hash so that every instance of a fleet leases from one budget. Time is Redis's own (TIME), so the
-- instances' clocks do not matter.
--
-- KEYS[1]  the key's hash: rL rReset rG rProbe (requests), tL tReset tG (tokens), win (window number), free
--          (until when the key is known to report no limits)
-- ARGV     1 mode (take|report)  2 headroom  3 probe timeout ms  4 requests wanted  5 tokens wanted
--          6 tokens of the waiting request  7 has report (0|1; a probe's answer without one: "none", its
--          failure: "failed")  8-10 requests limit, remaining, reset ms
--          11-13 tokens limit, remaining, reset ms  14 the report's window (-1: current)
--          15 the events channel  16 the key's hash (for the "window opened" event)
-- returns  {state (U unknown, L leased, P probe, W wait), requests, tokens, ms, window}
local key = KEYS[1]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local f = redis.call('HMGET', key, 'rL', 'rReset', 'rG', 'rProbe', 'tL', 'tReset', 'tG', 'win', 'free')
local rL = tonumber(f[1]) or -1
local rReset = tonumber(f[2]) or 0
local rG = tonumber(f[3]) or 0
local rProbe = tonumber(f[4]) or 0
local tL = tonumber(f[5]) or -1
local tReset = tonumber(f[6]) or 0
local tG = tonumber(f[7]) or 0
-- Window numbers start at the hash's creation time in ms: a hash made again (Redis restarted, or the key expired)
-- numbers its windows above any older one, so reports of the old hash's windows are ignored.
local win = tonumber(f[8]) or now
local free = tonumber(f[9]) or 0
local probeTimeout = tonumber(ARGV[3])
local opened = false

-- A window whose reset passed starts whole; when it ends is unknown until an answer from it reports.
if rReset > 0 and now >= rReset then
  rReset = 0; rG = 0; rProbe = 0; win = win + 1
end
if tReset > 0 and now >= tReset then
  tReset = 0; tG = 0
end

-- A report raises what counts as granted to what the upstream counted (another client may share the key). It
-- never lowers it: reports of several instances arrive in no useful order, and leases still out may not be
-- counted upstream yet.
local learned = false
if ARGV[7] == '1' then
  local reportWindow = tonumber(ARGV[14])
  if reportWindow < 0 or reportWindow >= win then
    local limit, remaining, reset = tonumber(ARGV[8]), tonumber(ARGV[9]), tonumber(ARGV[10])
    if limit > 0 and remaining >= 0 and reset > 0 then
      if rReset == 0 then opened = true end
      rL = limit; rReset = now + reset; rG = math.max(rG, limit - remaining); rProbe = 0
      learned = true
    end
    limit, remaining, reset = tonumber(ARGV[11]), tonumber(ARGV[12]), tonumber(ARGV[13])
    if limit > 0 and remaining >= 0 and reset > 0 then
      tL = limit; tReset = now + reset; tG = math.max(tG, limit - remaining)
    end
  end
end

-- A probe's answer that taught no request window (a failure, no headers, tokens only) lets the next probe go at
-- once; when no limit was ever known, the upstream has none to pace by: go freely for a while.
if ARGV[1] == 'report' and not learned and rProbe ~= 0 then
  rProbe = 0; opened = true
end
if ARGV[1] == 'report' and ARGV[7] ~= 'failed' and not learned and rL < 0 then
  free = now + 10000; opened = true
end

local state, granted, grantedTokens, ms = 'U', 0, 0, 0
if ARGV[1] == 'take' then
  local headroom = tonumber(ARGV[2])
  local wanted, wantedTokens, perRequest = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
  if rL < 0 and now < free then
    state = 'U'
  elseif rReset == 0 then
    if rProbe == 0 or now - rProbe >= probeTimeout then
      rProbe = now; state = 'P'; granted = 1; grantedTokens = perRequest; ms = probeTimeout
    else
      state = 'W'; ms = rProbe + probeTimeout - now
    end
  else
    granted = math.min(wanted, math.floor(rL * (1 - headroom)) - rG)
    local waitUntil = rReset
    if granted <= 0 and rG == 0 then granted = 1 end
    if tL > 0 and tReset > 0 then
      local tokenRoom = math.floor(tL * (1 - headroom)) - tG
      if tokenRoom < perRequest and tG > 0 then
        granted = 0; waitUntil = tReset
      else
        grantedTokens = math.min(wantedTokens, math.max(tokenRoom, perRequest))
        if perRequest > 0 then
          granted = math.min(granted, math.max(1, math.floor(grantedTokens / perRequest)))
        end
      end
    else
      grantedTokens = wantedTokens
    end
    if granted <= 0 then
      state = 'W'; granted = 0; grantedTokens = 0; ms = waitUntil - now
    else
      state = 'L'; ms = rReset - now
    end
  end
  rG = rG + granted; tG = tG + grantedTokens
end

redis.call('HSET', key, 'rL', rL, 'rReset', rReset, 'rG', rG, 'rProbe', rProbe,
  'tL', tL, 'tReset', tReset, 'tG', tG, 'win', win, 'free', free)
redis.call('PEXPIRE', key, 600000)
if opened then
  redis.call('PUBLISH', ARGV[15], 'o ' .. ARGV[16])
end
return {state, granted, grantedTokens, ms, win}
