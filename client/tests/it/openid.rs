//! OpenID Connect on the client (Core 1.0 §3.1): against an OpenID Provider, the client asks
//! for `openid` with a `nonce`, checks the ID token of the token response (§3.1.3.7) and
//! signs in as its `iss` + `sub`; an ID token that fails a check gives the error page naming
//! the check, and no signed-in session.
//!
//! The OpenID Provider is a fake one written here (actix on 127.0.0.1:0): discovery with a
//! `jwks_uri`, an authorization endpoint that redirects straight back with a code and the
//! `state`, a token endpoint that answers an access token and an ID token signed with an
//! ES256 key this test generated, echoing the `nonce` it received at `/authorize` (and a new
//! ID token for a refresh, Core §12.2), and a UserInfo endpoint (Core §5.3). Each test chooses
//! how the ID token or the UserInfo answer is spoiled.

use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use actix_web::{App, HttpResponse, HttpServer, web};
use reqwest::StatusCode;
use ring::rand::SystemRandom;
use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair};
use serde_json::{Value, json};
use shared::jose::base64url_encode;

use testkit::{Browser, Page, query_param, spawn_client_on};

const CLIENT_ID: &str = "rp-under-test";
const ACCESS_TOKEN: &str = "an-access-token-from-the-fake-op";
const REFRESHED_ACCESS_TOKEN: &str = "a-refreshed-access-token-from-the-fake-op";
const SUBJECT: &str = "user-7f3a";
/// The `name` UserInfo gives the signed-in user.
const NAME: &str = "Ada Lovelace";

/// How the fake provider spoils the ID token it issues.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Spoil {
    Nothing,
    WrongNonce,
    WrongAudience,
    AlgNone,
    UnknownKid,
    Expired,
    BadAtHash,
    /// No `id_token` in the token response, though the request asked for `openid`.
    NoIdToken,
    /// Signed with a key published only from the second JWK Set fetch on (a rotation).
    RotatedKey,
    /// UserInfo answers for another `sub` (a substituted access token, Core §5.3.4).
    UserInfoOtherSubject,
    /// UserInfo answers 503.
    UserInfoDown,
    /// The ID token of a refresh names another `sub` than the login's (Core §12.2).
    RefreshOtherSubject,
}

struct FakeOp {
    issuer: String,
    key: EcdsaKeyPair,
    spoil: Spoil,
    /// The `nonce` of the last authorization request.
    nonce: Mutex<Option<String>>,
    jwks_fetches: AtomicUsize,
    /// When the user "signed in": the `auth_time` of every ID token, refreshed ones too
    /// (Core §12.2).
    auth_time: u64,
    /// The query of the last request to the end_session_endpoint.
    logout: Mutex<Vec<(String, String)>>,
}

impl FakeOp {
    fn jwk(&self, kid: &str) -> Value {
        let public = self.key.public_key().as_ref();
        json!({
            "kty": "EC", "crv": "P-256", "kid": kid, "use": "sig", "alg": "ES256",
            "x": base64url_encode(&public[1..33]), "y": base64url_encode(&public[33..65]),
        })
    }

    fn id_token(&self, access_token: &str, refreshed: bool) -> String {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("after 1970")
            .as_secs();
        let digest = ring::digest::digest(&ring::digest::SHA256, access_token.as_bytes());
        let mut claims = json!({
            "iss": self.issuer, "sub": SUBJECT, "aud": CLIENT_ID, "azp": CLIENT_ID,
            "exp": now + 300, "iat": now, "auth_time": self.auth_time,
            "nonce": self.nonce.lock().expect("not poisoned").clone(),
            "at_hash": base64url_encode(&digest.as_ref()[..16]),
        });
        let mut header = json!({"alg": "ES256", "kid": "k1", "typ": "JWT"});
        match self.spoil {
            Spoil::Nothing
            | Spoil::NoIdToken
            | Spoil::UserInfoOtherSubject
            | Spoil::UserInfoDown => {}
            Spoil::RefreshOtherSubject => {
                if refreshed {
                    claims["sub"] = json!("someone-else");
                }
            }
            Spoil::WrongNonce => claims["nonce"] = json!("a-nonce-from-another-login"),
            Spoil::WrongAudience => {
                claims["aud"] = json!("another-client");
                claims["azp"] = json!("another-client");
            }
            Spoil::AlgNone => header = json!({"alg": "none", "kid": "k1"}),
            Spoil::UnknownKid => header["kid"] = json!("never-published"),
            Spoil::Expired => {
                claims["exp"] = json!(now - 3600);
                claims["iat"] = json!(now - 7200);
            }
            Spoil::BadAtHash => {
                let other = ring::digest::digest(&ring::digest::SHA256, b"another-token");
                claims["at_hash"] = json!(base64url_encode(&other.as_ref()[..16]));
            }
            Spoil::RotatedKey => header["kid"] = json!("k2"),
        }
        let input = format!(
            "{}.{}",
            base64url_encode(header.to_string()),
            base64url_encode(claims.to_string())
        );
        if self.spoil == Spoil::AlgNone {
            return format!("{input}.");
        }
        let signature = self
            .key
            .sign(&SystemRandom::new(), input.as_bytes())
            .expect("signed");
        format!("{input}.{}", base64url_encode(signature.as_ref()))
    }
}

