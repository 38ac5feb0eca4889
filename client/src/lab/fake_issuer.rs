//! A stand-in authorization server for the lab's access token cards, on 127.0.0.1 with a port
//! the OS chooses, for one card run: its RFC 8414 metadata, a JWK Set (RFC 7517 §5) holding
//! a key the lab made ([`LabKey`]), RFC 7009 revocation and RFC 7662 introspection.
//!
//! Why it exists: some attacks need a JWT access token that is *properly signed* by the
//! issuer and wrong in one claim (`aud` for another API, a past `exp`), or revoked. The lab
//! cannot sign with the provider's key, so it plays the provider here, and the check under
//! attack is the notes API's real one, `api::access_token::validate` (RFC 9068 §4), called
//! in-process and trusting this issuer exactly as the API trusts `AUTH_SERVER`. The cards
//! that need no signature of the issuer's (`alg: none`, algorithm confusion, the attacker's
//! own key, an ID token) go to the running API over HTTP instead.
//!
//! It answers only what a card asks and keeps nothing after [`FakeIssuer::stop`].

use std::collections::HashSet;
use std::sync::Mutex;

use actix_web::dev::ServerHandle;
use actix_web::{App, HttpResponse, HttpServer, web};
use serde_json::{Value, json};
use shared::env::EnvSource;
use shared::jose::{CompactJws, JwkSet};

use crate::lab::LabError;
use crate::lab::forge::LabKey;

/// What the stand-in serves.
struct Served {
    issuer: String,
    jwks: JwkSet,
    /// Tokens revoked at `/revoke`: introspection answers them `active: false`.
    revoked: Mutex<HashSet<String>>,
}

/// A running stand-in authorization server and the key it signs with.
pub struct FakeIssuer {
    /// `http://127.0.0.1:<port>`: its issuer identifier.
    pub issuer: String,
    pub key: LabKey,
    handle: ServerHandle,
}

impl FakeIssuer {
    /// Starts one, publishing a fresh key.
    pub fn start() -> Result<Self, LabError> {
        let key = LabKey::generate("lab-issuer-key")?;
        let listener = std::net::TcpListener::bind("127.0.0.1:0")
            .map_err(|error| LabError::new(format!("no free port on loopback: {error}")))?;
        let issuer = format!(
            "http://{}",
            listener
                .local_addr()
                .map_err(|error| LabError::new(error.to_string()))?
        );
        let served = web::Data::new(Served {
            issuer: issuer.clone(),
            jwks: key.jwks(),
            revoked: Mutex::new(HashSet::new()),
        });
        let server = HttpServer::new(move || {
            App::new()
                .app_data(served.clone())
                .route(
                    "/.well-known/oauth-authorization-server",
                    web::get().to(metadata),
                )
                .route("/jwks", web::get().to(jwks))
                .route("/revoke", web::post().to(revoke))
                .route("/introspect", web::post().to(introspect))
        })
        .workers(1)
        .disable_signals()
        .listen(listener)
        .map_err(|error| LabError::new(format!("the stand-in issuer cannot listen: {error}")))?
        .run();
        let handle = server.handle();
        actix_web::rt::spawn(server);
        Ok(Self {
            issuer,
            key,
            handle,
        })
    }

    /// A URL under the stand-in.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.issuer)
    }

    /// The notes API's real check (RFC 9068 §4), in-process, trusting this issuer as the API
    /// trusts `AUTH_SERVER`, for the resource `audience` (the API's `API_URL`). Answers the
    /// caller it accepted, or the step that refused.
    pub async fn api_validate(
        &self,
        token: &str,
        audience: &str,
    ) -> Result<api::bearer::Caller, String> {
        let env = EnvSource::from_pairs([
            ("AUTH_SERVER", self.issuer.as_str()),
            ("API_URL", audience),
            ("JWKS_REFRESH_FLOOR", "0"),
        ]);
        let settings = api::config::Settings::from_source(&env)
            .map_err(|error| format!("the API's settings: {error}"))?;
        let issuer = api::authorization_server::AuthorizationServer::new(&settings)
            .map_err(|error| error.to_string())?;
        api::access_token::validate(token, &issuer, audience, crate::lab::forge::now())
            .await
            .map_err(|refused| match refused {
                api::access_token::Refused::At(step) => format!("{step:?}"),
                api::access_token::Refused::Unavailable(error) => {
                    format!("the stand-in issuer could not be read: {error}")
                }
            })
    }

    /// Stops the server.
    pub async fn stop(self) {
        self.handle.stop(false).await;
    }
}

