//! Load with nothing lost: thousands of complete authorization code flows (RFC 6749 §4.1,
//! with PKCE and `state`) through the client app and the provider together, from many
//! concurrent tasks; and the login rate limit (RFC 6749 §10.10) holding under it.
//!
//! Each flow is one browser (its own cookies): the client's `/login`, the provider's login
//! form and consent, the client's `/callback` (which redeems the code), the signed-in home
//! page (whose token the client introspects, RFC 7662), and at the end `/logout` (which
//! revokes the tokens, RFC 7009). Everything is on loopback, bounded in count and time.
//!
//! Rate limits are on: each browser connects from a loopback address of its own (127.1.x.y),
//! while 127.0.0.1 guesses passwords the whole time and must get 429 with `Retry-After`.
//!
//! `LOAD_FLOWS` (default 1000) and `LOAD_TASKS` (default 32) size the run;
//! `cargo test -p e2e --test load -- --nocapture` prints the figures.

use std::collections::{HashMap, HashSet};
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use testkit::{PASSWORD, USERNAME, code_after, hidden_input, spawn_with, visible_text};

fn env_number(key: &str, default: usize) -> usize {
    std::env::var(key)
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(default)
}

/// Panics anywhere in this process (a handler, a background task of either app): counted
/// by a panic hook, since a panicking background task does not fail the test by itself.
static PANICS: AtomicUsize = AtomicUsize::new(0);

fn count_panics() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        PANICS.fetch_add(1, Ordering::Relaxed);
        default(info);
    }));
}

/// The resident memory of this test process (provider, client and the load generator
/// together: they share the process), from `/proc/self/status`, in MiB.
fn rss_mib() -> Option<f64> {
    proc_status_mib("VmRSS:")
}

/// The peak resident memory of this test process so far, in MiB.
fn peak_rss_mib() -> Option<f64> {
    proc_status_mib("VmHWM:")
}

fn proc_status_mib(field: &str) -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with(field))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// One browser: its cookies (for both apps: browsers share cookies across the ports of one
/// host), sent by hand so thousands of browsers can share a few HTTP clients.
#[derive(Default, Clone)]
struct Cookies(HashMap<String, String>);

impl Cookies {
    fn header(&self) -> String {
        self.0
            .iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn keep(&mut self, response: &reqwest::Response) {
        for line in response.headers().get_all(SET_COOKIE) {
            let Ok(line) = line.to_str() else { continue };
            let pair = line.split(';').next().unwrap_or_default();
            let Some((name, value)) = pair.split_once('=') else {
                continue;
            };
            let expired = line.to_ascii_lowercase().contains("max-age=0");
            if value.is_empty() || expired {
                self.0.remove(name.trim());
            } else {
                self.0.insert(name.trim().to_owned(), value.to_owned());
            }
        }
    }
}

/// A page as the browser got it.
struct Page {
    status: StatusCode,
    location: Option<String>,
    body: String,
}

/// What went wrong in one flow: where, and the status.
#[derive(Debug)]
struct FlowError {
    step: &'static str,
    status: u16,
    detail: String,
}

impl std::fmt::Display for FlowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} answered {}: {}", self.step, self.status, self.detail)
    }
}

/// The first few errors, one per line.
fn first_errors(errors: &[FlowError]) -> String {
    errors
        .iter()
        .take(5)
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

/// The HTTP side of one browser: a shared client and this browser's cookies.
struct Browser {
    http: reqwest::Client,
    cookies: Cookies,
}

impl Browser {
    async fn send(
        &mut self,
        step: &'static str,
        request: reqwest::RequestBuilder,
    ) -> Result<Page, FlowError> {
        let request = if self.cookies.0.is_empty() {
            request
        } else {
            request.header(COOKIE, self.cookies.header())
        };
        let response = request.send().await.map_err(|error| FlowError {
            step,
            status: 0,
            detail: error.to_string(),
        })?;
        self.cookies.keep(&response);
        let status = response.status();
        let location = response
            .headers()
            .get(LOCATION)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned);
        let body = response.text().await.unwrap_or_default();
        Ok(Page {
            status,
            location,
            body,
        })
    }

    async fn get(&mut self, step: &'static str, url: &str) -> Result<Page, FlowError> {
        let request = self.http.get(url);
        self.send(step, request).await
    }

    async fn post(
        &mut self,
        step: &'static str,
        url: &str,
        form: &[(&str, &str)],
    ) -> Result<Page, FlowError> {
        let request = self.http.post(url).form(form);
        self.send(step, request).await
    }
}

fn expect(page: &Page, step: &'static str, status: StatusCode) -> Result<(), FlowError> {
    if page.status == status {
        Ok(())
    } else {
        Err(FlowError {
            step,
            status: page.status.as_u16(),
            detail: visible_text(&page.body).chars().take(400).collect(),
        })
    }
}

