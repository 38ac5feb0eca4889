//! Test harness: a fake authorization server (RFC 8414 metadata, a JWK Set, RFC 7662
//! introspection) on 127.0.0.1:0 that signs tokens with keys ring generates, and the real
//! API on 127.0.0.1:0 pointed at it.

#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use api::config::Settings;
use api::startup::Application;
use reqwest::StatusCode;
use ring::rand::SystemRandom;
use ring::signature::{
    ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, Ed25519KeyPair, KeyPair, RSA_PKCS1_SHA256,
    RsaKeyPair, RsaPublicKeyComponents,
};
use serde_json::{Value, json};
use shared::env::EnvSource;
use shared::jose::{Jwk, JwkSet, base64url_encode};

/// The API's introspection credentials in these tests.
pub const API_CLIENT_ID: &str = "notes-api";
pub const API_CLIENT_SECRET: &str = "notes-api-secret";

/// A signing key of the fake authorization server (or of an attacker).
pub enum Signer {
    Rs256 { kid: String, pair: RsaKeyPair },
    Es256 { kid: String, pair: EcdsaKeyPair },
    EdDsa { kid: String, pair: Ed25519KeyPair },
}

/// A 2048-bit RSA key for tests only, PKCS#8 DER (ring makes EC and Ed25519 keys, not RSA
/// ones). Made with `openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -outform DER`,
/// then `openssl pkcs8 -topk8 -nocrypt -inform DER -outform DER` (ring reads PKCS#8 only).
const RS256_TEST_ONLY_PKCS8: &[u8] = include_bytes!("../fixtures/rs256-test-only.pk8");

impl Signer {
    pub fn rs256(kid: &str) -> Self {
        let pair = RsaKeyPair::from_pkcs8(RS256_TEST_ONLY_PKCS8).expect("the fixture parses");
        Signer::Rs256 {
            kid: kid.into(),
            pair,
        }
    }

    pub fn es256(kid: &str) -> Self {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
            .expect("ring makes P-256 keys");
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng)
            .expect("its own PKCS#8 parses");
        Signer::Es256 {
            kid: kid.into(),
            pair,
        }
    }

    pub fn ed25519(kid: &str) -> Self {
        let pkcs8 = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).expect("ring makes keys");
        let pair = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).expect("its own PKCS#8 parses");
        Signer::EdDsa {
            kid: kid.into(),
            pair,
        }
    }

    pub fn kid(&self) -> &str {
        match self {
            Signer::Rs256 { kid, .. } | Signer::Es256 { kid, .. } | Signer::EdDsa { kid, .. } => {
                kid
            }
        }
    }

    pub fn alg(&self) -> &'static str {
        match self {
            Signer::Rs256 { .. } => "RS256",
            Signer::Es256 { .. } => "ES256",
            Signer::EdDsa { .. } => "EdDSA",
        }
    }

    /// The public key as a JWK, as a JWK Set publishes it.
    pub fn jwk(&self) -> Jwk {
        match self {
            Signer::Rs256 { kid, pair } => {
                let public = RsaPublicKeyComponents::<Vec<u8>>::from(pair.public());
                Jwk {
                    kty: "RSA".into(),
                    kid: Some(kid.clone()),
                    use_: Some("sig".into()),
                    alg: Some("RS256".into()),
                    n: Some(base64url_encode(&public.n)),
                    e: Some(base64url_encode(&public.e)),
                    ..Jwk::default()
                }
            }
            Signer::Es256 { kid, pair } => {
                // The uncompressed point: 0x04 || x || y.
                let point = pair.public_key().as_ref();
                Jwk {
                    kty: "EC".into(),
                    kid: Some(kid.clone()),
                    use_: Some("sig".into()),
                    alg: Some("ES256".into()),
                    crv: Some("P-256".into()),
                    x: Some(base64url_encode(&point[1..33])),
                    y: Some(base64url_encode(&point[33..65])),
                    ..Jwk::default()
                }
            }
            Signer::EdDsa { kid, pair } => Jwk {
                kty: "OKP".into(),
                kid: Some(kid.clone()),
                use_: Some("sig".into()),
                alg: Some("EdDSA".into()),
                crv: Some("Ed25519".into()),
                x: Some(base64url_encode(pair.public_key().as_ref())),
                ..Jwk::default()
            },
        }
    }

    /// A compact JWS of `header` and `claims`, signed with this key.
    pub fn sign(&self, header: &Value, claims: &Value) -> String {
        let input = format!(
            "{}.{}",
            base64url_encode(header.to_string()),
            base64url_encode(claims.to_string())
        );
        let signature = match self {
            Signer::Rs256 { pair, .. } => {
                let mut signature = vec![0; pair.public().modulus_len()];
                pair.sign(
                    &RSA_PKCS1_SHA256,
                    &SystemRandom::new(),
                    input.as_bytes(),
                    &mut signature,
                )
                .expect("RSA signing works");
                signature
            }
            Signer::Es256 { pair, .. } => pair
                .sign(&SystemRandom::new(), input.as_bytes())
                .expect("ECDSA signing works")
                .as_ref()
                .to_vec(),
            Signer::EdDsa { pair, .. } => pair.sign(input.as_bytes()).as_ref().to_vec(),
        };
        format!("{input}.{}", base64url_encode(signature))
    }

    /// The usual access-token header: `typ` `at+jwt`, this key's `alg` and `kid`.
    pub fn header(&self) -> Value {
        json!({"typ": "at+jwt", "alg": self.alg(), "kid": self.kid()})
    }
}