/// The fake OpenID Provider, and the real client using it. Answers the client's base URL.
async fn spawn_fake_op_and_client(spoil: Spoil) -> (String, Arc<FakeOp>) {
    let op_listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
    let client_listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
    let issuer = format!("http://{}", op_listener.local_addr().expect("bound"));
    let client = format!("http://{}", client_listener.local_addr().expect("bound"));
    let rng = SystemRandom::new();
    let pkcs8 =
        EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).expect("a key");
    let key = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng)
        .expect("a key");
    let op = Arc::new(FakeOp {
        issuer: issuer.clone(),
        key,
        spoil,
        nonce: Mutex::new(None),
        jwks_fetches: AtomicUsize::new(0),
        auth_time: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("after 1970")
            .as_secs(),
        logout: Mutex::new(Vec::new()),
    });
    let data = web::Data::from(Arc::clone(&op));
    let server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .route(
                "/.well-known/openid-configuration",
                web::get().to(|op: web::Data<FakeOp>| async move {
                    let issuer = &op.issuer;
                    HttpResponse::Ok().json(json!({
                        "issuer": issuer,
                        "authorization_endpoint": format!("{issuer}/authorize"),
                        "token_endpoint": format!("{issuer}/token"),
                        "jwks_uri": format!("{issuer}/jwks"),
                        "userinfo_endpoint": format!("{issuer}/userinfo"),
                        "end_session_endpoint": format!("{issuer}/end-session"),
                        "scopes_supported": ["openid", "profile", "email"],
                        "response_types_supported": ["code"],
                        "subject_types_supported": ["public"],
                        "id_token_signing_alg_values_supported": ["ES256"],
                        "code_challenge_methods_supported": ["S256"],
                    }))
                }),
            )
            .route(
                "/authorize",
                web::get().to(
                    |op: web::Data<FakeOp>, query: web::Query<Vec<(String, String)>>| async move {
                        let param = |name: &str| {
                            query
                                .iter()
                                .find(|(key, _)| key == name)
                                .map(|(_, value)| value.clone())
                        };
                        *op.nonce.lock().expect("not poisoned") = param("nonce");
                        let mut back =
                            url::Url::parse(&param("redirect_uri").expect("a redirect_uri"))
                                .expect("a URL");
                        back.query_pairs_mut()
                            .append_pair("code", "a-code")
                            .append_pair("state", &param("state").expect("a state"));
                        HttpResponse::SeeOther()
                            .insert_header(("Location", back.as_str()))
                            .finish()
                    },
                ),
            )
            .route(
                "/token",
                web::post().to(
                    |op: web::Data<FakeOp>, form: web::Form<Vec<(String, String)>>| async move {
                        let refreshed = form
                            .iter()
                            .any(|(key, value)| key == "grant_type" && value == "refresh_token");
                        let access = if refreshed {
                            REFRESHED_ACCESS_TOKEN
                        } else {
                            ACCESS_TOKEN
                        };
                        let mut answer = json!({
                            "access_token": access,
                            "token_type": "Bearer",
                            "expires_in": 3600,
                            "refresh_token": "a-refresh-token-from-the-fake-op",
                            "scope": "openid profile email",
                            "id_token": op.id_token(access, refreshed),
                        });
                        if op.spoil == Spoil::NoIdToken {
                            answer
                                .as_object_mut()
                                .expect("an object")
                                .remove("id_token");
                        }
                        HttpResponse::Ok()
                            .insert_header(("Cache-Control", "no-store"))
                            .json(answer)
                    },
                ),
            )
            .route(
                "/end-session",
                web::get().to(
                    |op: web::Data<FakeOp>, query: web::Query<Vec<(String, String)>>| async move {
                        let query = query.into_inner();
                        let param = |name: &str| {
                            query
                                .iter()
                                .find(|(key, _)| key == name)
                                .map(|(_, value)| value.clone())
                                .unwrap_or_default()
                        };
                        let mut back =
                            url::Url::parse(&param("post_logout_redirect_uri")).expect("a URL");
                        back.query_pairs_mut().append_pair("state", &param("state"));
                        *op.logout.lock().expect("not poisoned") = query;
                        HttpResponse::SeeOther()
                            .insert_header(("Location", back.as_str()))
                            .finish()
                    },
                ),
            )
            .route(
                "/userinfo",
                web::get().to(
                    |op: web::Data<FakeOp>, request: actix_web::HttpRequest| async move {
                        let bearer = request
                            .headers()
                            .get("authorization")
                            .and_then(|value| value.to_str().ok())
                            .unwrap_or_default();
                        if ![ACCESS_TOKEN, REFRESHED_ACCESS_TOKEN]
                            .iter()
                            .any(|token| bearer == format!("Bearer {token}"))
                        {
                            return HttpResponse::Unauthorized()
                                .insert_header((
                                    "WWW-Authenticate",
                                    "Bearer error=\"invalid_token\"",
                                ))
                                .finish();
                        }
                        match op.spoil {
                            Spoil::UserInfoDown => HttpResponse::ServiceUnavailable().finish(),
                            Spoil::UserInfoOtherSubject => HttpResponse::Ok()
                                .json(json!({"sub": "someone-else", "name": "Mallory"})),
                            _ => HttpResponse::Ok().json(json!({
                                "sub": SUBJECT, "name": NAME, "email": "ada@example.org",
                                "email_verified": true,
                            })),
                        }
                    },
                ),
            )
            .route(
                "/jwks",
                web::get().to(|op: web::Data<FakeOp>| async move {
                    let fetch = op.jwks_fetches.fetch_add(1, Ordering::SeqCst);
                    let mut keys = vec![op.jwk("k1")];
                    if op.spoil == Spoil::RotatedKey && fetch > 0 {
                        keys.push(op.jwk("k2"));
                    }
                    HttpResponse::Ok().json(json!({ "keys": keys }))
                }),
            )
    })
    .workers(1)
    .listen(op_listener)
    .expect("listens")
    .run();
    tokio::spawn(server);
    spawn_client_on(client_listener, &issuer, &[("CLIENT_ID", CLIENT_ID)]);
    (client, op)
}