fn redirect(page: &Page, step: &'static str, base: &str) -> Result<String, FlowError> {
    expect(page, step, StatusCode::SEE_OTHER)?;
    let location = page.location.clone().unwrap_or_default();
    Ok(if location.starts_with('/') {
        format!("{base}{location}")
    } else {
        location
    })
}

/// A browser signed in at the client, and what its home page showed.
struct SignedIn {
    /// The loopback address this browser connects from.
    address: IpAddr,
    cookies: Cookies,
    /// The client's CSRF token for its own forms (`/logout`).
    csrf: String,
    access_fingerprint: String,
    refresh_fingerprint: String,
}

/// One complete flow through the client and the provider, from `address`.
async fn sign_in(address: IpAddr, client: &str, provider: &str) -> Result<SignedIn, FlowError> {
    let mut browser = Browser {
        http: http_client(Some(address)),
        cookies: Cookies::default(),
    };
    let start = browser
        .get("client /login", &format!("{client}/login"))
        .await?;
    let authorize = redirect(&start, "client /login", client)?;
    let login = browser.get("provider authorize", &authorize).await?;
    expect(&login, "provider authorize", StatusCode::OK)?;
    let field = |page: &Page, name: &str| hidden_input(&page.body, name).unwrap_or_default();
    let (csrf, request_id) = (field(&login, "csrf_token"), field(&login, "request_id"));
    let logged_in = browser
        .post(
            "provider /login",
            &format!("{provider}/login"),
            &[
                ("username", USERNAME),
                ("password", PASSWORD),
                ("csrf_token", &csrf),
                ("request_id", &request_id),
            ],
        )
        .await?;
    let consent_url = redirect(&logged_in, "provider /login", provider)?;
    let consent = browser.get("provider consent", &consent_url).await?;
    expect(&consent, "provider consent", StatusCode::OK)?;
    let (csrf, request_id) = (field(&consent, "csrf_token"), field(&consent, "request_id"));
    let approved = browser
        .post(
            "provider approve",
            &format!("{provider}/oauth/authorize"),
            &[
                ("csrf_token", csrf.as_str()),
                ("request_id", request_id.as_str()),
                ("decision", "approve"),
            ],
        )
        .await?;
    let callback = redirect(&approved, "provider approve", provider)?;
    let finished = browser.get("client /callback", &callback).await?;
    let home_url = redirect(&finished, "client /callback", client)?;
    let home = browser.get("client home", &home_url).await?;
    expect(&home, "client home", StatusCode::OK)?;
    let shown = |label: &str| code_after(&home.body, label).unwrap_or_default();
    let signed_in = home.body.contains("<h1>Signed in")
        && home.body.contains("active</th><td><code>true</code>");
    if !signed_in {
        return Err(FlowError {
            step: "client home: signed in, token active",
            status: home.status.as_u16(),
            detail: visible_text(&home.body).chars().take(400).collect(),
        });
    }
    Ok(SignedIn {
        address,
        csrf: hidden_input(&home.body, "csrf_token").unwrap_or_default(),
        access_fingerprint: shown("Access token fingerprint"),
        refresh_fingerprint: shown("Refresh token</th><td>yes (fingerprint"),
        cookies: browser.cookies,
    })
}

/// Logs out at the client (which revokes both tokens) and checks the home page is signed out.
async fn log_out(signed_in: SignedIn, client: &str) -> Result<(), FlowError> {
    let mut browser = Browser {
        http: http_client(Some(signed_in.address)),
        cookies: signed_in.cookies,
    };
    let done = browser
        .post(
            "client /logout",
            &format!("{client}/logout"),
            &[("csrf_token", signed_in.csrf.as_str())],
        )
        .await?;
    redirect(&done, "client /logout", client)?;
    let home = browser
        .get("client home after logout", &format!("{client}/"))
        .await?;
    expect(&home, "client home after logout", StatusCode::OK)?;
    if !home.body.contains("Log in with the provider") {
        return Err(FlowError {
            step: "client home after logout: signed out",
            status: home.status.as_u16(),
            detail: visible_text(&home.body).chars().take(400).collect(),
        });
    }
    Ok(())
}

/// An HTTP client from `local_address`. Plain HTTP on loopback: no root certificates are
/// loaded, which keeps a thousand short-lived clients cheap.
fn http_client(local_address: Option<IpAddr>) -> reqwest::Client {
    reqwest::Client::builder()
        .tls_built_in_root_certs(false)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(60))
        .local_address(local_address)
        .build()
        .expect("a reqwest client")
}

