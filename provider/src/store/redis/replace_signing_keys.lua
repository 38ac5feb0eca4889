-- A key rotation (OpenID Connect Core 1.0 §10.1.1) as a compare-and-set on the set's version.
--
-- KEYS[1] = the key set's hash; ARGV[1] = the version the caller rotated from,
-- ARGV[2] = the new set (JSON). Replaces the set and moves the version one up only if it
-- is still ARGV[1]; returns 1 if it did, 0 if another instance got there first.
if redis.call('HGET', KEYS[1], 'version') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'version', tostring(tonumber(ARGV[1]) + 1), 'keys', ARGV[2])
return 1
