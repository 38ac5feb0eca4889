//! The lab's token forge, and the steps of the cards that attack signed tokens: ID tokens
//! (OpenID Connect Core 1.0 §3.1.3.7) and JWT access tokens (RFC 9068 §4). What an attacker
//! can make without the provider's private key, made here with ring and `shared::jose`:
//!
//! - an unsigned token, `alg: none` (RFC 7519 §6, RFC 8725 §2.1);
//! - an HMAC "signed" with the provider's *public* key as the secret (RFC 8725 §2.1,
//!   algorithm confusion): anyone can compute it, since the key is published;
//! - a token signed with a key of the attacker's own ([`LabKey`]), with a `kid` the
//!   provider's JWK Set does not have, or the key itself in the header (`jwk`).
//!
//! Some cards need a token that *is* properly signed but wrong in a claim (another `aud`, an
//! old `nonce`, a past `exp`). The lab cannot sign with the provider's key, so for those it
//! plays the provider with a [`LabKey`] of its own and hands the real check a JWK Set that
//! holds it ([`crate::lab::fake_issuer`] for the API); each such card says so.
//!
//! Forged tokens are not secrets (an attacker made them), but they are masked like any
//! token on the page; their decoded header and claims are shown instead.

use std::time::{SystemTime, UNIX_EPOCH};

use oauth2::HttpResponse;
use ring::rand::SystemRandom;
use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair};
use serde_json::{Value, json};
use shared::jose::{CompactJws, Jwk, JwkSet, base64url_decode, base64url_encode};

use crate::flow::CodeRef;
use crate::lab::agent::get;
use crate::lab::cards::{AttackReport, NaiveReport, Verdict};
use crate::lab::harness::{LabContext, answer_note, kind_of, verdict_of};
use crate::lab::naive_access_token::naive_validate_access_token;
use crate::lab::naive_id_token::naive_validate_id_token;
use crate::lab::transcript::{StepKind, Transcript};
use crate::lab::{LabError, code};
use crate::oauth::id_token::{self, Expected, Validation};

/// Now, in seconds since the Unix epoch.
pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_secs())
}

/// A P-256 signing key the lab makes for one run (ES256, RFC 7518 §3.4): the attacker's, or
/// a stand-in for the provider's where a card needs a properly signed token.
pub struct LabKey {
    pub kid: String,
    pair: EcdsaKeyPair,
}

impl LabKey {
    /// A fresh key named `kid`.
    pub fn generate(kid: &str) -> Result<Self, LabError> {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
            .map_err(|_| LabError::new("the lab could not make a P-256 key"))?;
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng)
            .map_err(|_| LabError::new("the lab could not read its own P-256 key"))?;
        Ok(Self {
            kid: kid.to_owned(),
            pair,
        })
    }

    /// The public key as a JWK (RFC 7518 §6.2.1): the uncompressed point `0x04 || x || y`.
    pub fn jwk(&self) -> Jwk {
        let point = self.pair.public_key().as_ref();
        Jwk {
            kty: "EC".into(),
            kid: Some(self.kid.clone()),
            use_: Some("sig".into()),
            alg: Some("ES256".into()),
            crv: Some("P-256".into()),
            x: Some(base64url_encode(&point[1..33])),
            y: Some(base64url_encode(&point[33..65])),
            ..Jwk::default()
        }
    }

    /// A JWK Set holding this key alone.
    pub fn jwks(&self) -> JwkSet {
        JwkSet {
            keys: vec![self.jwk()],
        }
    }

    /// `{"alg": "ES256", "kid": …}` plus `typ` when given (`at+jwt` for access tokens).
    pub fn header(&self, typ: Option<&str>) -> Value {
        let mut header = json!({"alg": "ES256", "kid": self.kid});
        if let Some(typ) = typ {
            header["typ"] = json!(typ);
        }
        header
    }

    /// A compact JWS of `header` and `claims`, signed with this key.
    pub fn sign(&self, header: &Value, claims: &Value) -> Result<String, LabError> {
        let input = signing_input(header, claims);
        let signature = self
            .pair
            .sign(&SystemRandom::new(), input.as_bytes())
            .map_err(|_| LabError::new("the lab could not sign with its key"))?;
        Ok(format!("{input}.{}", base64url_encode(signature.as_ref())))
    }
}

/// `BASE64URL(header) . BASE64URL(claims)`: the bytes a signature covers (RFC 7515 §5.1).
fn signing_input(header: &Value, claims: &Value) -> String {
    format!(
        "{}.{}",
        base64url_encode(header.to_string()),
        base64url_encode(claims.to_string())
    )
}