/// The loopback address of user `index`: 127.1.x.y, never 127.0.0.1 (the guesser's), so
/// each user has a login rate-limit bucket of its own, as users on their own machines do.
/// All of 127.0.0.0/8 is loopback on Linux.
fn user_address(index: usize) -> IpAddr {
    let index = u32::try_from(index).expect("fewer than 4 billion flows");
    IpAddr::V4(Ipv4Addr::new(
        127,
        1 + ((index / 250 / 250) % 250) as u8,
        ((index / 250) % 250) as u8,
        (index % 250 + 1) as u8,
    ))
}

/// How many grant revoke forms the provider's `/account` shows to `browser`.
async fn live_grants(browser: &mut Browser, provider: &str) -> usize {
    let page = browser
        .get("provider /account", &format!("{provider}/account"))
        .await
        .expect("the account page");
    assert_eq!(page.status, StatusCode::OK);
    page.body.matches("name=\"grant_id\"").count()
}

/// A provider with rate limits on (`login_per_minute` per address; the token limit out of
/// the way, since every flow's token request comes from the client's one address), and a
/// client, each on a free 127.0.0.1 port.
async fn start_rate_limited(login_per_minute: usize) -> (String, String) {
    let login_per_minute = login_per_minute.to_string();
    // The provider's own default (one worker a CPU), not the kit's two: the figures are
    // those of the default configuration.
    let workers = std::thread::available_parallelism()
        .map_or(2, usize::from)
        .to_string();
    let apps = spawn_with(
        &[
            ("RATE_LIMIT", "on"),
            ("RATE_LIMIT_LOGIN_PER_MINUTE", &login_per_minute),
            ("RATE_LIMIT_TOKEN_PER_SECOND", "100000"),
            // Every flow's authorization request comes from the one test address too.
            ("RATE_LIMIT_AUTHORIZE_PER_MINUTE", "100000"),
            // Purge every second, so purges run while the load writes.
            ("PURGE_INTERVAL", "1"),
            ("WORKERS", &workers),
        ],
        // The client's own limits (logins per address) would stop the load at its start:
        // the kit starts it with RATE_LIMIT=off.
        &[],
    )
    .await;
    (apps.client, apps.provider)
}

