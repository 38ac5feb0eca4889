//! The Rust `openidconnect` crate (4.1.0, a Relying Party we did not write: the same author
//! as the `oauth2` crate our client uses) signs in at our provider, the real binary:
//!
//! 1. Discovery 1.0 §4: `CoreProviderMetadata::discover_async`, which also checks that the
//!    metadata's `issuer` is the URL it asked (§4.3).
//! 2. Core 1.0 §3.1.2: code + PKCE (RFC 7636, S256) + `state` + `nonce`; a browser with a
//!    cookie jar signs in and approves on the provider's own pages.
//! 3. Core 1.0 §3.1.3.7: the code exchange, and `CoreClient`'s ID token verifier: signature
//!    by `kid` from `jwks_uri`, `iss`, `aud`, `azp`, `exp`, `iat`, `nonce`; then `at_hash`
//!    (§3.1.3.8) with the crate's `AccessTokenHash::from_token`, as its documentation shows.
//! 4. Core 1.0 §5.3: UserInfo with the expected `sub` (the crate refuses another).
//! 5. Core 1.0 §12.2: a refresh returns a new ID token with the same `sub` and `auth_time`.
//!
//! The verifier allows ES256 only: the algorithm the demo client registered (Dynamic Client
//! Registration 1.0 §2 `id_token_signed_response_alg`, the provider's
//! `CLIENT_ID_TOKEN_SIGNED_RESPONSE_ALG` default), as a Relying Party that knows its
//! registration does (Core 1.0 §3.1.3.7 step 7).
//!
//! A cargo project of its own (see Cargo.toml). `interop/run.sh` runs it with
//! `PROVIDER_BIN` naming the provider binary it built.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreJwsSigningAlgorithm, CoreProviderMetadata,
    CoreUserInfoClaims,
};
use openidconnect::{
    AccessTokenHash, AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce,
    OAuth2TokenResponse, PkceCodeChallenge, RedirectUrl, Scope, TokenResponse,
};
use url::Url;

/// The demo client and user of the provider's defaults (provider/src/config.rs).
const CLIENT_ID: &str = "testclient";
const CLIENT_SECRET: &str = "testsecret";
const REDIRECT_URI: &str = "http://localhost:3000/callback";
const USERNAME: &str = "demo";
const PASSWORD: &str = "demo";

/// The provider binary on a free port of 127.0.0.1; killed when dropped.
struct Provider {
    issuer: String,
    child: Child,
    _dir: TempDir,
}

/// A directory of the provider's own (it may write its generated signing keys there).
struct TempDir(std::path::PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl Provider {
    /// Starts `PROVIDER_BIN` with `ISSUER` equal to its address (Discovery 1.0 §4.3: the
    /// metadata's `issuer` must be the URL the Relying Party asked) and no `.env`, and
    /// waits for its `provider listening on http://` line.
    fn start() -> Provider {
        let binary = std::env::var("PROVIDER_BIN")
            .expect("PROVIDER_BIN names the provider binary (interop/run.sh sets it)");
        let port = {
            let probe = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
            probe.local_addr().expect("bound").port()
        };
        let issuer = format!("http://127.0.0.1:{port}");
        let dir =
            std::env::temp_dir().join(format!("interop-provider-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a temporary directory");
        let mut child = Command::new(binary)
            .current_dir(&dir)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("DOTENV", "off")
            .env("PROVIDER_BIND", format!("127.0.0.1:{port}"))
            .env("ISSUER", &issuer)
            .env("RATE_LIMIT", "off")
            .env("WORKERS", "1")
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the provider binary starts");
        // Both streams read on threads of their own, so the provider never blocks on a pipe.
        let (lines, printed) = mpsc::channel();
        let stdout: Box<dyn std::io::Read + Send> = Box::new(child.stdout.take().expect("piped"));
        let stderr: Box<dyn std::io::Read + Send> = Box::new(child.stderr.take().expect("piped"));
        for stream in [stdout, stderr] {
            let lines = lines.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    let _ = lines.send(line);
                }
            });
        }
        let mut seen = Vec::new();
        loop {
            match printed.recv_timeout(Duration::from_secs(60)) {
                Ok(line) if line.contains("provider listening on http://") => break,
                Ok(line) => seen.push(line),
                Err(error) => panic!("the provider did not start ({error}): {seen:#?}"),
            }
        }
        Provider {
            issuer,
            child,
            _dir: TempDir(dir),
        }
    }
}

