//! A headless Chromium driven over WebDriver, with the few verbs a person uses: open a page,
//! fill a field, click, read the page, and take a screenshot for the README.
//!
//! Each [`Browser`] starts its own `chromedriver` on a free loopback port and its own Chromium
//! with a fresh profile directory, so no cookie or cache leaks from one test into the next.
//! The flags are the ones Chromium needs to run headless as root in a container.
//!
//! When Chromium or chromedriver is not installed, [`Browser::launch`] fails with a message
//! that says how to install them: the real-browser test never passes without a browser.

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow, bail, ensure};
use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::json;
use testkit::process::{free_port, wait_for_port};

/// The flags Chromium needs to run headless as root in a container (see `shared/DEPENDENCIES.md`).
const CHROMIUM_FLAGS: [&str; 8] = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
];

/// The width of every screenshot, in CSS pixels; the height follows the page.
const SCREENSHOT_WIDTH: u32 = 1100;
/// How long a page may take to show the element a step waits for.
const STEP_TIMEOUT: Duration = Duration::from_secs(15);

/// How to get a browser, printed when one is missing.
const INSTALL_HINT: &str = "the real-browser test needs Chromium and its WebDriver: \
     install them with `sudo apt-get install chromium chromium-driver` (Debian/Ubuntu), \
     or point CHROMIUM and CHROMEDRIVER at the binaries; then run `just e2e` \
     (`cargo test -p e2e --features browser -- --test-threads=1`)";

/// Set to `1` (as `just screenshots` does) to replace the README's screenshots.
pub const SAVE_SCREENSHOTS: &str = "SAVE_SCREENSHOTS";

/// Where the screenshots go: `docs/screenshots/` at the workspace root when
/// `SAVE_SCREENSHOTS=1`, else `docs/screenshots/tmp/` (ignored by git), so that a plain
/// test run (`just e2e`) never leaves the tracked pictures modified.
pub fn screenshot_dir() -> PathBuf {
    let e2e = Path::new(env!("CARGO_MANIFEST_DIR"));
    let tracked = e2e.parent().unwrap_or(e2e).join("docs").join("screenshots");
    if std::env::var(SAVE_SCREENSHOTS).is_ok_and(|value| value == "1") {
        tracked
    } else {
        tracked.join("tmp")
    }
}

/// One headless Chromium with its own chromedriver and profile directory.
pub struct Browser {
    client: Client,
    // Dropped after `client`: ends chromedriver and Chromium, removes the profile.
    _driver: Driver,
}

/// The chromedriver process and the profile directory, cleaned up on drop whatever happens.
struct Driver {
    child: Child,
    profile: PathBuf,
}

