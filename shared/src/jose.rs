//! JOSE for verifiers: compact JWS (RFC 7515 §7.1), JWK Sets (RFC 7517 §5), the signature
//! algorithms we accept (RFC 7518 §3.3, §3.4, RFC 8037 §3.1) and base64url (RFC 7515 §2).
//!
//! Only what a party that *checks* signed tokens needs: the API checking JWT access tokens
//! (RFC 9068) and, later, the client checking ID tokens. Which claims a token must carry is
//! the caller's business; this module answers "is this well-formed, and did the holder of
//! this key sign exactly these bytes?".
//!
//! The allow-list is a type ([`Alg`]): `none` and the HMAC family (`HS256`…) cannot be
//! written, so "algorithm confusion" (an RSA public key used as an HMAC secret) has no code
//! path to take. Keys come only from a JWK Set the verifier fetched itself, never from the
//! token's own `jwk`, `jku`, `x5u` or `x5c` header (RFC 8725 §3.1, §3.10).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::signature::{self, RsaPublicKeyComponents, UnparsedPublicKey};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// The longest compact JWS this module parses. Access and ID tokens are a few hundred bytes
/// to a few KiB; anything far larger is refused before it is decoded.
pub const MAX_COMPACT_JWS_BYTES: usize = 16 * 1024;

/// Why a JWS was refused. Deliberately coarse: a verifier answers every one of these with
/// the same error, and logs which.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JoseError {
    /// Not three base64url parts, a header or payload that is not a JSON object, too long.
    Malformed,
    /// An `alg` outside [`Alg`] (`none`, `HS256`, …).
    AlgorithmNotAllowed,
    /// The header names a critical extension (`crit`) we do not understand (RFC 7515 §4.1.11).
    UnknownCriticalHeader,
    /// The key cannot verify this algorithm (wrong `kty`, `crv`, `alg`, or bad members).
    KeyDoesNotFit,
    /// The signature does not verify.
    BadSignature,
}

impl std::fmt::Display for JoseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            JoseError::Malformed => "not a well-formed compact JWS",
            JoseError::AlgorithmNotAllowed => "the algorithm is not on the allow-list",
            JoseError::UnknownCriticalHeader => "the header has a critical extension",
            JoseError::KeyDoesNotFit => "the key does not fit the algorithm",
            JoseError::BadSignature => "the signature does not verify",
        })
    }
}

impl std::error::Error for JoseError {}

/// base64url without padding (RFC 7515 §2).
pub fn base64url_encode(bytes: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Decodes base64url without padding; padding or any other alphabet is [`JoseError::Malformed`].
pub fn base64url_decode(text: &str) -> Result<Vec<u8>, JoseError> {
    URL_SAFE_NO_PAD
        .decode(text)
        .map_err(|_| JoseError::Malformed)
}

/// The signature algorithms a verifier here accepts: the allow-list, as a type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Alg {
    /// RSASSA-PKCS1-v1_5 with SHA-256 (RFC 7518 §3.3); the one OpenID Connect requires.
    Rs256,
    /// ECDSA on P-256 with SHA-256 (RFC 7518 §3.4); the signature is `R || S`, 64 bytes.
    Es256,
    /// Ed25519 (RFC 8037 §3.1).
    EdDsa,
}

impl Alg {
    /// Every allowed algorithm.
    pub const ALL: [Alg; 3] = [Alg::Rs256, Alg::Es256, Alg::EdDsa];

    /// The allowed algorithm with this `alg` name, or `None` (`none`, `HS256`, `RS512`, …).
    pub fn from_name(name: &str) -> Option<Alg> {
        Alg::ALL.into_iter().find(|alg| alg.as_str() == name)
    }

    /// The `alg` header value.
    pub fn as_str(self) -> &'static str {
        match self {
            Alg::Rs256 => "RS256",
            Alg::Es256 => "ES256",
            Alg::EdDsa => "EdDSA",
        }
    }

    /// Whether `key` is of the type this algorithm verifies with: an RSA key for RS256, a
    /// P-256 key for ES256, an Ed25519 key for EdDSA (RFC 7518 §6, RFC 8037 §2).
    pub fn fits(self, key: &Jwk) -> bool {
        match self {
            Alg::Rs256 => key.kty == "RSA",
            Alg::Es256 => key.kty == "EC" && key.crv.as_deref() == Some("P-256"),
            Alg::EdDsa => key.kty == "OKP" && key.crv.as_deref() == Some("Ed25519"),
        }
    }
}

