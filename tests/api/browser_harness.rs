//! A real browser for tests: Debian's headless Chromium driven through chromedriver
//! (both installed by `.ci/run`), pointed at a spawned app, in a chosen language and window
//! size, with helpers to sign in, take screenshots, check for page-level horizontal scrolling
//! and run axe-core.
//!
//! axe-core is read from the file named by `LIAISON_AXE_JS` (`.ci/run` installs it from npm and
//! sets it). Without that file the axe check fails with "AXE-CORE NOT RUN": it never passes
//! silently.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::Value;
use tokio::sync::{Semaphore, SemaphorePermit};

use crate::helpers::{TestApp, TestUser};

/// A phone (iPhone 12-15 class) in portrait.
pub const PHONE: (u32, u32) = (390, 844);
/// A desktop window tall enough that most forms fit without scrolling.
pub const DESKTOP: (u32, u32) = (1200, 2400);

/// The password `sign_in` sets for a user before signing them in.
const PASSWORD: &str = "correct-horse-battery";

/// One browser at a time: Chromium is heavy and CI has two cores.
static BROWSER_SLOTS: Semaphore = Semaphore::const_new(1);

pub struct Browser {
    pub client: Client,
    base_url: String,
    // Dropped after the client: the driver is killed, then the profile removed.
    _driver: KillOnDrop,
    _profile: tempfile::TempDir,
    _slot: SemaphorePermit<'static>,
}

/// Why axe-core could not be run.
#[derive(Debug)]
pub struct AxeNotRun(pub String);

