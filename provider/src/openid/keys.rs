//! # Signing keys and their public JWKs (RFC 7517, RFC 7518 §3, RFC 7638, RFC 8037)
//!
//! One [`SigningKey`] is a private key the provider signs ID tokens with, plus the two
//! names a verifier needs to pick the right public key: its `kid` and its `alg`.
//!
//! - `alg` is one of [`Algorithm`]: `RS256` (RSASSA-PKCS1-v1_5 with SHA-256, RFC 7518 §3.3;
//!   OpenID Connect Discovery 1.0 §3 requires every provider to support it), `ES256` (ECDSA
//!   P-256 with SHA-256, RFC 7518 §3.4) or `EdDSA` with Ed25519 (RFC 8037 §3.1).
//! - `kid` is the key's RFC 7638 JWK thumbprint: the SHA-256 of its required public members
//!   in a fixed order. Two instances that load the same key compute the same `kid`, and a
//!   `kid` can never point at two different keys.
//!
//! Where a key comes from:
//!
//! - [`SigningKey::generate`]: `ring` (already in the tree through rustls) makes ES256 and
//!   Ed25519 keys; `ring` cannot make RSA keys, so the `rsa` crate makes the RSA key, once,
//!   and exports it as PKCS#8. From then on `ring` does all the signing. `rsa` never signs or
//!   decrypts here: RUSTSEC-2023-0071 (Marvin) is a timing side channel on exactly those
//!   private-key operations, observable over the network, and key generation is neither.
//! - [`SigningKey::from_pem_file`]: a PKCS#8 PEM file (`-----BEGIN PRIVATE KEY-----`), e.g.
//!   from `openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048`.
//! - [`SigningKey::from_stored`]: the [`StoredKey`] form the store keeps (PKCS#8 DER,
//!   base64url), so that instances behind one Redis share their keys.
//!
//! What leaves the process is only [`SigningKey::public_jwk`]: the public members, never
//! `d`, `p`, `q`, `dp`, `dq`, `qi` (RFC 7518 §6.3.2) nor the EC/OKP `d` (§6.2.2, RFC 8037 §2).

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::rand::SystemRandom;
use ring::signature::{self, EcdsaKeyPair, Ed25519KeyPair, KeyPair, RsaKeyPair};
use serde::{Deserialize, Serialize};

/// The JWS algorithms this provider signs with (RFC 7518 §3.1 names, RFC 8037 §3.1), ordered
/// as declared: RS256 first, as lists of them are (Discovery 1.0 §3 requires it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Algorithm {
    /// RSASSA-PKCS1-v1_5 using SHA-256, 2048-bit keys. REQUIRED by Discovery 1.0 §3.
    RS256,
    /// ECDSA using P-256 and SHA-256; the signature is `R || S`, 64 bytes (RFC 7518 §3.4).
    ES256,
    /// Edwards-curve signatures with Ed25519 (RFC 8037 §3.1).
    EdDSA,
}

impl Algorithm {
    /// Every algorithm, in the order a provider would list them in
    /// `id_token_signing_alg_values_supported` (RS256 first, as Discovery requires it).
    pub const ALL: [Algorithm; 3] = [Algorithm::RS256, Algorithm::ES256, Algorithm::EdDSA];

    /// The `alg` header value (RFC 7515 §4.1.1).
    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::RS256 => "RS256",
            Algorithm::ES256 => "ES256",
            Algorithm::EdDSA => "EdDSA",
        }
    }

    /// The algorithm an `alg` header names, if it is one of ours. `none` and the HMAC
    /// family (`HS256`...) are not: a verifier that accepted them could be handed a token
    /// with no signature, or one "signed" with our public key as an HMAC secret.
    pub fn from_name(name: &str) -> Option<Algorithm> {
        Algorithm::ALL.into_iter().find(|alg| alg.as_str() == name)
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a key could not be made, read or used. Each message names the file or the key and
/// says what would work.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("signing key file {path}: cannot read it ({source})")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error(
        "signing key file {path}: {problem}; expected a PKCS#8 PEM (-----BEGIN PRIVATE KEY-----), \
         e.g. from `openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out {path}`"
    )]
    NotPkcs8Pem { path: String, problem: String },
    #[error(
        "signing key file {path}: not an RSA (2048 to 4096 bits), P-256 or Ed25519 private key \
         that ring accepts"
    )]
    UnsupportedKey { path: String },
    #[error("stored signing key {kid}: {problem}")]
    Stored { kid: String, problem: String },
    #[error("could not generate a {alg} signing key: {problem}")]
    Generate { alg: Algorithm, problem: String },
    #[error("no {alg} signing key is in use")]
    NoKey { alg: Algorithm },
    #[error("signing with key {kid} failed")]
    Sign { kid: String },
}

