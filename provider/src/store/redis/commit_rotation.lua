-- Refresh token rotation (RFC 9700 §4.14.2) as a compare-and-set on the family's
-- generation: the refresh token, and the access token of the new one's audience, are
-- replaced only if nobody rotated this generation first.
--
-- KEYS = grant, family set, user's grants, then one key per new token; ARGV[1] = the
-- token key prefix, ARGV[2] = the generation the caller rotates from, ARGV[3] = when
-- the new refresh token expires, ARGV[4] = the stored name of the new access token's
-- audience, then triples. Returns `ok` (the generation one up: the old refresh token and
-- the access token for ARGV[4] replaced by the new ones, an access token for another
-- audience left valid, as RFC 8707 §2.2 needs), `replayed` (the generation moved: someone
-- rotated it first) or `revoked` (the grant is gone). A member whose token already
-- expired or was revoked leaves the family set too, so the set stays bounded.
-- Runs after token_helpers.lua (add_tokens).
if redis.call('EXISTS', KEYS[1]) == 0 then return 'revoked' end
local generation = redis.call('HGET', KEYS[1], 'generation')
if generation ~= ARGV[2] then return 'replayed' end
for _, hash in ipairs(redis.call('SMEMBERS', KEYS[2])) do
  local key = ARGV[1] .. hash
  local data = redis.call('HGET', key, 'data')
  local superseded = true
  if data then
    local record = cjson.decode(data)
    local audience = record.audience or 'provider'
    superseded = record.kind == 'refresh_token'
      or (record.kind == 'access_token' and audience == ARGV[4])
  end
  if superseded then
    redis.call('DEL', key)
    redis.call('SREM', KEYS[2], hash)
  end
end
redis.call('HSET', KEYS[1], 'generation', tostring(tonumber(generation) + 1),
  'refresh_expires_at', ARGV[3])
add_tokens(4, 5)
return 'ok'