/// An unsigned JWT: `alg: none` and an empty signature (RFC 7519 §6.1).
pub fn unsigned(header: &Value, claims: &Value) -> String {
    format!("{}.", signing_input(header, claims))
}

/// The bytes of a published public key, as a verifier that takes "the key" for an HMAC
/// secret would read them: an RSA key's modulus, an EC key's `x || y`, an OKP key's `x`.
pub fn public_key_bytes(key: &Jwk) -> Vec<u8> {
    let decode = |member: &Option<String>| {
        member
            .as_deref()
            .and_then(|text| base64url_decode(text).ok())
            .unwrap_or_default()
    };
    match key.kty.as_str() {
        "RSA" => decode(&key.n),
        "EC" => [decode(&key.x), decode(&key.y)].concat(),
        _ => decode(&key.x),
    }
}

/// Algorithm confusion (RFC 8725 §2.1): `header` says HS256, and the MAC is keyed with the
/// *public* `key`'s bytes, which the provider publishes for anyone to read.
pub fn hmac_with_public_key(header: &Value, claims: &Value, key: &Jwk) -> String {
    let input = signing_input(header, claims);
    let secret = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &public_key_bytes(key));
    let mac = ring::hmac::sign(&secret, input.as_bytes());
    format!("{input}.{}", base64url_encode(mac.as_ref()))
}

/// `header {…}; claims {…}`, decoded, for a step's notes (the signature is left out).
pub fn decoded(token: &str) -> String {
    match CompactJws::parse(token) {
        Ok(jws) => {
            let header = serde_json::to_string(&jws.header).unwrap_or_default();
            let claims = String::from_utf8_lossy(&jws.payload);
            format!("header {header}; claims {claims}")
        }
        Err(_) => "not a compact JWS".into(),
    }
}

/// The provider's published keys, from its `jwks_uri` (OpenID Connect Discovery 1.0 §3):
/// what every attacker can read, and what the real checks trust.
pub async fn provider_jwks(
    ctx: &LabContext<'_>,
    transcript: &mut Transcript,
) -> Result<JwkSet, LabError> {
    let jwks_uri = ctx
        .provider
        .endpoints
        .openid
        .as_ref()
        .map(|openid| openid.jwks_uri.clone())
        .ok_or_else(|| {
            LabError::new(
                "the provider publishes no jwks_uri (it is not an OpenID Provider), so there are no keys to attack",
            )
        })?;
    let answer = transcript
        .send(ctx.oauth.http(), get(&jwks_uri, None)?)
        .await?;
    let jwks: JwkSet = serde_json::from_slice(answer.body()).map_err(|_| {
        LabError::new(format!(
            "the provider's jwks_uri did not answer a JWK Set (HTTP {})",
            answer.status().as_u16()
        ))
    })?;
    if jwks.keys.is_empty() {
        return Err(LabError::new("the provider's JWK Set has no keys"));
    }
    transcript.step(
        "The attacker reads the provider's public keys (jwks_uri), as anyone may",
        StepKind::Setup,
        vec![format!(
            "{} keys: {}",
            jwks.keys.len(),
            jwks.keys
                .iter()
                .map(|key| format!(
                    "kid {} ({} {})",
                    key.kid.as_deref().unwrap_or("-"),
                    key.kty,
                    key.alg.as_deref().unwrap_or("-")
                ))
                .collect::<Vec<_>>()
                .join(", ")
        )],
    );
    Ok(jwks)
}

/// The provider's key an attack names: its first RSA key (RS256, the one OpenID Connect
/// requires), else its first key.
pub fn provider_key(jwks: &JwkSet) -> Result<&Jwk, LabError> {
    jwks.keys
        .iter()
        .find(|key| key.kty == "RSA")
        .or_else(|| jwks.keys.first())
        .ok_or_else(|| LabError::new("the provider's JWK Set has no keys"))
}

/// The nonce "this browser's login" sent, for the ID token cards: fresh per run.
pub fn fresh_nonce() -> String {
    let bytes: [u8; 16] = rand::random();
    base64url_encode(bytes)
}

/// The claims of a good ID token (Core §2) from the provider to this client, for the demo
/// user, answering the login that sent `nonce`; a card then spoils one of them.
pub fn id_token_claims(ctx: &LabContext<'_>, nonce: &str) -> Value {
    let now = now();
    let client_id = &ctx.oauth.settings().client_id;
    json!({
        "iss": ctx.provider.endpoints.issuer,
        "sub": "user1",
        "aud": client_id,
        "azp": client_id,
        "exp": now + 300,
        "iat": now,
        "nonce": nonce,
    })
}