/// The private half of a key, as `ring` holds it. Shared (`Arc`): `ring`'s key pairs are
/// not `Clone`, and every instance of a key is the same key.
#[derive(Clone)]
enum Signer {
    Rsa(Arc<RsaKeyPair>),
    Ecdsa(Arc<EcdsaKeyPair>),
    Ed25519(Arc<Ed25519KeyPair>),
}

/// A private signing key with its `kid` and `alg`.
///
/// `Debug` prints the `kid` and `alg` only: the private key never reaches a log.
#[derive(Clone)]
pub struct SigningKey {
    kid: String,
    alg: Algorithm,
    /// The PKCS#8 DER the key was made from, kept to write it to the store.
    pkcs8: Arc<[u8]>,
    signer: Signer,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .field("private_key", &"[redacted]")
            .finish()
    }
}

impl SigningKey {
    /// Makes a new key for `alg`. RS256 keys are 2048 bits (RFC 7518 §3.3: "a key of size
    /// 2048 bits or larger MUST be used").
    pub fn generate(alg: Algorithm) -> Result<SigningKey, KeyError> {
        let failed = |problem: String| KeyError::Generate { alg, problem };
        let pkcs8: Vec<u8> = match alg {
            // ring cannot generate RSA keys: `rsa` generates and exports, nothing more.
            Algorithm::RS256 => {
                use rsa::pkcs8::EncodePrivateKey;
                let key = rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048)
                    .map_err(|e| failed(e.to_string()))?;
                key.to_pkcs8_der()
                    .map_err(|e| failed(e.to_string()))?
                    .as_bytes()
                    .to_vec()
            }
            Algorithm::ES256 => EcdsaKeyPair::generate_pkcs8(
                &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
                &SystemRandom::new(),
            )
            .map_err(|_| failed("the system random generator failed".into()))?
            .as_ref()
            .to_vec(),
            Algorithm::EdDSA => Ed25519KeyPair::generate_pkcs8(&SystemRandom::new())
                .map_err(|_| failed("the system random generator failed".into()))?
                .as_ref()
                .to_vec(),
        };
        SigningKey::from_pkcs8_der(&pkcs8).ok_or_else(|| failed("ring refused the new key".into()))
    }

    /// Reads a PKCS#8 PEM file: RSA (2048–4096 bits), P-256 or Ed25519. The error names the
    /// file and says how to make one that works.
    pub fn from_pem_file(path: impl AsRef<Path>) -> Result<SigningKey, KeyError> {
        let path_shown = path.as_ref().display().to_string();
        let text = std::fs::read_to_string(path.as_ref()).map_err(|source| KeyError::Read {
            path: path_shown.clone(),
            source,
        })?;
        let der = pkcs8_pem_to_der(&text).map_err(|problem| KeyError::NotPkcs8Pem {
            path: path_shown.clone(),
            problem,
        })?;
        SigningKey::from_pkcs8_der(&der).ok_or(KeyError::UnsupportedKey { path: path_shown })
    }

    /// A key from PKCS#8 DER; the algorithm is whichever of ours `ring` recognises it as.
    fn from_pkcs8_der(der: &[u8]) -> Option<SigningKey> {
        let (alg, signer) = if let Ok(pair) = RsaKeyPair::from_pkcs8(der) {
            (Algorithm::RS256, Signer::Rsa(Arc::new(pair)))
        } else if let Ok(pair) = EcdsaKeyPair::from_pkcs8(
            &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
            der,
            &SystemRandom::new(),
        ) {
            (Algorithm::ES256, Signer::Ecdsa(Arc::new(pair)))
        } else if let Ok(pair) = Ed25519KeyPair::from_pkcs8_maybe_unchecked(der) {
            // "maybe unchecked": also PKCS#8 v1 files (no public key inside), as openssl
            // writes them; ring derives the public key from the seed.
            (Algorithm::EdDSA, Signer::Ed25519(Arc::new(pair)))
        } else {
            return None;
        };
        let mut key = SigningKey {
            kid: String::new(),
            alg,
            pkcs8: Arc::from(der),
            signer,
        };
        key.kid = key.public_jwk().thumbprint();
        Some(key)
    }

    /// The key's id: its RFC 7638 thumbprint, as it appears in the JWS header and the JWKS.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The algorithm this key signs with.
    pub fn alg(&self) -> Algorithm {
        self.alg
    }

    /// The public JWK (RFC 7517 §4): `kty`, `kid`, `use: sig`, `alg`, and `n`/`e` (RSA,
    /// RFC 7518 §6.3.1), `crv`/`x`/`y` (EC, §6.2.1) or `crv`/`x` (OKP, RFC 8037 §2).
    pub fn public_jwk(&self) -> PublicJwk {
        let b64 = |bytes: &[u8]| URL_SAFE_NO_PAD.encode(bytes);
        let mut jwk = PublicJwk {
            kty: String::new(),
            key_use: "sig".into(),
            alg: self.alg.as_str().into(),
            kid: self.kid.clone(),
            n: None,
            e: None,
            crv: None,
            x: None,
            y: None,
        };
        match &self.signer {
            Signer::Rsa(pair) => {
                // Unsigned big-endian integers without leading zeros (RFC 7518 §6.3.1.1).
                let components: signature::RsaPublicKeyComponents<Vec<u8>> = pair.public().into();
                jwk.kty = "RSA".into();
                jwk.n = Some(b64(&components.n));
                jwk.e = Some(b64(&components.e));
            }
            Signer::Ecdsa(pair) => {
                // ring gives the uncompressed SEC1 point: 0x04 || X (32 bytes) || Y (32 bytes).
                let point = pair.public_key().as_ref();
                jwk.kty = "EC".into();
                jwk.crv = Some("P-256".into());
                jwk.x = Some(b64(&point[1..33]));
                jwk.y = Some(b64(&point[33..65]));
            }
            Signer::Ed25519(pair) => {
                jwk.kty = "OKP".into();
                jwk.crv = Some("Ed25519".into());
                jwk.x = Some(b64(pair.public_key().as_ref()));
            }
        }
        jwk
    }

    /// Signs `message` (for a JWS: the ASCII of `header.payload`, RFC 7515 §5.1) and
    /// returns the signature bytes in the JWS form of the algorithm.
    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>, KeyError> {
        let failed = || KeyError::Sign {
            kid: self.kid.clone(),
        };
        let rng = SystemRandom::new();
        match &self.signer {
            Signer::Rsa(pair) => {
                let mut out = vec![0; pair.public().modulus_len()];
                pair.sign(&signature::RSA_PKCS1_SHA256, &rng, message, &mut out)
                    .map_err(|_| failed())?;
                Ok(out)
            }
            Signer::Ecdsa(pair) => Ok(pair
                .sign(&rng, message)
                .map_err(|_| failed())?
                .as_ref()
                .to_vec()),
            Signer::Ed25519(pair) => Ok(pair.sign(message).as_ref().to_vec()),
        }
    }

    /// The form the store keeps.
    pub fn to_stored(&self) -> StoredKey {
        StoredKey {
            kid: self.kid.clone(),
            alg: self.alg,
            pkcs8: URL_SAFE_NO_PAD.encode(&self.pkcs8),
        }
    }

    /// A key back from the store. Refused when the DER is not a key, or when it is not the
    /// key its `kid` and `alg` say (a store that mixed two keys up must not sign with one
    /// under the other's name).
    pub fn from_stored(stored: &StoredKey) -> Result<SigningKey, KeyError> {
        let problem = |problem: &str| KeyError::Stored {
            kid: stored.kid.clone(),
            problem: problem.into(),
        };
        let der = URL_SAFE_NO_PAD
            .decode(&stored.pkcs8)
            .map_err(|_| problem("pkcs8 is not base64url"))?;
        let key = SigningKey::from_pkcs8_der(&der)
            .ok_or_else(|| problem("pkcs8 is not a key ring accepts"))?;
        if key.kid != stored.kid || key.alg != stored.alg {
            return Err(problem("the key inside does not match its kid and alg"));
        }
        Ok(key)
    }
}