/// The JOSE header of a JWS (RFC 7515 §4.1), as sent. Unknown members are ignored.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct JwsHeader {
    /// REQUIRED. The algorithm the signer claims; checked against [`Alg`] by the caller.
    pub alg: String,
    /// OPTIONAL. The media type of the whole JWS: `at+jwt` for RFC 9068 access tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub typ: Option<String>,
    /// OPTIONAL. Which key of the issuer's JWK Set signed it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kid: Option<String>,
    /// OPTIONAL. A key embedded in the token. A verifier never uses it: anyone can sign with
    /// a key of their own and put it here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwk: Option<serde_json::Value>,
    /// OPTIONAL. A URL of a JWK Set chosen by the token. Never fetched, for the same reason.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jku: Option<String>,
    /// OPTIONAL. Extensions the recipient MUST understand (RFC 7515 §4.1.11).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crit: Option<Vec<String>>,
}

/// A compact JWS split into its parts: `BASE64URL(header) . BASE64URL(payload) . BASE64URL(signature)`.
///
/// Parsing checks shape only; nothing in it is trusted until [`verify_signature`] says so.
#[derive(Debug, Clone)]
pub struct CompactJws {
    /// The decoded header.
    pub header: JwsHeader,
    /// The decoded payload bytes (the JWT claims set, for a JWT).
    pub payload: Vec<u8>,
    /// `header . payload` exactly as received: the bytes the signature covers.
    pub signing_input: String,
    /// The decoded signature.
    pub signature: Vec<u8>,
}

impl CompactJws {
    /// Splits and decodes `token` (RFC 7515 §7.1). Refuses a header with `crit`: we
    /// understand no extension, and §4.1.11 says such a JWS "MUST be rejected".
    pub fn parse(token: &str) -> Result<Self, JoseError> {
        if token.len() > MAX_COMPACT_JWS_BYTES {
            return Err(JoseError::Malformed);
        }
        let mut parts = token.split('.');
        let (Some(header), Some(payload), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(JoseError::Malformed);
        };
        let header_bytes = base64url_decode(header)?;
        let header_value: serde_json::Value =
            serde_json::from_slice(&header_bytes).map_err(|_| JoseError::Malformed)?;
        if !header_value.is_object() {
            return Err(JoseError::Malformed);
        }
        let parsed_header: JwsHeader =
            serde_json::from_value(header_value).map_err(|_| JoseError::Malformed)?;
        if parsed_header.crit.is_some() {
            return Err(JoseError::UnknownCriticalHeader);
        }
        Ok(Self {
            header: parsed_header,
            payload: base64url_decode(payload)?,
            signing_input: format!("{header}.{payload}"),
            signature: base64url_decode(signature)?,
        })
    }

    /// The payload as a JSON object of type `T` (a JWT claims set).
    pub fn claims<T: DeserializeOwned>(&self) -> Result<T, JoseError> {
        serde_json::from_slice(&self.payload).map_err(|_| JoseError::Malformed)
    }
}

/// One public key (RFC 7517 §4), with the members of RSA (RFC 7518 §6.3.1), EC (§6.2.1) and
/// OKP (RFC 8037 §2) keys. Private members (`d`, `p`, …) are not even read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Jwk {
    /// REQUIRED. Key type: `RSA`, `EC` or `OKP`.
    pub kty: String,
    /// OPTIONAL. The key id a JWS header names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kid: Option<String>,
    /// OPTIONAL. `sig` for signing keys.
    #[serde(default, rename = "use", skip_serializing_if = "Option::is_none")]
    pub use_: Option<String>,
    /// OPTIONAL. The one algorithm this key is for; when present it must match the header's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alg: Option<String>,
    /// RSA modulus and exponent, base64url big-endian.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub n: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub e: Option<String>,
    /// EC / OKP curve: `P-256`, `Ed25519`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crv: Option<String>,
    /// EC x and y coordinates (32 bytes each for P-256); the OKP public key is `x` alone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub y: Option<String>,
}

/// A JWK Set (RFC 7517 §5): what an issuer publishes at its `jwks_uri`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct JwkSet {
    pub keys: Vec<Jwk>,
}

impl JwkSet {
    /// The key with this `kid`, if it is a signing key (`use` absent or `sig`).
    pub fn find(&self, kid: &str) -> Option<&Jwk> {
        self.keys.iter().find(|key| {
            key.kid.as_deref() == Some(kid) && key.use_.as_deref().is_none_or(|use_| use_ == "sig")
        })
    }
}