/// `/login` → the fake provider's `/authorize` → `/callback`: the callback's answer.
async fn log_in(browser: &Browser, client: &str) -> Page {
    let login = browser.get(&format!("{client}/login")).await;
    let authorize = login.redirect_target(StatusCode::SEE_OTHER);
    assert_eq!(
        query_param(&authorize, "scope").as_deref(),
        Some("profile:read teams:read openid profile email"),
        "openid and the offered claim scopes are asked for"
    );
    assert!(
        query_param(&authorize, "nonce").is_some_and(|nonce| nonce.len() >= 22),
        "a nonce of 16 random bytes goes with the request: {authorize}"
    );
    let back = browser.get(&authorize).await;
    browser
        .get(&back.redirect_target(StatusCode::SEE_OTHER))
        .await
}

/// A spoiled ID token: the callback's error page names `check`, and the home page is the
/// signed-out one.
async fn assert_refused_at(spoil: Spoil, check: &str) {
    let (client, _op) = spawn_fake_op_and_client(spoil).await;
    let browser = Browser::new();
    let callback = log_in(&browser, &client).await;
    assert_eq!(
        callback.status,
        StatusCode::BAD_REQUEST,
        "{}",
        callback.body
    );
    callback.assert_contains(&format!("The ID token failed the '{check}' check"));
    callback.assert_contains("Nothing from this login was kept");
    let home = browser.get(&format!("{client}/")).await;
    assert!(
        !home.body.contains("<h1>Signed in") && !home.body.contains(SUBJECT),
        "no signed-in session after a refused ID token:\n{}",
        home.body
    );
    home.assert_contains("href=\"/login\"");
}

