-- Get-or-insert of the key set that signs ID tokens (OpenID Connect Core 1.0 §10.1).
--
-- KEYS[1] = the key set's hash; ARGV[1] = the candidate set (JSON). Stores the
-- candidate as version 1 unless a set is already there, then returns {version, keys}:
-- the first instance to start stores its keys, every later one reads them.
if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('HSET', KEYS[1], 'version', '1', 'keys', ARGV[1])
end
return redis.call('HMGET', KEYS[1], 'version', 'keys')