/// Wrong passwords from 127.0.0.1, one every 10 ms, until `stop`: the statuses and the
/// `Retry-After` values it got.
async fn guess_passwords(provider: String, stop: Arc<AtomicBool>) -> (Vec<u16>, Vec<String>) {
    let mut browser = Browser {
        http: http_client(Some(IpAddr::V4(Ipv4Addr::LOCALHOST))),
        cookies: Cookies::default(),
    };
    let form = browser
        .get("provider /login form", &format!("{provider}/login"))
        .await
        .expect("the login form");
    let csrf = hidden_input(&form.body, "csrf_token").unwrap_or_default();
    let mut statuses = Vec::new();
    let mut retry_after = Vec::new();
    while !stop.load(Ordering::Relaxed) {
        let response = browser
            .http
            .post(format!("{provider}/login"))
            .header(COOKIE, browser.cookies.header())
            .form(&[
                ("username", USERNAME),
                ("password", "a-wrong-guess"),
                ("csrf_token", csrf.as_str()),
            ])
            .send()
            .await
            .expect("the provider answers");
        if let Some(value) = response.headers().get("retry-after") {
            retry_after.push(value.to_str().unwrap_or_default().to_owned());
        }
        statuses.push(response.status().as_u16());
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    (statuses, retry_after)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thousands_of_concurrent_flows_end_signed_in_with_unique_live_tokens_while_a_guesser_gets_429()
 {
    const LOGINS_PER_MINUTE: usize = 5;
    let flows = env_number("LOAD_FLOWS", 1000);
    let tasks = env_number("LOAD_TASKS", 32).clamp(1, flows.max(1));
    count_panics();
    let (client, provider) = start_rate_limited(LOGINS_PER_MINUTE).await;
    let rss_idle = rss_mib();

    // One address guesses passwords for as long as the load runs.
    let stop_guessing = Arc::new(AtomicBool::new(false));
    let guesser = tokio::spawn(guess_passwords(
        provider.clone(),
        Arc::clone(&stop_guessing),
    ));

    let started = Instant::now();
    let next = Arc::new(AtomicUsize::new(0));
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..tasks {
        let (next, client, provider) = (Arc::clone(&next), client.clone(), provider.clone());
        workers.spawn(async move {
            let mut done = Vec::new();
            let mut errors = Vec::new();
            loop {
                let index = next.fetch_add(1, Ordering::Relaxed);
                if index >= flows {
                    break;
                }
                match sign_in(user_address(index), &client, &provider).await {
                    Ok(signed_in) => done.push(signed_in),
                    Err(error) => errors.push(error),
                }
            }
            (done, errors)
        });
    }
    let mut signed_in = Vec::new();
    let mut errors = Vec::new();
    for (done, failed) in workers.join_all().await {
        signed_in.extend(done);
        errors.extend(failed);
    }
    let sign_in_time = started.elapsed();
    stop_guessing.store(true, Ordering::Relaxed);
    let (guesses, retry_after) = guesser.await.expect("the guesser ran");
    let rss_peak = rss_mib();

    // Every token unique (the pair of SHA-256 fingerprints: 64 bits of each token's hash).
    let pairs: HashSet<(String, String)> = signed_in
        .iter()
        .map(|s| (s.access_fingerprint.clone(), s.refresh_fingerprint.clone()))
        .collect();
    // All of them live at once: the provider's account page lists every grant.
    let mut observer = Browser {
        http: http_client(signed_in.first().map(|s| s.address)),
        cookies: signed_in
            .first()
            .map(|s| s.cookies.clone())
            .unwrap_or_default(),
    };
    let live_before = live_grants(&mut observer, &provider).await;

    // Log everyone out: the client revokes both tokens of each grant.
    let logout_started = Instant::now();
    let mut logouts = tokio::task::JoinSet::new();
    let signed_in_count = signed_in.len();
    let queue = Arc::new(std::sync::Mutex::new(signed_in));
    for _ in 0..tasks {
        let (queue, client) = (Arc::clone(&queue), client.clone());
        logouts.spawn(async move {
            let mut errors = Vec::new();
            loop {
                let Some(next) = queue.lock().expect("not poisoned").pop() else {
                    break;
                };
                if let Err(error) = log_out(next, &client).await {
                    errors.push(error);
                }
            }
            errors
        });
    }
    for failed in logouts.join_all().await {
        errors.extend(failed);
    }
    let logout_time = logout_started.elapsed();
    let live_after = live_grants(&mut observer, &provider).await;
    let rss_after = rss_mib();

    let server_errors = errors.iter().filter(|e| e.status >= 500).count();
    let refused = guesses.iter().filter(|s| **s == 429).count();
    let wrong = guesses.iter().filter(|s| **s == 401).count();
    let mib = |value: Option<f64>| value.map_or("n/a".to_owned(), |v| format!("{v:.0} MiB"));
    println!(
        "load: {signed_in_count} of {flows} flows signed in (each browser on its own loopback \
         address) from {tasks} concurrent tasks in {sign_in_time:.1?} ({:.0} flows/s), logged \
         out in {logout_time:.1?}; errors {}, 5xx {server_errors}; {} distinct token pairs; \
         grants live on /account: {live_before} before logout, {live_after} after; VmRSS of \
         the whole test process (provider, client and load generator): {} idle, {} after the \
         flows, {} after logout, peak (VmHWM) {}; panics in any thread (background tasks included): {}",
        signed_in_count as f64 / sign_in_time.as_secs_f64(),
        errors.len(),
        pairs.len(),
        mib(rss_idle),
        mib(rss_peak),
        mib(rss_after),
        mib(peak_rss_mib()),
        PANICS.load(Ordering::Relaxed),
    );
    println!(
        "rate limit under the load ({LOGINS_PER_MINUTE} logins/min per address): 127.0.0.1 sent \
         {} wrong passwords meanwhile: {wrong} answered 401, {refused} answered 429 \
         (Retry-After {:?} s)",
        guesses.len(),
        retry_after.first(),
    );
    assert!(
        errors.is_empty(),
        "failed steps:\n{}",
        first_errors(&errors)
    );
    assert_eq!(signed_in_count, flows, "every flow ends signed in");
    assert_eq!(pairs.len(), flows, "every token is unique");
    assert_eq!(live_before, flows, "every grant is live until revoked");
    assert_eq!(live_after, 0, "logout revoked every grant");
    assert_eq!(
        PANICS.load(Ordering::Relaxed),
        0,
        "nothing panicked, not even a background task"
    );

    assert!(
        guesses.iter().all(|s| *s == 401 || *s == 429),
        "the guesser gets only 401 and 429: {guesses:?}"
    );
    assert!(
        guesses.len() > LOGINS_PER_MINUTE,
        "the guesser ran during the load"
    );
    assert!(
        guesses[..LOGINS_PER_MINUTE].iter().all(|s| *s == 401) && guesses[LOGINS_PER_MINUTE] == 429,
        "the burst of {LOGINS_PER_MINUTE} is allowed, the next attempt is not: {guesses:?}"
    );
    assert_eq!(
        retry_after.len(),
        refused,
        "every 429 says when to come back"
    );
    assert!(
        retry_after
            .iter()
            .all(|value| value.parse::<u64>().is_ok_and(|seconds| seconds >= 1)),
        "{retry_after:?}"
    );
}
