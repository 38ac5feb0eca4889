"""Our RFC 9068 JWT access tokens, judged by joserfc, a JOSE library we did not write.

Beside node/jwt-access-token.test.mjs (oauth4webapi): every access token from
`provider/examples/access_token_samples.rs` (RS256, ES256, EdDSA; signed by the provider's
own `sign_access_token`) must verify with joserfc against the published JWK Set, carry
`typ: at+jwt` (RFC 9068 §2.1), and pass joserfc's claims registry with the claims RFC 9068
§2.2 makes REQUIRED: `iss`, `exp`, `aud`, `sub`, `client_id`, `iat`, `jti`, with `iss` and
`aud` the expected values (§4).

Run from the workspace root (after installing requirements.txt):

    interop/python/.venv/bin/python -m unittest discover -s interop/python -v

The samples come from `cargo run -q -p provider --example access_token_samples`, or from
the file the ACCESS_TOKEN_SAMPLES environment variable names.
"""

import unittest

from joserfc import jwt
from joserfc.errors import InvalidClaimError

from samples import REGISTRY, load_samples, published_keys

SAMPLES = load_samples("ACCESS_TOKEN_SAMPLES", "access_token_samples")
KEYS = published_keys(SAMPLES)


def rfc9068_claims(audience):
    """RFC 9068 §2.2's REQUIRED claims, and §4's checks of `iss` and `aud`."""
    return jwt.JWTClaimsRegistry(
        iss={"essential": True, "value": SAMPLES["issuer"]},
        aud={"essential": True, "value": audience},
        exp={"essential": True},
        sub={"essential": True},
        client_id={"essential": True},
        iat={"essential": True},
        jti={"essential": True},
    )


class JwtAccessTokenTest(unittest.TestCase):
    def test_the_samples_cover_rs256_es256_and_eddsa(self):
        self.assertEqual([s["alg"] for s in SAMPLES["samples"]], ["RS256", "ES256", "EdDSA"])

    def test_every_access_token_is_an_at_jwt_with_the_rfc_9068_claims(self):
        for sample in SAMPLES["samples"]:
            with self.subTest(alg=sample["alg"]):
                token = jwt.decode(
                    sample["access_token"], KEYS, algorithms=[sample["alg"]], registry=REGISTRY
                )
                self.assertEqual(token.header["typ"], "at+jwt")
                self.assertEqual(token.header["kid"], sample["kid"])
                rfc9068_claims(SAMPLES["audience"]).validate(token.claims)
                self.assertEqual(token.claims["scope"], "notes:read notes:write")

    def test_an_access_token_is_refused_for_another_audience(self):
        for sample in SAMPLES["samples"]:
            with self.subTest(alg=sample["alg"]):
                token = jwt.decode(
                    sample["access_token"], KEYS, algorithms=[sample["alg"]], registry=REGISTRY
                )
                with self.assertRaises(InvalidClaimError):
                    rfc9068_claims("http://localhost:9999").validate(token.claims)


if __name__ == "__main__":
    unittest.main()
