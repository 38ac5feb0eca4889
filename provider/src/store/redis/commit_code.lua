-- The code's redemption (RFC 6749 §4.1.2: a code is used once), after the token endpoint
-- read the code and checked it (client, redirect URI, PKCE): two concurrent redemptions
-- both pass those checks, and this script lets exactly one through.
--
-- KEYS = grant, family set, user's grants, the code, then one key per new token;
-- ARGV[1] = the family salt (hex), ARGV[2] = when the refresh token expires, then
-- triples. Flips `used` from 0 to 1, starts the family at generation 0 and adds the
-- tokens, in one step. Returns `ok`, `replayed` (already used) or `revoked` (the grant or
-- the code is gone). Runs after token_helpers.lua (add_tokens).
if redis.call('EXISTS', KEYS[4]) == 0 then return 'revoked' end
if redis.call('HGET', KEYS[4], 'used') == '1' then return 'replayed' end
if redis.call('EXISTS', KEYS[1]) == 0 then return 'revoked' end
redis.call('HSET', KEYS[4], 'used', '1')
redis.call('HSET', KEYS[1], 'generation', '0', 'salt', ARGV[1], 'refresh_expires_at', ARGV[2])
add_tokens(5, 3)
return 'ok'