#[tokio::test]
async fn a_good_id_token_signs_in_and_the_page_shows_its_iss_and_sub() {
    let (client, op) = spawn_fake_op_and_client(Spoil::Nothing).await;
    let browser = Browser::new();
    let callback = log_in(&browser, &client).await;
    assert_eq!(
        callback.redirect_target(StatusCode::SEE_OTHER),
        format!("{client}/")
    );
    let home = browser.get(&format!("{client}/")).await;
    home.assert_contains("<h1>Signed in");
    home.assert_contains("Who you are");
    home.assert_contains("from the ID token");
    home.assert_contains(SUBJECT);
    home.assert_contains(&op.issuer);
    assert_eq!(
        op.jwks_fetches.load(Ordering::SeqCst),
        1,
        "the JWK Set is fetched once"
    );

    // The inspector shows the ID token decoded and every check, with its function.
    let flow = browser.get(&format!("{client}/flow")).await;
    flow.assert_contains("ID token: checked before it says who signed in");
    flow.assert_contains("\"sub\":\"user-7f3a\"");
    flow.assert_contains("nonce: nonce matches the one this login sent");
    flow.assert_contains("client/src/oauth/id_token.rs check_at_hash");
    flow.assert_contains("signature: ••••••••");
}

#[tokio::test]
async fn an_id_token_with_another_logins_nonce_is_refused_at_the_nonce_check() {
    assert_refused_at(Spoil::WrongNonce, "nonce").await;
}

#[tokio::test]
async fn an_id_token_issued_to_another_client_is_refused_at_the_aud_check() {
    assert_refused_at(Spoil::WrongAudience, "aud").await;
}

#[tokio::test]
async fn an_unsigned_id_token_alg_none_is_refused_at_the_alg_check() {
    assert_refused_at(Spoil::AlgNone, "alg").await;
}

#[tokio::test]
async fn an_expired_id_token_is_refused_at_the_exp_check() {
    assert_refused_at(Spoil::Expired, "exp").await;
}

#[tokio::test]
async fn an_id_token_whose_at_hash_is_of_another_access_token_is_refused() {
    assert_refused_at(Spoil::BadAtHash, "at_hash").await;
}

#[tokio::test]
async fn a_token_response_without_an_id_token_to_an_openid_request_is_refused() {
    assert_refused_at(Spoil::NoIdToken, "id_token").await;
}

#[tokio::test]
async fn an_unknown_kid_fetches_the_jwk_set_once_more_then_is_refused_at_the_kid_check() {
    let (client, op) = spawn_fake_op_and_client(Spoil::UnknownKid).await;
    let browser = Browser::new();
    let callback = log_in(&browser, &client).await;
    callback.assert_contains("The ID token failed the 'kid' check");
    assert_eq!(
        op.jwks_fetches.load(Ordering::SeqCst),
        2,
        "the cached keys, then one fresh fetch"
    );
    let home = browser.get(&format!("{client}/")).await;
    assert!(!home.body.contains(SUBJECT), "{}", home.body);
}

#[tokio::test]
async fn a_key_rotated_in_after_the_keys_were_cached_is_found_by_the_second_fetch() {
    let (client, op) = spawn_fake_op_and_client(Spoil::RotatedKey).await;
    let browser = Browser::new();
    let callback = log_in(&browser, &client).await;
    assert_eq!(callback.status, StatusCode::SEE_OTHER, "{}", callback.body);
    assert_eq!(op.jwks_fetches.load(Ordering::SeqCst), 2);
    browser
        .get(&format!("{client}/"))
        .await
        .assert_contains(SUBJECT);
}

#[tokio::test]
async fn logout_ends_the_providers_session_at_its_end_session_endpoint_with_the_id_token_hint() {
    let (client, op) = spawn_fake_op_and_client(Spoil::Nothing).await;
    let browser = Browser::new();
    log_in(&browser, &client).await;
    let home = browser.get(&format!("{client}/")).await;
    let csrf_token = home.hidden("csrf_token");

    let out = browser
        .post(&format!("{client}/logout"), &[("csrf_token", &csrf_token)])
        .await;
    let end_session = out.redirect_target(StatusCode::SEE_OTHER);
    assert!(
        end_session.starts_with(&format!("{}/end-session?", op.issuer)),
        "{end_session}"
    );
    let back = browser.get(&end_session).await;
    let sent = op.logout.lock().expect("not poisoned").clone();
    let sent = |name: &str| {
        sent.iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.clone())
    };
    let hint = sent("id_token_hint").expect("an id_token_hint");
    assert_eq!(
        hint.split('.').count(),
        3,
        "the ID token of the login: {hint}"
    );
    assert_eq!(sent("client_id").as_deref(), Some(CLIENT_ID));
    assert_eq!(
        sent("post_logout_redirect_uri"),
        Some(format!("{client}/logged-out"))
    );
    assert!(sent("state").is_some_and(|state| state.len() >= 22));

    let logged_out = back.redirect_target(StatusCode::SEE_OTHER);
    let returned = browser.get(&logged_out).await;
    let home = browser
        .get(&returned.redirect_target(StatusCode::SEE_OTHER))
        .await;
    home.assert_contains("Signed out, here and at the provider");
    assert!(!home.body.contains(SUBJECT), "{}", home.body);

    // The same return again is not the answer to a logout this browser started.
    let replayed = browser.get(&logged_out).await;
    let home = browser
        .get(&replayed.redirect_target(StatusCode::SEE_OTHER))
        .await;
    home.assert_contains("Back from a logout this browser did not start");
}