/// Seconds since the Unix epoch.
pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_secs()
}

/// What the fake authorization server serves and counts.
#[derive(Default)]
pub struct FakeState {
    pub issuer: String,
    pub jwks: Mutex<JwkSet>,
    pub jwks_fetches: AtomicUsize,
    /// A JWK Set an attacker hosts: the API must never fetch it.
    pub attacker_jwks: Mutex<JwkSet>,
    pub attacker_fetches: AtomicUsize,
    /// Opaque token → introspection answer.
    pub introspection: Mutex<HashMap<String, Value>>,
    pub introspections: AtomicUsize,
    /// The `issuer` the metadata names, when not the server's own (a misconfigured or
    /// impersonating provider).
    pub metadata_issuer: Mutex<Option<String>>,
}

/// A running fake authorization server.
pub struct FakeAuthorizationServer {
    pub issuer: String,
    pub state: Arc<FakeState>,
    pub signer: Signer,
}

impl FakeAuthorizationServer {
    /// Publishes one more key in the JWK Set.
    pub fn publish(&self, jwk: Jwk) {
        self.state.jwks.lock().expect("not poisoned").keys.push(jwk);
    }

    /// Claims of a good access token for `audience`, subject `sub`, with `scope`.
    pub fn claims(&self, audience: &str, sub: &str, scope: &str) -> Value {
        let now = now();
        json!({
            "iss": self.issuer,
            "exp": now + 300,
            "aud": audience,
            "sub": sub,
            "client_id": "testclient",
            "iat": now,
            "jti": format!("jti-{sub}-{now}"),
            "scope": scope,
        })
    }

    /// A good access token signed with the server's key.
    pub fn token(&self, audience: &str, sub: &str, scope: &str) -> String {
        self.signer
            .sign(&self.signer.header(), &self.claims(audience, sub, scope))
    }

    /// Registers an opaque token's introspection answer.
    pub fn answer_introspection(&self, token: &str, answer: Value) {
        self.state
            .introspection
            .lock()
            .expect("not poisoned")
            .insert(token.into(), answer);
    }
}

async fn metadata(fake: web::Data<FakeState>) -> HttpResponse {
    let issuer = fake
        .metadata_issuer
        .lock()
        .expect("not poisoned")
        .clone()
        .unwrap_or_else(|| fake.issuer.clone());
    HttpResponse::Ok().json(json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{}/oauth/authorize", fake.issuer),
        "token_endpoint": format!("{}/oauth/token", fake.issuer),
        "jwks_uri": format!("{}/jwks", fake.issuer),
        "introspection_endpoint": format!("{}/oauth/introspect", fake.issuer),
        "response_types_supported": ["code"],
    }))
}

async fn jwks(fake: web::Data<FakeState>) -> HttpResponse {
    fake.jwks_fetches.fetch_add(1, Ordering::SeqCst);
    let keys = fake.jwks.lock().expect("not poisoned").clone();
    HttpResponse::Ok().json(keys)
}

async fn attacker_jwks(fake: web::Data<FakeState>) -> HttpResponse {
    fake.attacker_fetches.fetch_add(1, Ordering::SeqCst);
    let keys = fake.attacker_jwks.lock().expect("not poisoned").clone();
    HttpResponse::Ok().json(keys)
}

/// RFC 7662: only the API's own credentials get an answer.
async fn introspect(
    req: HttpRequest,
    fake: web::Data<FakeState>,
    form: web::Form<HashMap<String, String>>,
) -> HttpResponse {
    fake.introspections.fetch_add(1, Ordering::SeqCst);
    let expected = format!(
        "Basic {}",
        base64_standard(&format!("{API_CLIENT_ID}:{API_CLIENT_SECRET}"))
    );
    let authorized = req
        .headers()
        .get("authorization")
        .and_then(|value| value.to_str().ok())
        == Some(expected.as_str());
    if !authorized {
        return HttpResponse::Unauthorized().json(json!({"error": "invalid_client"}));
    }
    let token = form.get("token").cloned().unwrap_or_default();
    let answer = fake
        .introspection
        .lock()
        .expect("not poisoned")
        .get(&token)
        .cloned()
        .unwrap_or_else(|| json!({"active": false}));
    HttpResponse::Ok().json(answer)
}