/// The client's real ID token check ([`id_token::validate`]), in-process, with `jwks` as the
/// provider's keys and `nonce` as the one this browser's login sent. Records each check
/// that ran with its result; answers the verdict.
pub fn check_id_token_for_real(
    ctx: &LabContext<'_>,
    transcript: &mut Transcript,
    token: &str,
    jwks: &JwkSet,
    nonce: &str,
    title: &str,
) -> (Validation, Verdict) {
    transcript.secret(token);
    let expected = Expected {
        issuer: &ctx.provider.endpoints.issuer,
        client_id: &ctx.oauth.settings().client_id,
        nonce,
        access_token: None,
        now: Expected::now_unix(),
        first: None,
    };
    let validation = id_token::validate(token, jwks, &expected);
    let notes = validation
        .checks
        .iter()
        .map(|result| {
            format!(
                "{} {}: {}",
                if result.passed { "✓" } else { "✗" },
                result.check.name(),
                result.detail
            )
        })
        .collect();
    let refused = validation.refused().cloned();
    transcript.step(
        title,
        if refused.is_some() {
            StepKind::Refused
        } else {
            StepKind::Accepted
        },
        notes,
    );
    let verdict = match refused {
        Some(result) => Verdict {
            refused: true,
            status: None,
            code: Some(result.check.name().to_owned()),
            description: Some(result.detail),
            summary: format!(
                "The client's ID token check refused it at step {:?} ({}).",
                result.check.name(),
                result.check.function()
            ),
        },
        None => Verdict {
            refused: false,
            status: None,
            code: None,
            description: None,
            summary: "The client's ID token check ACCEPTED the forged token.".into(),
        },
    };
    (validation, verdict)
}

/// Several verdicts as one: refused only if every attempt was.
pub fn all_refused(verdicts: Vec<Verdict>, summary: &str) -> Verdict {
    let broken = verdicts.iter().find(|verdict| !verdict.refused).cloned();
    match broken {
        Some(verdict) => verdict,
        None => {
            let first = verdicts.into_iter().next();
            Verdict {
                refused: true,
                status: first.as_ref().and_then(|verdict| verdict.status),
                code: first.as_ref().and_then(|verdict| verdict.code.clone()),
                description: first.and_then(|verdict| verdict.description),
                summary: summary.to_owned(),
            }
        }
    }
}

/// Runs a deliberately naive validator on each of `attempts` (a title and a token), one
/// step each; it succeeded if it accepted them all.
pub fn naive_report(
    ctx: &LabContext<'_>,
    attempts: &[(&str, &str)],
    validator: impl Fn(&str) -> Result<Value, String>,
    success: &str,
) -> NaiveReport {
    let mut transcript = Transcript::new();
    let mut succeeded = true;
    let mut reasons = Vec::new();
    for (title, token) in attempts {
        transcript.secret(token);
        match validator(token) {
            Ok(claims) => transcript.step(
                *title,
                StepKind::Accepted,
                vec![format!("ACCEPTED, believing the claims {claims}")],
            ),
            Err(reason) => {
                succeeded = false;
                transcript.step(*title, StepKind::Refused, vec![reason.clone()]);
                reasons.push(reason);
            }
        }
    }
    NaiveReport {
        steps: transcript.finish(ctx.oauth.masker()),
        succeeded,
        summary: if succeeded {
            success.to_owned()
        } else {
            format!("Even the naive validator gave up: {}.", reasons.join("; "))
        },
    }
}

/// The claims of a JWT access token (RFC 9068 §2.2) from `issuer` for the resource
/// `audience`, for the demo user, with the notes scopes, expiring at `exp`.
pub fn access_token_claims(ctx: &LabContext<'_>, issuer: &str, audience: &str, exp: u64) -> Value {
    let now = now();
    json!({
        "iss": issuer,
        "exp": exp,
        "aud": audience,
        "sub": "user1",
        "client_id": ctx.oauth.settings().client_id,
        "iat": now.min(exp),
        "jti": fresh_nonce(),
        "scope": "notes:read notes:write",
    })
}

/// `GET <API_URL>/notes` with `token` as the bearer token (RFC 6750 §2.1), at the real,
/// running notes API. When nothing answers there, the card says how to start it.
pub async fn call_api(
    ctx: &LabContext<'_>,
    transcript: &mut Transcript,
    token: &str,
) -> Result<HttpResponse, LabError> {
    transcript.secret(token);
    let api_url = &ctx.oauth.settings().api_url;
    transcript
        .send(ctx.oauth.http(), get(&format!("{api_url}/notes"), Some(token))?)
        .await
        .map_err(|error| {
            LabError::new(format!(
                "the notes API does not answer at {api_url} (API_URL): start it with `cargo run` (which starts all three programs) and run the card again ({error})"
            ))
        })
}