#[tokio::test]
async fn the_signed_in_page_shows_the_claims_userinfo_gives_for_the_id_tokens_sub() {
    let (client, _op) = spawn_fake_op_and_client(Spoil::Nothing).await;
    let browser = Browser::new();
    log_in(&browser, &client).await;
    let home = browser.get(&format!("{client}/")).await;
    home.assert_contains(&format!("<h1>Signed in as {NAME}"));
    home.assert_contains("Your claims");
    home.assert_contains("ada@example.org");
    let flow = browser.get(&format!("{client}/flow")).await;
    flow.assert_contains("UserInfo: the signed-in user's claims");
    flow.assert_contains("is the ID token's: the claims are used");
}

#[tokio::test]
async fn userinfo_for_another_sub_is_refused_and_its_claims_are_not_shown() {
    let (client, _op) = spawn_fake_op_and_client(Spoil::UserInfoOtherSubject).await;
    let browser = Browser::new();
    log_in(&browser, &client).await;
    let home = browser.get(&format!("{client}/")).await;
    assert_eq!(home.status, StatusCode::OK, "{}", home.body);
    home.assert_contains("the answer is about someone else, so its claims are not shown");
    home.assert_contains(SUBJECT);
    assert!(
        !home.body.contains("Mallory"),
        "another user's claims must not reach the page:\n{}",
        home.body
    );
}

#[tokio::test]
async fn userinfo_down_leaves_the_signed_in_page_up_and_says_so() {
    let (client, _op) = spawn_fake_op_and_client(Spoil::UserInfoDown).await;
    let browser = Browser::new();
    log_in(&browser, &client).await;
    let home = browser.get(&format!("{client}/")).await;
    assert_eq!(home.status, StatusCode::OK, "{}", home.body);
    home.assert_contains("<h1>Signed in");
    home.assert_contains("UserInfo answered HTTP 503");
    home.assert_contains(SUBJECT);
}

/// Signed in, then the home page's refresh form: the page the refresh leads to (an error
/// page is shown as is, a redirect followed).
async fn log_in_and_refresh(browser: &Browser, client: &str) -> Page {
    log_in(browser, client).await;
    let home = browser.get(&format!("{client}/")).await;
    home.assert_contains(SUBJECT);
    let done = browser
        .post(
            &format!("{client}/refresh"),
            &[("csrf_token", &home.hidden("csrf_token"))],
        )
        .await;
    assert_ne!(
        done.status,
        StatusCode::INTERNAL_SERVER_ERROR,
        "{}",
        done.body
    );
    if done.status == StatusCode::SEE_OTHER {
        browser
            .get(&done.redirect_target(StatusCode::SEE_OTHER))
            .await
    } else {
        done
    }
}

#[tokio::test]
async fn a_refreshed_id_token_for_the_same_user_is_accepted_and_shown_in_the_inspector() {
    let (client, _op) = spawn_fake_op_and_client(Spoil::Nothing).await;
    let browser = Browser::new();
    let home = log_in_and_refresh(&browser, &client).await;
    home.assert_contains("1 refresh(es) since login");
    home.assert_contains(SUBJECT);
    let flow = browser.get(&format!("{client}/flow")).await;
    flow.assert_contains("A new ID token came with the refresh");
    flow.assert_contains("same login: iss, sub and auth_time are the login's");
}

#[tokio::test]
async fn a_refreshed_id_token_for_another_sub_ends_the_session_and_says_why() {
    let (client, _op) = spawn_fake_op_and_client(Spoil::RefreshOtherSubject).await;
    let browser = Browser::new();
    let home = log_in_and_refresh(&browser, &client).await;
    home.assert_contains("failed the 'same login' check");
    home.assert_contains("a refresh cannot change who signed in");
    assert!(
        !home.body.contains("<h1>Signed in"),
        "the session ended:\n{}",
        home.body
    );
    let after = browser.get(&format!("{client}/")).await;
    assert!(!after.body.contains("<h1>Signed in"), "{}", after.body);
}