/// Standard base64 with padding, for a Basic header (RFC 7617).
fn base64_standard(text: &str) -> String {
    let unpadded = base64url_encode(text).replace('-', "+").replace('_', "/");
    let padding = (4 - unpadded.len() % 4) % 4;
    unpadded + &"=".repeat(padding)
}

/// Where the fake authorization server publishes its metadata.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetadataAt {
    /// RFC 8414 §3: `/.well-known/oauth-authorization-server` only.
    Oauth,
    /// OpenID Connect Discovery 1.0 §4: `/.well-known/openid-configuration` only (the other
    /// is 404).
    OpenId,
}

impl MetadataAt {
    fn path(self) -> &'static str {
        match self {
            MetadataAt::Oauth => "/.well-known/oauth-authorization-server",
            MetadataAt::OpenId => "/.well-known/openid-configuration",
        }
    }
}

/// Starts the fake authorization server, its JWK Set holding `signer`'s key.
pub async fn spawn_authorization_server(signer: Signer) -> FakeAuthorizationServer {
    spawn_authorization_server_with_metadata_at(signer, MetadataAt::Oauth).await
}

/// As [`spawn_authorization_server`], publishing its metadata only `at`.
pub async fn spawn_authorization_server_with_metadata_at(
    signer: Signer,
    at: MetadataAt,
) -> FakeAuthorizationServer {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port on loopback");
    let issuer = format!("http://{}", listener.local_addr().expect("bound"));
    let state = Arc::new(FakeState {
        issuer: issuer.clone(),
        jwks: Mutex::new(JwkSet {
            keys: vec![signer.jwk()],
        }),
        ..FakeState::default()
    });
    let data = web::Data::from(state.clone());
    let server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .route(at.path(), web::get().to(metadata))
            .route("/jwks", web::get().to(jwks))
            .route("/attacker/jwks", web::get().to(attacker_jwks))
            .route("/oauth/introspect", web::post().to(introspect))
    })
    .workers(1)
    .disable_signals()
    .listen(listener)
    .expect("the fake authorization server listens")
    .run();
    tokio::spawn(server);
    FakeAuthorizationServer {
        issuer,
        state,
        signer,
    }
}

/// The API under test.
pub struct TestApi {
    /// `API_URL`: its resource identifier and address.
    pub url: String,
    pub http: reqwest::Client,
    pub app: actix_web::web::Data<api::app_state::AppState>,
}

/// The API, pointed at `issuer`, with extra settings over the test defaults.
pub async fn spawn_api(issuer: &str, pairs: &[(&str, &str)]) -> TestApi {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port on loopback");
    let url = format!("http://{}", listener.local_addr().expect("bound"));
    let mut env = EnvSource::from_pairs([
        ("API_URL", url.as_str()),
        ("AUTH_SERVER", issuer),
        ("API_CLIENT_ID", API_CLIENT_ID),
        ("API_CLIENT_SECRET", API_CLIENT_SECRET),
        ("JWKS_REFRESH_FLOOR", "0"),
    ]);
    for (key, value) in pairs {
        env.set(*key, *value);
    }
    let settings = Settings::from_source(&env).expect("test settings are valid");
    let server = Application::from_listener(settings, listener).expect("the API starts");
    let app = server.app();
    tokio::spawn(server.run_until_stopped());
    TestApi {
        url,
        http: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("a client"),
        app,
    }
}

/// A fake authorization server with an ES256 key, and the API pointed at it.
pub async fn spawn_both() -> (FakeAuthorizationServer, TestApi) {
    let issuer = spawn_authorization_server(Signer::es256("key-1")).await;
    let api = spawn_api(&issuer.issuer, &[]).await;
    (issuer, api)
}

impl TestApi {
    pub async fn list_notes(&self, token: &str) -> reqwest::Response {
        self.http
            .get(format!("{}/notes", self.url))
            .bearer_auth(token)
            .send()
            .await
            .expect("the API answers")
    }

    pub async fn add_note(&self, token: &str, text: &str) -> reqwest::Response {
        self.http
            .post(format!("{}/notes", self.url))
            .bearer_auth(token)
            .json(&json!({ "text": text }))
            .send()
            .await
            .expect("the API answers")
    }

    /// The `resource_metadata` challenge every 401 starts with.
    pub fn challenge(&self) -> String {
        format!(
            "Bearer resource_metadata=\"{}/.well-known/oauth-protected-resource\"",
            self.url
        )
    }

    /// Asserts `token` is refused at `GET /notes` with 401 `invalid_token` and the RFC 9728
    /// challenge.
    pub async fn assert_refused(&self, token: &str) {
        let response = self.list_notes(token).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(
            www_authenticate(&response),
            format!("{}, error=\"invalid_token\"", self.challenge())
        );
        let body: Value = response.json().await.expect("a JSON error body");
        assert_eq!(body["error"], "invalid_token");
    }
}

/// The `WWW-Authenticate` header, or "" when there is none.
pub fn www_authenticate(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("www-authenticate")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}