/// The deliberately naive ID token check the ID token cards also run against.
pub const NAIVE_ID_TOKEN: CodeRef = code(
    "client/src/lab/naive_id_token.rs",
    "naive_validate_id_token",
);

/// The deliberately naive JWT access token check the access token cards also run against.
pub const NAIVE_ACCESS_TOKEN: CodeRef = code(
    "client/src/lab/naive_access_token.rs",
    "naive_validate_access_token",
);

/// The end of a card that forged one ID token: the client's real check with `jwks` as the
/// provider's keys, then the naive check (`success`: what its acceptance means).
pub fn id_token_attack(
    ctx: &LabContext<'_>,
    mut transcript: Transcript,
    token: &str,
    jwks: &JwkSet,
    nonce: &str,
    success: &str,
) -> (Validation, AttackReport) {
    let (validation, verdict) = check_id_token_for_real(
        ctx,
        &mut transcript,
        token,
        jwks,
        nonce,
        "The attack: the ID token at the client's real check (client/src/oauth/id_token.rs validate)",
    );
    let naive = naive_report(
        ctx,
        &[("The same ID token at the NAIVE check", token)],
        |token| naive_validate_id_token(token, jwks),
        success,
    );
    let report = AttackReport {
        verdict,
        steps: transcript.finish(ctx.oauth.masker()),
        consequences: vec!["No session was made.".into()],
        naive: Some(naive),
    };
    (validation, report)
}

/// The provider, played by the lab for the cards that need a properly signed ID token wrong
/// in one claim: a [`LabKey`] standing in for the provider's (the lab cannot sign with
/// that), the JWK Set the real check is handed as the provider's, and the nonce this
/// browser's login sent.
pub struct StandInProvider {
    pub key: LabKey,
    pub jwks: JwkSet,
    pub nonce: String,
}

impl StandInProvider {
    pub fn generate() -> Result<Self, LabError> {
        let key = LabKey::generate("lab-provider-key")?;
        Ok(Self {
            jwks: key.jwks(),
            key,
            nonce: fresh_nonce(),
        })
    }

    /// An ID token signed with the stand-in key: good claims answering `nonce`
    /// ([`id_token_claims`]), then `spoil` changes one.
    pub fn id_token(
        &self,
        ctx: &LabContext<'_>,
        nonce: &str,
        spoil: impl FnOnce(&mut Value),
    ) -> Result<String, LabError> {
        let mut claims = id_token_claims(ctx, nonce);
        spoil(&mut claims);
        self.key.sign(&self.key.header(None), &claims)
    }

    /// A card's steps for one such token: `token` shown decoded in the setup step `title`,
    /// with `note`, then [`id_token_attack`] with this provider's keys and nonce.
    pub fn attack(
        &self,
        ctx: &LabContext<'_>,
        title: &str,
        token: &str,
        note: &str,
        success: &str,
    ) -> AttackReport {
        let mut transcript = Transcript::new();
        transcript.step(title, StepKind::Setup, vec![decoded(token), note.into()]);
        let (_, report) = id_token_attack(ctx, transcript, token, &self.jwks, &self.nonce, success);
        report
    }
}

/// The end of a card that forged one access token: `GET /notes` with it at the running notes
/// API (which logs `step` when it refuses), then the naive check with the provider's `jwks`.
pub async fn access_token_attack(
    ctx: &LabContext<'_>,
    mut transcript: Transcript,
    token: &str,
    jwks: &JwkSet,
    step: &str,
    refused: &str,
    success: &str,
) -> Result<AttackReport, LabError> {
    let answer = call_api(ctx, &mut transcript, token).await?;
    transcript.step(
        "The attack: GET /notes at the notes API with the forged token",
        kind_of(&answer),
        vec![
            answer_note(&answer),
            format!("The API logs the step that refused it: {step}."),
        ],
    );
    let verdict = verdict_of(
        &answer,
        refused,
        "The notes API ACCEPTED the forged token: the defence did not hold.",
    );
    let naive = naive_report(
        ctx,
        &[("The same token at the NAIVE JWT check", token)],
        |token| naive_validate_access_token(token, jwks),
        success,
    );
    Ok(AttackReport {
        verdict,
        steps: transcript.finish(ctx.oauth.masker()),
        consequences: vec![],
        naive: Some(naive),
    })
}
