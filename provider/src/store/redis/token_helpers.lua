-- Shared by the scripts that add tokens (commit_code.lua, commit_rotation.lua,
-- start_grant.lua), which run after it: `extend(key, ttl)` lengthens a key's TTL, never
-- shortens it; `add_tokens(first_key, first_arg)` writes tokens from KEYS[first_key..] and
-- ARGV triples (hex hash, record, ttl) starting at ARGV[first_arg], and adds them to the
-- family set KEYS[2], lengthening the grant KEYS[1], the set and the user's set KEYS[3].
local function extend(key, ttl)
  local current = redis.call('PTTL', key)
  if current < ttl then redis.call('PEXPIRE', key, ttl) end
end
local function add_tokens(first_key, first_arg)
  local arg = first_arg
  for i = first_key, #KEYS do
    local ttl = tonumber(ARGV[arg + 2])
    redis.call('HSET', KEYS[i], 'data', ARGV[arg + 1])
    redis.call('PEXPIRE', KEYS[i], ttl)
    redis.call('SADD', KEYS[2], ARGV[arg])
    extend(KEYS[1], ttl)
    extend(KEYS[2], ttl)
    extend(KEYS[3], ttl)
    arg = arg + 3
  end
end