impl Drop for Provider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The `value` of the first `<input>` naming `name` in `html`.
fn hidden_input(html: &str, name: &str) -> Option<String> {
    let needle = format!("name=\"{name}\"");
    html.split("<input").skip(1).find_map(|rest| {
        let tag = &rest[..rest.find('>')?];
        if !tag.contains(&needle) {
            return None;
        }
        let start = tag.find("value=\"")? + "value=\"".len();
        let end = tag[start..].find('"')? + start;
        Some(tag[start..end].to_owned())
    })
}

/// The user agent of RFC 6749 §1.2: from `url`, follows redirects (keeping cookies), signs
/// in and approves on the provider's pages, and stops at the redirect to `REDIRECT_URI`.
async fn sign_in(browser: &reqwest::Client, url: &str) -> Url {
    let mut url = Url::parse(url).expect("a URL");
    let mut response = browser
        .get(url.clone())
        .send()
        .await
        .expect("the provider answers");
    for _ in 0..10 {
        if let Some(location) = response.headers().get(reqwest::header::LOCATION) {
            url = url.join(location.to_str().expect("ASCII")).expect("a URL");
            if url.as_str().starts_with(REDIRECT_URI) {
                return url;
            }
            response = browser
                .get(url.clone())
                .send()
                .await
                .expect("the provider answers");
            continue;
        }
        let status = response.status();
        let page = response.text().await.expect("a page");
        let mut form: Vec<(&str, String)> = ["csrf_token", "request_id"]
            .into_iter()
            .filter_map(|name| Some((name, hidden_input(&page, name)?)))
            .collect();
        let action = if page.contains("name=\"password\"") {
            form.push(("username", USERNAME.to_owned()));
            form.push(("password", PASSWORD.to_owned()));
            "/login"
        } else if page.contains("name=\"decision\"") {
            form.push(("decision", "approve".to_owned()));
            "/oauth/authorize"
        } else {
            panic!("{status} at {url}, neither login nor consent:\n{page}");
        };
        url = url.join(action).expect("a URL");
        response = browser
            .post(url.clone())
            .form(&form)
            .send()
            .await
            .expect("the provider answers");
    }
    panic!("no redirect to {REDIRECT_URI} after 10 hops");
}