/// A signing key as the store keeps it: PKCS#8 DER, base64url. This is a secret: `Debug`
/// prints `kid` and `alg` only.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredKey {
    pub kid: String,
    pub alg: Algorithm,
    pub pkcs8: String,
}

impl fmt::Debug for StoredKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoredKey")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .field("pkcs8", &"[redacted]")
            .finish()
    }
}

/// One public key of the JWK Set (RFC 7517 §4). It has no field for a private member, so
/// none can be serialised by mistake.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicJwk {
    /// `RSA`, `EC` or `OKP` (RFC 7518 §6.1, RFC 8037 §2).
    pub kty: String,
    /// Always `sig`: these keys sign, they never encrypt (RFC 7517 §4.2).
    #[serde(rename = "use")]
    pub key_use: String,
    pub alg: String,
    pub kid: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub n: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub e: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crv: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub y: Option<String>,
}

impl PublicJwk {
    /// The RFC 7638 §3 thumbprint: SHA-256 over the JSON object of the REQUIRED public
    /// members only, names in lexicographic order, no whitespace, then base64url.
    /// RSA: `e`, `kty`, `n` (§3.2); EC: `crv`, `kty`, `x`, `y` (§3.2); OKP: `crv`, `kty`,
    /// `x` (RFC 8037 §2).
    pub fn thumbprint(&self) -> String {
        let field = |value: &Option<String>| value.clone().unwrap_or_default();
        // A BTreeMap keeps the names sorted, and serde_json writes no whitespace.
        let mut members = std::collections::BTreeMap::new();
        members.insert("kty", self.kty.clone());
        match self.kty.as_str() {
            "RSA" => {
                members.insert("n", field(&self.n));
                members.insert("e", field(&self.e));
            }
            _ => {
                members.insert("crv", field(&self.crv));
                members.insert("x", field(&self.x));
                if self.y.is_some() {
                    members.insert("y", field(&self.y));
                }
            }
        }
        let json = serde_json::to_string(&members).unwrap_or_default();
        URL_SAFE_NO_PAD.encode(ring::digest::digest(&ring::digest::SHA256, json.as_bytes()))
    }
}

