-- `revoke_family(token_prefix, grant_id)`, run before revoke_grant.lua:
-- KEYS[1] = grant, KEYS[2] = family set, KEYS[3] = user's grants; `token_prefix` = the
-- token key prefix, `grant_id` = the grant id. Deletes every token of the family, the set
-- and the grant.
local function revoke_family(token_prefix, grant_id)
  for _, hash in ipairs(redis.call('SMEMBERS', KEYS[2])) do
    redis.call('DEL', token_prefix .. hash)
  end
  redis.call('DEL', KEYS[2], KEYS[1])
  redis.call('SREM', KEYS[3], grant_id)
end