impl Drop for Driver {
    fn drop(&mut self) {
        // chromedriver leads its own process group; Chromium and its helpers are in it.
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill")
            .args(["-KILL", "--", &group])
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

impl Browser {
    /// Starts chromedriver on a free port and opens a Chromium session through it.
    pub async fn launch() -> anyhow::Result<Self> {
        let chromium = find_chromium()?;
        let chromedriver = find_chromedriver()?;

        let port = free_port();
        let profile =
            std::env::temp_dir().join(format!("oauth-flow-e2e-{}-{}", std::process::id(), port));
        std::fs::create_dir_all(&profile)
            .with_context(|| format!("creating the browser profile {}", profile.display()))?;

        // Its own process group, so that dropping the Browser can end chromedriver *and* the
        // Chromium it started, even when a test fails half-way.
        let child = Command::new(&chromedriver)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .with_context(|| format!("starting {}; {INSTALL_HINT}", chromedriver.display()))?;

        // From here on, the guard's Drop cleans up whatever happens.
        let driver = Driver { child, profile };
        ensure!(
            wait_for_port(port, Duration::from_secs(20)),
            "{} did not listen on port {port}",
            chromedriver.display()
        );

        let mut args: Vec<String> = CHROMIUM_FLAGS.iter().map(|flag| flag.to_string()).collect();
        args.push(format!("--user-data-dir={}", driver.profile.display()));
        args.push(format!("--window-size={SCREENSHOT_WIDTH},900"));
        let capabilities = json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium.display().to_string(),
                "args": args,
            },
        });
        let serde_json::Value::Object(capabilities) = capabilities else {
            bail!("capabilities are a JSON object by construction");
        };
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .with_context(|| format!("opening a Chromium session ({})", chromium.display()))?;
        Ok(Self {
            client,
            _driver: driver,
        })
    }

    /// Opens `url` and waits for it to load.
    pub async fn open(&self, url: &str) -> anyhow::Result<()> {
        self.client
            .goto(url)
            .await
            .with_context(|| format!("opening {url}"))
    }

    /// Waits for the element matching the CSS selector to appear, and returns it.
    pub async fn find(&self, css: &str) -> anyhow::Result<Element> {
        self.find_by(Locator::Css(css), css).await
    }

    /// Waits for a link or button whose text contains `text`, and returns it.
    pub async fn find_text(&self, text: &str) -> anyhow::Result<Element> {
        let xpath = format!(
            "//a[contains(normalize-space(.), '{text}')] | //button[contains(normalize-space(.), '{text}')] \
             | //input[@type='submit' and contains(@value, '{text}')]"
        );
        self.find_by(Locator::XPath(&xpath), text).await
    }

    /// Waits for an element matching the XPath expression (e.g. a log line containing a
    /// text), and returns it.
    pub async fn find_xpath(&self, xpath: &str) -> anyhow::Result<Element> {
        self.find_by(Locator::XPath(xpath), xpath).await
    }

    /// Runs `script` in the page (WebDriver "Execute Script": a returned promise is awaited)
    /// with `args` as `arguments`, and answers what it returns.
    pub async fn execute(
        &self,
        script: &str,
        args: Vec<serde_json::Value>,
    ) -> anyhow::Result<serde_json::Value> {
        self.client
            .execute(script, args)
            .await
            .with_context(|| format!("running {script:?} in the page"))
    }

    async fn find_by(&self, locator: Locator<'_>, what: &str) -> anyhow::Result<Element> {
        match self
            .client
            .wait()
            .at_most(STEP_TIMEOUT)
            .for_element(locator)
            .await
        {
            Ok(element) => Ok(element),
            Err(error) => {
                let url = self.url().await.unwrap_or_else(|_| "?".into());
                let text = self.page_text().await.unwrap_or_default();
                Err(anyhow!(
                    "no element {what:?} on {url} within {STEP_TIMEOUT:?} ({error}); the page says:\n{text}"
                ))
            }
        }
    }

    /// Types `value` into the field matching the CSS selector, replacing what it held.
    pub async fn fill(&self, css: &str, value: &str) -> anyhow::Result<()> {
        let field = self.find(css).await?;
        field
            .clear()
            .await
            .with_context(|| format!("clearing {css}"))?;
        field
            .send_keys(value)
            .await
            .with_context(|| format!("typing into {css}"))
    }

    /// Clicks the element matching the CSS selector (a click on a submit button waits for the
    /// next page to load, as WebDriver does).
    pub async fn click(&self, css: &str) -> anyhow::Result<()> {
        self.find(css)
            .await?
            .click()
            .await
            .with_context(|| format!("clicking {css}"))
    }

    /// Clicks the link or button whose text contains `text`.
    pub async fn click_text(&self, text: &str) -> anyhow::Result<()> {
        self.find_text(text)
            .await?
            .click()
            .await
            .with_context(|| format!("clicking {text:?}"))
    }

    /// The address bar.
    pub async fn url(&self) -> anyhow::Result<String> {
        Ok(self.client.current_url().await?.to_string())
    }

    /// Waits (up to the step timeout) until the address bar starts with `prefix`: a click
    /// returns before the navigation it starts is committed.
    pub async fn wait_for_url(&self, prefix: &str) -> anyhow::Result<String> {
        let deadline = Instant::now() + STEP_TIMEOUT;
        loop {
            let url = self.url().await?;
            if url.starts_with(prefix) {
                return Ok(url);
            }
            if Instant::now() >= deadline {
                bail!("the browser stayed on {url}, expected an address starting with {prefix}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// What a person reads on the page: the body's rendered text.
    pub async fn page_text(&self) -> anyhow::Result<String> {
        let body = self
            .client
            .find(Locator::Css("body"))
            .await
            .context("the page has no body")?;
        Ok(body.text().await?)
    }

    /// The page's HTML source (to check what must never be in it).
    pub async fn source(&self) -> anyhow::Result<String> {
        Ok(self.client.source().await?)
    }

    /// Forgets every cookie of the current site, as a fresh browser would.
    pub async fn clear_cookies(&self) -> anyhow::Result<()> {
        Ok(self.client.delete_all_cookies().await?)
    }

    /// Saves the whole page as `<name>.png` in [`screenshot_dir`]: the window is first made as tall
    /// as the page, so nothing is cut off.
    pub async fn screenshot(&self, name: &str) -> anyhow::Result<PathBuf> {
        // The window's height includes the browser's own frame; add it to the page's height.
        let height = self
            .client
            .execute(
                "return Math.max(document.body.scrollHeight, document.documentElement.scrollHeight) \
                 + (window.outerHeight - window.innerHeight);",
                vec![],
            )
            .await
            .context("measuring the page")?
            .as_u64()
            .unwrap_or(900)
            .clamp(500, 4000);
        let height = u32::try_from(height).unwrap_or(900);
        self.client
            .set_window_size(SCREENSHOT_WIDTH, height)
            .await
            .context("resizing the window to the page")?;
        let png = self
            .client
            .screenshot()
            .await
            .context("taking a screenshot")?;
        let path = screenshot_dir().join(format!("{name}.png"));
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        std::fs::write(&path, png).with_context(|| format!("writing {}", path.display()))?;
        Ok(path)
    }

    /// Ends the WebDriver session (Chromium quits); chromedriver ends when `self` drops.
    pub async fn close(self) -> anyhow::Result<()> {
        self.client
            .clone()
            .close()
            .await
            .context("closing the browser")
    }
}

fn find_chromium() -> anyhow::Result<PathBuf> {
    let candidates = std::env::var_os("CHROMIUM")
        .map(PathBuf::from)
        .into_iter()
        .chain(["/usr/bin/chromium", "/usr/bin/chromium-browser"].map(PathBuf::from));
    for candidate in candidates {
        if candidate.is_file() {
            return Ok(candidate);
        }
    }
    bail!("Chromium is not installed (looked for $CHROMIUM, /usr/bin/chromium); {INSTALL_HINT}")
}

fn find_chromedriver() -> anyhow::Result<PathBuf> {
    if let Some(path) = std::env::var_os("CHROMEDRIVER").map(PathBuf::from)
        && path.is_file()
    {
        return Ok(path);
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    for dir in std::env::split_paths(&path) {
        let candidate = dir.join("chromedriver");
        if candidate.is_file() {
            return Ok(candidate);
        }
    }
    bail!("chromedriver is not installed (looked for $CHROMEDRIVER and on PATH); {INSTALL_HINT}")
}