#[tokio::test]
async fn the_openidconnect_crate_signs_in_verifies_the_id_token_reads_userinfo_and_refreshes() {
    let provider = Provider::start();
    // The Relying Party's back channel: never follow redirects (the crate's advice, against
    // SSRF). The browser is another client, with the cookies of the provider's session.
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("a reqwest client");
    let browser = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("a reqwest client");

    // 1. Discovery.
    let issuer = IssuerUrl::new(provider.issuer.clone()).expect("an issuer URL");
    let metadata = CoreProviderMetadata::discover_async(issuer.clone(), &http)
        .await
        .expect("discovery succeeds and the issuer matches");
    assert!(metadata.userinfo_endpoint().is_some());
    let client = CoreClient::from_provider_metadata(
        metadata,
        ClientId::new(CLIENT_ID.to_owned()),
        Some(ClientSecret::new(CLIENT_SECRET.to_owned())),
    )
    .set_redirect_uri(RedirectUrl::new(REDIRECT_URI.to_owned()).expect("a redirect URI"));

    // 2. The authorization request: code, PKCE, state, nonce.
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (authorize_url, state, nonce) = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("profile".to_owned()))
        .add_scope(Scope::new("email".to_owned()))
        .set_pkce_challenge(challenge)
        .url();
    let callback = sign_in(&browser, authorize_url.as_str()).await;
    let answer = |name: &str| {
        callback
            .query_pairs()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.into_owned())
    };
    assert_eq!(answer("state").as_deref(), Some(state.secret().as_str()));
    assert_eq!(
        answer("iss").as_deref(),
        Some(provider.issuer.as_str()),
        "RFC 9207 iss"
    );

    // 3. The code exchange and the ID token, verified by the crate.
    let code = answer("code").expect("a code in the redirect");
    let token = client
        .exchange_code(AuthorizationCode::new(code))
        .expect("discovery gave a token endpoint")
        .set_pkce_verifier(verifier)
        .request_async(&http)
        .await
        .expect("the code exchange succeeds");
    let id_token = token
        .id_token()
        .expect("an openid grant returns an ID token");
    let id_verifier = client
        .id_token_verifier()
        .set_allowed_algs([CoreJwsSigningAlgorithm::EcdsaP256Sha256]);
    assert_eq!(
        id_token.signing_alg().expect("a signing algorithm"),
        &CoreJwsSigningAlgorithm::EcdsaP256Sha256,
        "the algorithm the demo client registered"
    );
    let claims = id_token
        .claims(&id_verifier, &nonce)
        .expect("the ID token verifies: signature, iss, aud, azp, exp, iat, nonce");
    assert_eq!(claims.issuer(), &issuer);
    assert_eq!(claims.nonce().map(Nonce::secret), Some(nonce.secret()));
    let auth_time = claims.auth_time().expect("auth_time");
    let expected_hash = claims.access_token_hash().expect("an at_hash claim");
    let actual_hash = AccessTokenHash::from_token(
        token.access_token(),
        id_token.signing_alg().expect("a signing algorithm"),
        id_token.signing_key(&id_verifier).expect("the signing key"),
    )
    .expect("a hash of the access token");
    assert_eq!(
        &actual_hash, expected_hash,
        "at_hash matches the access token"
    );

    // 4. UserInfo, for the subject the ID token named.
    let userinfo: CoreUserInfoClaims = client
        .user_info(token.access_token().clone(), Some(claims.subject().clone()))
        .expect("discovery gave a userinfo endpoint")
        .request_async(&http)
        .await
        .expect("UserInfo answers for the same sub");
    assert!(userinfo.name().is_some(), "scope profile gives name");
    assert!(
        userinfo.preferred_username().is_some(),
        "scope profile gives preferred_username"
    );
    assert!(userinfo.email().is_some(), "scope email gives email");
    assert!(
        userinfo.email_verified().is_some(),
        "scope email gives email_verified"
    );

    // 5. A refresh: a new ID token, same sub and auth_time (Core §12.2). No nonce was sent
    // on the refresh; one in the new token may only be the original's.
    let refresh_token = token.refresh_token().expect("a refresh token");
    let refreshed = client
        .exchange_refresh_token(refresh_token)
        .expect("discovery gave a token endpoint")
        .request_async(&http)
        .await
        .expect("the refresh succeeds");
    let new_id_token = refreshed
        .id_token()
        .expect("a refresh of an openid grant returns an ID token");
    assert_ne!(new_id_token.to_string(), id_token.to_string());
    let original = nonce.clone();
    let new_claims = new_id_token
        .claims(&id_verifier, move |sent: Option<&Nonce>| match sent {
            Some(value) if value.secret() != original.secret() => {
                Err("a nonce that was never sent".to_owned())
            }
            _ => Ok(()),
        })
        .expect("the refreshed ID token verifies");
    assert_eq!(new_claims.subject(), claims.subject());
    assert_eq!(new_claims.auth_time(), Some(auth_time));
}
