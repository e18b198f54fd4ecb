"""The Lua scripts of the Redis backplane: each runs atomically inside Redis.

``RECORD`` numbers an event (the hybrid clock ``max(last + 1, now in µs)``), appends it
to the global and the channel's stream and publishes it, in one round trip; ``REPLAY``
reads a channel's stream after an id, or says the stream no longer covers it.
"""

RECORD = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + math.floor(tonumber(t[2]) / 1000) * 1000
local id = tonumber(redis.call('GET', KEYS[1]) or '0') + 1
if now > id then id = now end
local sid = string.format('%d', id)
redis.call('SET', KEYS[1], sid)
redis.call('SET', KEYS[2], sid, 'NX')
local frame = '{"type":"event","id":' .. sid .. ARGV[1]
local xid = sid .. '-0'
redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[5], xid, 'c', ARGV[2], 'm', frame)
redis.call('XADD', KEYS[4], 'MAXLEN', '~', ARGV[4], xid, 'm', frame)
redis.call('EXPIRE', KEYS[4], ARGV[6])
redis.call('PUBLISH', KEYS[5], sid .. ' ' .. ARGV[3] .. '\\n' .. frame)
return sid
"""

# {1, id, frame, id, frame...} or {0} when events after ARGV[1] may be gone.
REPLAY = """
local after = tonumber(ARGV[1])
local since = redis.call('GET', KEYS[2])
if not since or tonumber(since) > after then return {0} end
if redis.call('EXISTS', KEYS[1]) == 0 then
  local t = redis.call('TIME')
  local now_ms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  if now_ms - math.floor(after / 1000) > tonumber(ARGV[2]) * 1000 then return {0} end
  return {1}
end
local info = redis.call('XINFO', 'STREAM', KEYS[1])
for i = 1, #info, 2 do
  if info[i] == 'max-deleted-entry-id' then
    if tonumber(string.match(info[i + 1], '^(%d+)')) > after then return {0} end
  end
end
local out = {1}
for _, e in ipairs(redis.call('XRANGE', KEYS[1], '(' .. ARGV[1] .. '-0', '+', 'COUNT', ARGV[3])) do
  out[#out + 1] = string.match(e[1], '^(%d+)')
  out[#out + 1] = e[2][2]
end
return out
"""
