"""Cross-check of the provider's signing foundations by Authlib and joserfc.

A second implementation we did not write, beside node/jws-cross-check.test.mjs: every ID
token from `provider/examples/jws_samples.rs` (RS256, ES256, EdDSA) must verify with
joserfc against the published JWK Set, every `kid` must be the key's RFC 7638 thumbprint,
no JWK may carry a private member, and `at_hash` must be what Authlib's OpenID Connect
code computes (Core §3.1.3.6; SHA-512 for EdDSA).

Run from the workspace root (after installing requirements.txt):

    interop/python/.venv/bin/python -m unittest discover -s interop/python -v

The samples come from `cargo run -q -p provider --example jws_samples`, or from the file
the JWS_SAMPLES environment variable names.
"""

import base64
import json
import unittest

from authlib.oidc.core.util import create_half_hash
from joserfc import jwt
from joserfc.errors import BadSignatureError

from samples import REGISTRY, load_samples, published_keys

PRIVATE_MEMBERS = ("d", "p", "q", "dp", "dq", "qi", "oth", "k")


SAMPLES = load_samples("JWS_SAMPLES", "jws_samples")
KEYS = published_keys(SAMPLES)


class JwksTest(unittest.TestCase):
    def test_the_samples_cover_rs256_es256_and_eddsa(self):
        self.assertEqual([s["alg"] for s in SAMPLES["samples"]], ["RS256", "ES256", "EdDSA"])

    def test_no_published_jwk_carries_a_private_member(self):
        for jwk in SAMPLES["jwks"]["keys"]:
            for member in PRIVATE_MEMBERS:
                self.assertNotIn(member, jwk, jwk["kid"])
            self.assertEqual(jwk["use"], "sig")

    def test_every_kid_is_the_rfc_7638_thumbprint_of_its_key(self):
        for key in KEYS.keys:
            self.assertEqual(key.thumbprint(), key.kid)


class IdTokenTest(unittest.TestCase):
    def test_every_id_token_verifies_with_joserfc_against_the_published_jwks(self):
        for sample in SAMPLES["samples"]:
            with self.subTest(alg=sample["alg"]):
                token = jwt.decode(
                    sample["id_token"], KEYS, algorithms=[sample["alg"]], registry=REGISTRY
                )
                self.assertEqual(token.header["kid"], sample["kid"])
                self.assertEqual(token.claims["sub"], "user1")

    def test_every_at_hash_is_what_authlib_computes(self):
        for sample in SAMPLES["samples"]:
            with self.subTest(alg=sample["alg"]):
                claims = jwt.decode(
                    sample["id_token"], KEYS, algorithms=[sample["alg"]], registry=REGISTRY
                ).claims
                expected = create_half_hash(sample["access_token"], sample["alg"]).decode()
                self.assertEqual(claims["at_hash"], expected)

    def test_an_id_token_with_one_changed_claim_is_refused(self):
        for sample in SAMPLES["samples"]:
            with self.subTest(alg=sample["alg"]):
                header, payload, signature = sample["id_token"].split(".")
                claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
                claims["sub"] = "admin"
                forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
                with self.assertRaises(BadSignatureError):
                    jwt.decode(
                        f"{header}.{forged}.{signature}",
                        KEYS,
                        algorithms=[sample["alg"]],
                        registry=REGISTRY,
                    )


if __name__ == "__main__":
    unittest.main()