impl Browser {
    /// Starts chromedriver and headless Chromium for `app`, with `lang` ("ja", "en") as the
    /// browser's language (Accept-Language) and a window of `size` CSS pixels.
    pub async fn start(app: &TestApp, lang: &str, size: (u32, u32)) -> Browser {
        assert!(
            std::path::Path::new("/usr/bin/chromedriver").exists(),
            "chromedriver is not installed (.ci/run installs chromium and chromium-driver)"
        );
        let slot = BROWSER_SLOTS.acquire().await.expect("browser slot");
        // Two rustls crypto backends are linked into the test binary; pick one explicitly.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .expect("free port")
            .local_addr()
            .expect("port")
            .port();
        // Killed on drop, also when an assertion fails half way.
        let driver = KillOnDrop(
            Command::new("/usr/bin/chromedriver")
                .arg(format!("--port={port}"))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("chromedriver"),
        );
        let profile = tempfile::tempdir().expect("profile dir");
        let (width, height) = size;
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            serde_json::json!({
                "binary": "/usr/bin/chromium",
                "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                    "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--hide-scrollbars",
                    format!("--window-size={width},{height}"), format!("--lang={lang}"),
                    format!("--user-data-dir={}", profile.path().display())],
                "prefs": {"intl.accept_languages": lang},
                // Chromium will not make a window narrower than 500 px; device metrics give
                // the exact viewport (and, below 800 px, a phone's handling of the meta viewport).
                "mobileEmulation": {"deviceMetrics": {"width": width, "height": height,
                    "pixelRatio": 1.0, "mobile": width < 800, "touch": width < 800}},
            }),
        );
        let mut client = None;
        for _ in 0..100 {
            if let Ok(c) = ClientBuilder::rustls()
                .expect("tls")
                .capabilities(caps.clone())
                .connect(&format!("http://127.0.0.1:{port}"))
                .await
            {
                client = Some(c);
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let client = client.expect("connected to chromedriver");
        let browser = Browser {
            client,
            base_url: app.address.clone(),
            _driver: driver,
            _profile: profile,
            _slot: slot,
        };
        // The viewport is laid out once a page (with its meta viewport) is open.
        browser.goto("/signin").await;
        let inner = browser
            .eval("return [window.innerWidth, window.innerHeight];")
            .await;
        assert_eq!(
            inner,
            serde_json::json!([width, height]),
            "the viewport is {width}x{height} CSS pixels"
        );
        browser
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base_url, path)
    }

    /// Opens `path` (relative to the app) and waits for the page to load.
    pub async fn goto(&self, path: &str) {
        self.client
            .goto(&self.url(path))
            .await
            .unwrap_or_else(|e| panic!("open {path}: {e}"));
    }

    /// The current path (with query), e.g. "/proposals/abc".
    pub async fn path(&self) -> String {
        let url = self.client.current_url().await.expect("current url");
        match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_string(),
        }
    }

    /// Waits (up to 30 s) until the current path satisfies `done`; returns it. A click only
    /// starts a form's POST, and under load its answer can take a while.
    pub async fn wait_for_path(&self, what: &str, done: impl Fn(&str) -> bool) -> String {
        let mut path = String::new();
        for _ in 0..300 {
            path = self.path().await;
            if done(&path) {
                return path;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("waited 30 s for {what}; still at {path}");
    }

    /// Signs `user` in through the sign-in form, with a password set through the CLI.
    pub async fn sign_in(&self, app: &TestApp, user: &TestUser) {
        let output = app.cli(
            &["user", "set-password", "--email", &user.email],
            Some(&format!("{PASSWORD}\n")),
        );
        assert!(
            output.status.success(),
            "set-password: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        self.goto("/signin").await;
        self.fill("email", &user.email).await;
        self.fill("password", PASSWORD).await;
        self.click("form[action='/signin'] button[type='submit']")
            .await;
        self.wait_for_path("leaving /signin after signing in", |p| {
            !p.starts_with("/signin")
        })
        .await;
    }

    /// Replaces the value of the input with this id.
    pub async fn fill(&self, id: &str, value: &str) {
        let element = self
            .client
            .find(Locator::Id(id))
            .await
            .unwrap_or_else(|_| panic!("field #{id}"));
        element.clear().await.expect("clear");
        element.send_keys(value).await.expect("type");
    }

    /// Clicks the first element matching a CSS selector, scrolled to the middle of the
    /// viewport first (out of the sticky action bar's way).
    pub async fn click(&self, css: &str) {
        let element = self
            .client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|_| panic!("element {css}"));
        self.client
            .execute(
                "arguments[0].scrollIntoView({block: 'center'});",
                vec![serde_json::to_value(&element).expect("element reference")],
            )
            .await
            .unwrap_or_else(|e| panic!("scroll to {css}: {e}"));
        element
            .click()
            .await
            .unwrap_or_else(|e| panic!("click {css}: {e}"));
    }

    /// Runs a script (with `return`) in the page and gives back its result.
    pub async fn eval(&self, script: &str) -> Value {
        self.client
            .execute(script, vec![])
            .await
            .unwrap_or_else(|e| panic!("script failed: {e}\n{script}"))
    }

    /// Saves a screenshot to `$CARGO_TARGET_DIR/tmp/browser/<name>.png` and returns its path.
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        let png = self.client.screenshot().await.expect("screenshot");
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("browser");
        std::fs::create_dir_all(&dir).expect("screenshot dir");
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png).expect("write screenshot");
        println!("screenshot: {}", path.display());
        path
    }

    /// The page as a whole does not scroll sideways (tables may scroll inside their box).
    pub async fn assert_no_horizontal_scroll(&self, name: &str) {
        let sizes = self
            .eval(
                "const d = document.documentElement; \
                 const wide = [...document.body.querySelectorAll('*')] \
                   .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1) \
                   .slice(0, 5) \
                   .map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') \
                     + (e.className && typeof e.className === 'string' \
                        ? '.' + e.className.trim().split(/\\s+/).join('.') : '')); \
                 return [d.scrollWidth, window.innerWidth, wide];",
            )
            .await;
        let scroll = sizes[0].as_u64().expect("scrollWidth");
        let inner = sizes[1].as_u64().expect("innerWidth");
        if scroll > inner {
            let shot = self.screenshot(&format!("{name}-horizontal-scroll")).await;
            panic!(
                "{name} ({}) scrolls sideways: scrollWidth {scroll} > innerWidth {inner}; \
                 too wide: {}; screenshot {}",
                self.path().await,
                sizes[2],
                shot.display()
            );
        }
    }

    /// Runs axe-core on the current page and returns its violations (id, impact, help and
    /// up to five offending elements each).
    pub async fn axe_violations(&self) -> Result<Vec<Value>, AxeNotRun> {
        let path = std::env::var("LIAISON_AXE_JS").map_err(|_| {
            AxeNotRun("LIAISON_AXE_JS is not set (.ci/run installs axe-core and sets it)".into())
        })?;
        let source = std::fs::read_to_string(&path)
            .map_err(|e| AxeNotRun(format!("cannot read LIAISON_AXE_JS={path}: {e}")))?;
        self.eval(&format!("{source}\n;return typeof window.axe;"))
            .await;
        let result = self
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1]; \
                 window.axe.run(document, {resultTypes: ['violations']}) \
                   .then(r => done(r.violations.map(v => ({id: v.id, impact: v.impact, \
                     help: v.help, nodes: v.nodes.slice(0, 5).map(n => n.target.join(' '))})))) \
                   .catch(e => done({error: String(e)}));",
                vec![],
            )
            .await
            .map_err(|e| AxeNotRun(format!("axe.run failed: {e}")))?;
        match result {
            Value::Array(violations) => Ok(violations),
            other => Err(AxeNotRun(format!("axe.run failed: {other}"))),
        }
    }

    /// axe-core finds nothing on the current page; fails loudly when axe-core could not run.
    pub async fn assert_axe_clean(&self, name: &str) {
        match self.axe_violations().await {
            Ok(violations) if violations.is_empty() => {}
            Ok(violations) => {
                let shot = self.screenshot(&format!("{name}-axe")).await;
                panic!(
                    "axe-core: {} violation(s) on {name} ({}); screenshot {}:\n{}",
                    violations.len(),
                    self.path().await,
                    shot.display(),
                    serde_json::to_string_pretty(&violations).unwrap_or_default()
                );
            }
            Err(AxeNotRun(why)) => panic!("AXE-CORE NOT RUN on {name}: {why}"),
        }
    }

    pub async fn close(self) {
        let _ = self.client.clone().close().await;
    }
}

struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