async fn metadata(served: web::Data<Served>) -> HttpResponse {
    HttpResponse::Ok().json(json!({
        "issuer": served.issuer,
        "authorization_endpoint": format!("{}/authorize", served.issuer),
        "token_endpoint": format!("{}/token", served.issuer),
        "jwks_uri": format!("{}/jwks", served.issuer),
        "revocation_endpoint": format!("{}/revoke", served.issuer),
        "introspection_endpoint": format!("{}/introspect", served.issuer),
        "response_types_supported": ["code"],
    }))
}

async fn jwks(served: web::Data<Served>) -> HttpResponse {
    HttpResponse::Ok().json(&served.jwks)
}

/// RFC 7009 §2.2: 200 whether or not the token was known.
async fn revoke(served: web::Data<Served>, form: web::Form<Vec<(String, String)>>) -> HttpResponse {
    if let Some((_, token)) = form.iter().find(|(name, _)| name == "token")
        && let Ok(mut revoked) = served.revoked.lock()
    {
        revoked.insert(token.clone());
    }
    HttpResponse::Ok().finish()
}

/// RFC 7662 §2.2: `active: false` for a revoked token; otherwise active, with its claims
/// (the stand-in only ever sees tokens it signed).
async fn introspect(
    served: web::Data<Served>,
    form: web::Form<Vec<(String, String)>>,
) -> HttpResponse {
    let token = form
        .iter()
        .find(|(name, _)| name == "token")
        .map(|(_, token)| token.clone())
        .unwrap_or_default();
    let revoked = served
        .revoked
        .lock()
        .map(|revoked| revoked.contains(&token))
        .unwrap_or(true);
    let claims: Option<Value> = CompactJws::parse(&token)
        .ok()
        .and_then(|jws| jws.claims().ok());
    match claims {
        Some(Value::Object(mut claims)) if !revoked => {
            claims.insert("active".into(), Value::Bool(true));
            HttpResponse::Ok().json(Value::Object(claims))
        }
        _ => HttpResponse::Ok().json(json!({"active": false})),
    }
}

/// Runs the API's real check on `token` in-process ([`FakeIssuer::api_validate`]) and
/// records it as the step `title`; answers the verdict (the 401 `invalid_token` the API
/// would send, with the step that refused, which the API logs and never sends).
pub async fn check_at_api_for_real(
    fake: &FakeIssuer,
    transcript: &mut crate::lab::transcript::Transcript,
    token: &str,
    audience: &str,
    title: &str,
) -> crate::lab::cards::Verdict {
    use crate::lab::transcript::StepKind;
    transcript.secret(token);
    match fake.api_validate(token, audience).await {
        Ok(caller) => {
            transcript.step(
                title,
                StepKind::Accepted,
                vec![format!(
                    "ACCEPTED by api/src/access_token.rs validate: sub {}, scopes {}",
                    caller.sub,
                    caller.scopes.join(" ")
                )],
            );
            crate::lab::cards::Verdict {
                refused: false,
                status: Some(200),
                code: None,
                description: None,
                summary: "The notes API's JWT check accepted the token.".into(),
            }
        }
        Err(step) => {
            let detail = format!(
                "refused at step {step} of api/src/access_token.rs validate; the API answers 401 invalid_token and logs the step"
            );
            transcript.step(title, StepKind::Refused, vec![detail.clone()]);
            crate::lab::cards::Verdict {
                refused: true,
                status: Some(401),
                code: Some("invalid_token".into()),
                description: Some(detail),
                summary: format!("The notes API's JWT check refused it at step {step}."),
            }
        }
    }
}

/// The end of a card that signed one access token with the stand-in: the API's real check,
/// the stand-in stopped, then the naive check with the stand-in's keys.
pub async fn stand_in_attack(
    ctx: &crate::lab::harness::LabContext<'_>,
    mut transcript: crate::lab::transcript::Transcript,
    fake: FakeIssuer,
    token: &str,
    success: &str,
) -> crate::lab::cards::AttackReport {
    let api_url = ctx.oauth.settings().api_url.clone();
    let verdict = check_at_api_for_real(
        &fake,
        &mut transcript,
        token,
        &api_url,
        "The attack: the token at the notes API's real check (api/src/access_token.rs validate)",
    )
    .await;
    let jwks = fake.key.jwks();
    fake.stop().await;
    let naive = crate::lab::forge::naive_report(
        ctx,
        &[("The same token at the NAIVE JWT check", token)],
        |token| crate::lab::naive_access_token::naive_validate_access_token(token, &jwks),
        success,
    );
    crate::lab::cards::AttackReport {
        verdict,
        steps: transcript.finish(ctx.oauth.masker()),
        consequences: vec![],
        naive: Some(naive),
    }
}