/// Checks that `key` signed `signing_input` with `alg` (RFC 7515 §5.2 steps 8–9).
///
/// The key must be of the algorithm's type (an RSA key for RS256, a P-256 key for ES256, an
/// Ed25519 key for EdDSA) and, if it names an `alg`, the same one: a key is never used
/// with an algorithm other than its own (RFC 8725 §3.1).
pub fn verify_signature(
    alg: Alg,
    key: &Jwk,
    signing_input: &[u8],
    signature: &[u8],
) -> Result<(), JoseError> {
    if !alg.fits(key)
        || key
            .alg
            .as_deref()
            .is_some_and(|named| named != alg.as_str())
    {
        return Err(JoseError::KeyDoesNotFit);
    }
    let member = |value: &Option<String>| {
        value
            .as_deref()
            .ok_or(JoseError::KeyDoesNotFit)
            .and_then(|text| base64url_decode(text).map_err(|_| JoseError::KeyDoesNotFit))
    };
    let verified = match alg {
        Alg::Rs256 => {
            let components = RsaPublicKeyComponents {
                n: member(&key.n)?,
                e: member(&key.e)?,
            };
            // 2048 bits at least (RFC 7518 §3.3: "A key of size 2048 bits or larger MUST be used").
            components.verify(
                &signature::RSA_PKCS1_2048_8192_SHA256,
                signing_input,
                signature,
            )
        }
        Alg::Es256 => {
            let (x, y) = (member(&key.x)?, member(&key.y)?);
            if x.len() != 32 || y.len() != 32 {
                return Err(JoseError::KeyDoesNotFit);
            }
            // ring takes the uncompressed point: 0x04 || x || y (SEC 1 §2.3.3).
            let mut point = Vec::with_capacity(65);
            point.push(0x04);
            point.extend_from_slice(&x);
            point.extend_from_slice(&y);
            UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, point)
                .verify(signing_input, signature)
        }
        Alg::EdDsa => UnparsedPublicKey::new(&signature::ED25519, member(&key.x)?)
            .verify(signing_input, signature),
    };
    verified.map_err(|_| JoseError::BadSignature)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ring::rand::SystemRandom;
    use ring::signature::{Ed25519KeyPair, KeyPair};

    fn ed25519() -> (Ed25519KeyPair, Jwk) {
        let pkcs8 = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).expect("ring makes keys");
        let pair = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).expect("its own PKCS#8 parses");
        let jwk = Jwk {
            kty: "OKP".into(),
            crv: Some("Ed25519".into()),
            x: Some(base64url_encode(pair.public_key().as_ref())),
            kid: Some("k1".into()),
            ..Jwk::default()
        };
        (pair, jwk)
    }

    fn sign(pair: &Ed25519KeyPair, header: &str, payload: &str) -> String {
        let input = format!("{}.{}", base64url_encode(header), base64url_encode(payload));
        let signature = pair.sign(input.as_bytes());
        format!("{input}.{}", base64url_encode(signature.as_ref()))
    }

    #[test]
    fn a_signed_jws_parses_and_verifies_with_its_key() {
        let (pair, jwk) = ed25519();
        let token = sign(&pair, r#"{"alg":"EdDSA","kid":"k1"}"#, r#"{"sub":"a"}"#);
        let jws = CompactJws::parse(&token).expect("well-formed");
        assert_eq!(jws.header.kid.as_deref(), Some("k1"));
        verify_signature(
            Alg::EdDsa,
            &jwk,
            jws.signing_input.as_bytes(),
            &jws.signature,
        )
        .expect("the signature verifies");
    }

    #[test]
    fn a_changed_payload_does_not_verify() {
        let (pair, jwk) = ed25519();
        let token = sign(&pair, r#"{"alg":"EdDSA"}"#, r#"{"sub":"a"}"#);
        let mut parts: Vec<&str> = token.split('.').collect();
        let forged = base64url_encode(r#"{"sub":"b"}"#);
        parts[1] = &forged;
        let jws = CompactJws::parse(&parts.join(".")).expect("still well-formed");
        assert_eq!(
            verify_signature(
                Alg::EdDsa,
                &jwk,
                jws.signing_input.as_bytes(),
                &jws.signature
            ),
            Err(JoseError::BadSignature)
        );
    }

    #[test]
    fn none_and_hmac_are_not_on_the_allow_list() {
        for name in ["none", "HS256", "HS512", "RS512", "es256"] {
            assert_eq!(Alg::from_name(name), None, "{name}");
        }
        assert_eq!(Alg::from_name("ES256"), Some(Alg::Es256));
    }

    #[test]
    fn a_key_is_never_used_with_another_algorithm() {
        let (_, jwk) = ed25519();
        assert_eq!(
            verify_signature(Alg::Es256, &jwk, b"x", b"y"),
            Err(JoseError::KeyDoesNotFit)
        );
    }

    #[test]
    fn malformed_and_critical_tokens_are_refused() {
        assert_eq!(CompactJws::parse("a.b").err(), Some(JoseError::Malformed));
        assert_eq!(
            CompactJws::parse("a.b.c.d").err(),
            Some(JoseError::Malformed)
        );
        let header = base64url_encode(r#"{"alg":"EdDSA","crit":["exp"]}"#);
        assert_eq!(
            CompactJws::parse(&format!("{header}.e30.")).err(),
            Some(JoseError::UnknownCriticalHeader)
        );
    }
}
