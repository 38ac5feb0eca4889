//! `cargo run -p client --example service`: a machine-to-machine client (RFC 6749 §4.4).
//!
//! The oauth2-server article's example app, done per the RFCs: a back-end service with no
//! user gets a `client_credentials` token (the request is form-encoded, RFC 6749 §4.4.2,
//! not JSON), calls the protected `/resource` with it (RFC 6750 §2.1), revokes it
//! (RFC 7009), and shows that the revoked token is refused. Every request and response is
//! printed with the client secret (also inside the Basic header) and the token masked.
//!
//! Start the provider first (`cargo run -p provider`); the settings are the client's own
//! (`AUTH_SERVER`, `CLIENT_ID`, `CLIENT_SECRET`, from the environment or `.env`).

use anyhow::{Context, bail};
use client::config::Settings;
use client::discovery::discover;
use client::wire::{Masker, Recorder, WireRecord, http_client};
use oauth2::basic::BasicClient;
use oauth2::http::{Method, Request, header};
use oauth2::{AuthUrl, ClientId, ClientSecret, Scope, TokenResponse, TokenUrl};
use shared::env::EnvSource;

#[tokio::main]
async fn main() {
    if let Err(error) = run().await {
        eprintln!("error: {error:#}");
        std::process::exit(1);
    }
}

async fn run() -> anyhow::Result<()> {
    let settings = Settings::from_source(&EnvSource::from_process()?)?;
    let http = http_client(settings.http_timeout)?;
    let recorder = Recorder::new(&http);
    let mut masker = Masker::new().secret(settings.client_secret.expose());

    println!("1. Discover the token endpoint (RFC 8414)");
    let endpoints = discover(&settings, &recorder)
        .await
        .map_err(|error| anyhow::anyhow!("{error}"))
        .context("is the provider running? (cargo run -p provider)")?;
    print_calls(&recorder, &masker);

    println!("2. Ask for a token for this service itself (client_credentials, RFC 6749 §4.4.2)");
    let oauth = BasicClient::new(ClientId::new(settings.client_id.clone()))
        .set_client_secret(ClientSecret::new(
            settings.client_secret.expose().to_owned(),
        ))
        .set_auth_uri(AuthUrl::new(endpoints.authorization.clone())?)
        .set_token_uri(TokenUrl::new(endpoints.token.clone())?);
    let token = oauth
        .exchange_client_credentials()
        .add_scope(Scope::new("profile:read".into()))
        .request_async(&recorder)
        .await;
    let access_token = match token {
        Ok(token) => token.access_token().secret().clone(),
        Err(error) => {
            print_calls(&recorder, &masker);
            bail!("the token request failed: {error}");
        }
    };
    masker = masker.secret(&access_token);
    print_calls(&recorder, &masker);
    println!(
        "   token fingerprint: {}",
        shared::fingerprint(&access_token)
    );

    let resource = format!("{}/resource", endpoints.issuer);
    println!("3. Call the protected resource with the token (RFC 6750 §2.1)");
    call_resource(&recorder, &resource, &access_token).await?;
    print_calls(&recorder, &masker);

    println!("4. Revoke the token: the service is done with it (RFC 7009 §2.1)");
    let revocation = endpoints
        .revocation
        .clone()
        .context("the provider's metadata names no revocation_endpoint")?;
    let body = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("token", &access_token)
        .append_pair("token_type_hint", "access_token")
        .finish();
    let basic = client_basic_header(&settings);
    let request = Request::builder()
        .method(Method::POST)
        .uri(&revocation)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::AUTHORIZATION, basic)
        .body(body.into_bytes())?;
    recorder.send(request).await?;
    print_calls(&recorder, &masker);

    println!("5. The revoked token is refused at once (RFC 6750 §3.1: 401 invalid_token)");
    call_resource(&recorder, &resource, &access_token).await?;
    print_calls(&recorder, &masker);
    Ok(())
}

/// GET `url` with `Authorization: Bearer`.
async fn call_resource(recorder: &Recorder<'_>, url: &str, token: &str) -> anyhow::Result<()> {
    let request = Request::builder()
        .method(Method::GET)
        .uri(url)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Vec::new())?;
    recorder.send(request).await?;
    Ok(())
}

/// `Basic base64(urlencode(id):urlencode(secret))` (RFC 6749 §2.3.1).
fn client_basic_header(settings: &Settings) -> String {
    use base64::Engine;
    let encode =
        |value: &str| url::form_urlencoded::byte_serialize(value.as_bytes()).collect::<String>();
    let pair = format!(
        "{}:{}",
        encode(&settings.client_id),
        encode(settings.client_secret.expose())
    );
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(pair)
    )
}

/// Prints what the recorder saw since the last call, secrets masked.
fn print_calls(recorder: &Recorder<'_>, masker: &Masker) {
    for raw in recorder.take() {
        print_record(&masker.record(&raw));
    }
}

/// Prints a body with `prefix` on every line, so a multi-line JSON body stays readable.
fn print_body(prefix: &str, body: &str) {
    for line in body.lines() {
        println!("{prefix}{line}");
    }
}

fn print_record(record: &WireRecord) {
    println!("   > {} {}", record.method, record.url);
    for (name, value) in &record.request_headers {
        println!("   > {name}: {value}");
    }
    print_body("   > ", &record.request_body);
    match (record.status, &record.failure) {
        (Some(status), _) => {
            println!("   < {status}");
            for (name, value) in &record.response_headers {
                println!("   < {name}: {value}");
            }
            print_body("   < ", &record.response_body);
        }
        (None, Some(failure)) => println!("   ! {failure}"),
        (None, None) => {}
    }
    println!();
}