/// The JWK Set served at `jwks_uri` (RFC 7517 §5).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Jwks {
    pub keys: Vec<PublicJwk>,
}

impl Jwks {
    /// The key with this `kid`, if the set publishes it.
    pub fn find(&self, kid: &str) -> Option<&PublicJwk> {
        self.keys.iter().find(|key| key.kid == kid)
    }
}

/// The DER inside a `-----BEGIN PRIVATE KEY-----` block (RFC 7468 §10), or what is wrong.
fn pkcs8_pem_to_der(text: &str) -> Result<Vec<u8>, String> {
    const BEGIN: &str = "-----BEGIN PRIVATE KEY-----";
    const END: &str = "-----END PRIVATE KEY-----";
    let Some(start) = text.find(BEGIN) else {
        return Err(match text.find("-----BEGIN ") {
            // The usual near miss: PKCS#1 (`RSA PRIVATE KEY`) or SEC1 (`EC PRIVATE KEY`).
            Some(at) => format!(
                "found {} instead; convert it with `openssl pkcs8 -topk8 -nocrypt`",
                text[at..].lines().next().unwrap_or_default()
            ),
            None => "no PEM block in it".into(),
        });
    };
    let body = &text[start + BEGIN.len()..];
    let Some(end) = body.find(END) else {
        return Err(format!("no {END} line"));
    };
    let base64: String = body[..end]
        .chars()
        .filter(|c| !c.is_ascii_whitespace())
        .collect();
    base64::engine::general_purpose::STANDARD
        .decode(base64)
        .map_err(|_| "the PEM body is not base64".into())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::sync::OnceLock;

    /// RSA generation is slow without optimisation: one key for all the tests that need one.
    pub(crate) fn rsa_key() -> SigningKey {
        static KEY: OnceLock<SigningKey> = OnceLock::new();
        KEY.get_or_init(|| SigningKey::generate(Algorithm::RS256).expect("an RSA key"))
            .clone()
    }

    fn every_kind_of_key() -> Vec<SigningKey> {
        vec![
            rsa_key(),
            SigningKey::generate(Algorithm::ES256).unwrap(),
            SigningKey::generate(Algorithm::EdDSA).unwrap(),
        ]
    }

    #[test]
    fn the_rfc_7638_example_key_has_the_rfc_7638_thumbprint() {
        // RFC 7638 §3.1: the RSA key of RFC 7517 Appendix A.1 and its thumbprint.
        let jwk = PublicJwk {
            kty: "RSA".into(),
            key_use: "sig".into(),
            alg: "RS256".into(),
            kid: "2011-04-29".into(),
            n: Some(
                "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw".into(),
            ),
            e: Some("AQAB".into()),
            crv: None,
            x: None,
            y: None,
        };
        assert_eq!(
            jwk.thumbprint(),
            "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
        );
    }

    #[test]
    fn an_ec_key_thumbprint_uses_crv_kty_x_y_only() {
        // The P-256 example of panva's `jose` (calculateJwkThumbprint), an independent check.
        let jwk = PublicJwk {
            kty: "EC".into(),
            key_use: "sig".into(),
            alg: "ES256".into(),
            kid: "ignored".into(),
            n: None,
            e: None,
            crv: Some("P-256".into()),
            x: Some("jJ6Flys3zK9jUhnOHf6G49Dyp5hah6CNP84-gY-n9eo".into()),
            y: Some("nhI6iD5eFXgBTLt_1p3aip-5VbZeMhxeFSpjfEAf7Ww".into()),
        };
        assert_eq!(
            jwk.thumbprint(),
            "w9eYdC6_s_tLQ8lH6PUpc0mddazaqtPgeC2IgWDiqY8"
        );
    }

    #[test]
    fn a_public_jwk_never_carries_a_private_member() {
        for key in every_kind_of_key() {
            let json = serde_json::to_value(key.public_jwk()).unwrap();
            let object = json.as_object().unwrap();
            for private in ["d", "p", "q", "dp", "dq", "qi", "oth", "k"] {
                assert!(
                    !object.contains_key(private),
                    "{} JWK has private member {private}: {json}",
                    key.alg()
                );
            }
            assert_eq!(object["use"], "sig");
            assert_eq!(object["alg"], key.alg().as_str());
            assert_eq!(object["kid"], key.kid());
        }
    }

    #[test]
    fn each_kind_of_key_publishes_the_members_rfc_7518_names() {
        let members = |key: &SigningKey| {
            let json = serde_json::to_value(key.public_jwk()).unwrap();
            let mut names: Vec<String> = json.as_object().unwrap().keys().cloned().collect();
            names.sort();
            names
        };
        let [rsa, ec, ed] = every_kind_of_key().try_into().unwrap();
        assert_eq!(members(&rsa), ["alg", "e", "kid", "kty", "n", "use"]);
        assert_eq!(members(&ec), ["alg", "crv", "kid", "kty", "use", "x", "y"]);
        assert_eq!(members(&ed), ["alg", "crv", "kid", "kty", "use", "x"]);
        // A 2048-bit modulus is 256 bytes: 342 base64url characters.
        assert_eq!(rsa.public_jwk().n.unwrap().len(), 342);
        assert_eq!(rsa.public_jwk().e.unwrap(), "AQAB");
    }

    #[test]
    fn the_kid_is_the_thumbprint_and_debug_never_shows_the_private_key() {
        for key in every_kind_of_key() {
            assert_eq!(key.kid(), key.public_jwk().thumbprint());
            let stored = key.to_stored();
            for shown in [format!("{key:?}"), format!("{stored:?}")] {
                assert!(shown.contains(key.kid()));
                assert!(shown.contains("[redacted]"));
                assert!(!shown.contains(&stored.pkcs8[..40]), "{shown}");
            }
        }
    }

    #[test]
    fn a_stored_key_comes_back_as_the_same_key() {
        for key in every_kind_of_key() {
            let json = serde_json::to_string(&key.to_stored()).unwrap();
            let back = SigningKey::from_stored(&serde_json::from_str(&json).unwrap()).unwrap();
            assert_eq!(back.kid(), key.kid());
            assert_eq!(back.alg(), key.alg());
            assert_eq!(back.public_jwk(), key.public_jwk());
        }
    }

    #[test]
    fn a_stored_key_under_another_keys_kid_is_refused() {
        let one = SigningKey::generate(Algorithm::ES256).unwrap();
        let other = SigningKey::generate(Algorithm::ES256).unwrap();
        let mut mixed_up = one.to_stored();
        mixed_up.kid = other.kid().into();
        let error = SigningKey::from_stored(&mixed_up).unwrap_err().to_string();
        assert!(error.contains("does not match its kid"), "{error}");
        let mut garbage = one.to_stored();
        garbage.pkcs8 = "AAAA".into();
        assert!(SigningKey::from_stored(&garbage).is_err());
    }

    fn pem(der: &[u8], label: &str) -> String {
        let body = base64::engine::general_purpose::STANDARD.encode(der);
        let lines: Vec<&str> = body
            .as_bytes()
            .chunks(64)
            .map(|chunk| std::str::from_utf8(chunk).unwrap())
            .collect();
        format!(
            "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
            lines.join("\n")
        )
    }

    fn temp_file(name: &str, contents: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("provider-keys-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        std::fs::write(&path, contents).unwrap();
        path
    }

    #[test]
    fn a_pkcs8_pem_file_loads_as_the_key_it_holds() {
        for key in every_kind_of_key() {
            let path = temp_file(
                &format!("{}.pem", key.alg()),
                &pem(&key.pkcs8, "PRIVATE KEY"),
            );
            let loaded = SigningKey::from_pem_file(&path).unwrap();
            assert_eq!(loaded.kid(), key.kid());
            assert_eq!(loaded.alg(), key.alg());
        }
    }

    #[test]
    fn a_bad_key_file_is_an_error_naming_the_file_and_what_would_work() {
        let missing = SigningKey::from_pem_file("/nonexistent/signing-key.pem")
            .unwrap_err()
            .to_string();
        assert!(
            missing.contains("/nonexistent/signing-key.pem"),
            "{missing}"
        );

        let pkcs1 = temp_file("pkcs1.pem", &pem(b"not really", "RSA PRIVATE KEY"));
        let error = SigningKey::from_pem_file(&pkcs1).unwrap_err().to_string();
        assert!(error.contains(&pkcs1.display().to_string()), "{error}");
        assert!(error.contains("BEGIN RSA PRIVATE KEY"), "{error}");
        assert!(error.contains("openssl pkcs8 -topk8 -nocrypt"), "{error}");

        let not_a_key = temp_file("junk.pem", &pem(b"0123456789", "PRIVATE KEY"));
        let error = SigningKey::from_pem_file(&not_a_key)
            .unwrap_err()
            .to_string();
        assert!(error.contains(&not_a_key.display().to_string()), "{error}");
        assert!(error.contains("not an RSA"), "{error}");
    }

    #[test]
    fn only_our_three_algorithms_have_names() {
        assert_eq!(Algorithm::from_name("RS256"), Some(Algorithm::RS256));
        assert_eq!(Algorithm::from_name("EdDSA"), Some(Algorithm::EdDSA));
        for refused in ["none", "None", "HS256", "rs256", "PS256", ""] {
            assert_eq!(Algorithm::from_name(refused), None, "{refused}");
        }
    }
}
