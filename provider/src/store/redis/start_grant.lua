-- A new grant and its authorization code (RFC 6749 §4.1.2), written together.
--
-- KEYS = grant, family set (if any), user's grants; ARGV = code hash key, code
-- record, ttl, grant fields (then its RFC 8707 resources and the login's `sid`, empty for
-- none). Runs after token_helpers.lua (extend).
local ttl = tonumber(ARGV[3])
redis.call('HSET', KEYS[1], 'client_id', ARGV[4], 'user_id', ARGV[5], 'scopes', ARGV[6],
  'created_at', ARGV[7], 'code', ARGV[8], 'auth_time', ARGV[10], 'resources', ARGV[11],
  'sid', ARGV[12])
redis.call('PEXPIRE', KEYS[1], ttl)
redis.call('HSET', ARGV[1], 'data', ARGV[2], 'used', '0')
redis.call('PEXPIRE', ARGV[1], ttl)
redis.call('SADD', KEYS[3], ARGV[9])
extend(KEYS[3], ttl)
return 1
