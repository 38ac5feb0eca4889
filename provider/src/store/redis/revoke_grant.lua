-- Revokes a grant whole: the grant, its family set and every token in it, so no token of
-- it works again (RFC 7009 §2.1: revoking a refresh token ends its grant's access tokens too).
--
-- KEYS = grant, family set, user's grants; ARGV[1] = the token key prefix, ARGV[2] = the
-- grant id (as revoke_helper.lua's revoke_family, which runs before it).
revoke_family(ARGV[1], ARGV[2])
return 1
