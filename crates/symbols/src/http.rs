//! HTTP(S) downloads from symbol servers: time-outs on connect, on the
//! response and on the whole transfer; bounded retries where retrying can
//! help (connection errors, time-outs, 5xx, truncated bodies); a size limit
//! that holds whatever the server's `Content-Length` says; progress on
//! stderr only when it is a terminal.

use crate::error::{Error, Result};
use std::io::{IsTerminal, Read, Write};
use std::path::Path;
use std::time::{Duration, Instant};

/// Limits of a download.
#[derive(Debug, Clone)]
pub struct HttpOptions {
    /// Time to establish a connection.
    pub connect_timeout: Duration,
    /// Time from sending the request to the response's headers.
    pub response_timeout: Duration,
    /// Time for one whole request, body included.
    pub total_timeout: Duration,
    /// Tries per URL (at least 1).
    pub attempts: u32,
    /// Largest body accepted, whatever `Content-Length` says.
    pub max_bytes: u64,
    /// Show progress on stderr (only ever when stderr is a terminal).
    pub progress: bool,
}

impl Default for HttpOptions {
    fn default() -> Self {
        HttpOptions {
            connect_timeout: Duration::from_secs(10),
            response_timeout: Duration::from_secs(30),
            total_timeout: Duration::from_secs(600),
            attempts: 3,
            // The largest PDBs Microsoft serves are a few hundred MB.
            max_bytes: 2 << 30,
            progress: true,
        }
    }
}

/// What a GET gave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fetched {
    /// The body was written: this many bytes.
    Bytes(u64),
    /// The server does not have it (404 or 410).
    Missing,
}

/// A client for symbol servers.
pub struct Http {
    agent: ureq::Agent,
    opts: HttpOptions,
}

/// One failed try: the message, and whether another try may help.
struct Failure {
    reason: String,
    retry: bool,
}

impl Http {
    /// A client with these limits.
    ///
    /// ```no_run
    /// use symbols::http::{Http, HttpOptions, Fetched};
    /// let http = Http::new(HttpOptions::default());
    /// let got = http.get_to("https://example.invalid/foo.pdb/ABC1/foo.pdb", "/tmp/foo.part".as_ref(), "foo.pdb")?;
    /// assert!(matches!(got, Fetched::Bytes(_) | Fetched::Missing));
    /// # Ok::<(), symbols::Error>(())
    /// ```
    pub fn new(opts: HttpOptions) -> Http {
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(opts.connect_timeout))
            .timeout_recv_response(Some(opts.response_timeout))
            .timeout_global(Some(opts.total_timeout))
            .max_redirects(5)
            .user_agent(concat!("clrscope-symbols/", env!("CARGO_PKG_VERSION")))
            .build();
        Http { agent: config.into(), opts }
    }

    /// GETs `url` into the file `dest` (created or truncated; removed on
    /// failure). `what` names the file in progress output.
    pub fn get_to(&self, url: &str, dest: &Path, what: &str) -> Result<Fetched> {
        let attempts = self.opts.attempts.max(1);
        let mut last = String::new();
        for attempt in 1..=attempts {
            match self.try_once(url, dest, what) {
                Ok(f) => return Ok(f),
                Err(fail) => {
                    let _ = std::fs::remove_file(dest);
                    last = fail.reason;
                    if !fail.retry {
                        return Err(Error::Http { url: url.to_string(), reason: last });
                    }
                    if attempt < attempts {
                        std::thread::sleep(Duration::from_millis(250 * u64::from(attempt)));
                    }
                }
            }
        }
        Err(Error::Http { url: url.to_string(), reason: format!("{last} (after {attempts} tries)") })
    }

    fn try_once(&self, url: &str, dest: &Path, what: &str) -> std::result::Result<Fetched, Failure> {
        let fail = |reason: String, retry| Failure { reason, retry };
        let mut resp = self.agent.get(url).call().map_err(|e| fail(transport(&e), retryable(&e)))?;
        let status = resp.status().as_u16();
        match status {
            200 => {}
            404 | 410 => return Ok(Fetched::Missing),
            429 | 500..=599 => return Err(fail(format!("HTTP {status}"), true)),
            _ => return Err(fail(format!("HTTP {status}"), false)),
        }
        let announced = resp
            .headers()
            .get("content-length")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        let max = self.opts.max_bytes;
        if let Some(n) = announced.filter(|&n| n > max) {
            return Err(fail(format!("the server announces {n} bytes, over the limit of {max}"), false));
        }
        let mut body = resp.body_mut().with_config().limit(max.saturating_add(1)).reader();
        let mut file =
            std::fs::File::create(dest).map_err(|e| fail(format!("{}: {e}", dest.display()), false))?;
        let mut progress = Progress::new(self.opts.progress, what, announced);
        let mut buf = vec![0u8; 64 * 1024];
        let mut got: u64 = 0;
        loop {
            let n = match body.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) => {
                    let reason = match announced {
                        Some(len) => format!("truncated body: {got} of {len} bytes ({e})"),
                        None => format!("reading the body after {got} bytes: {e}"),
                    };
                    return Err(fail(reason, true));
                }
            };
            got += n as u64;
            if got > max {
                return Err(fail(format!("the body exceeds the limit of {max} bytes"), false));
            }
            file.write_all(&buf[..n]).map_err(|e| fail(format!("{}: {e}", dest.display()), false))?;
            progress.update(got);
        }
        if let Some(len) = announced.filter(|&len| got != len) {
            return Err(fail(format!("truncated body: {got} of {len} bytes"), true));
        }
        file.sync_all().map_err(|e| fail(format!("{}: {e}", dest.display()), false))?;
        Ok(Fetched::Bytes(got))
    }
}

fn transport(e: &ureq::Error) -> String {
    match e {
        ureq::Error::Timeout(t) => format!("timed out ({t})"),
        ureq::Error::ConnectionFailed => "connection failed".into(),
        ureq::Error::HostNotFound => "host not found".into(),
        other => other.to_string(),
    }
}

fn retryable(e: &ureq::Error) -> bool {
    matches!(e, ureq::Error::Timeout(_) | ureq::Error::ConnectionFailed | ureq::Error::Io(_))
}

/// `base/a/b/c` with each component percent-encoded (RFC 3986 unreserved
/// characters kept).
///
/// ```
/// assert_eq!(symbols::http::url_join("http://h/s", &["a b.pdb", "X1"]), "http://h/s/a%20b.pdb/X1");
/// ```
pub fn url_join(base: &str, parts: &[&str]) -> String {
    let mut url = base.trim_end_matches('/').to_string();
    for p in parts {
        url.push('/');
        for b in p.bytes() {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                url.push(b as char);
            } else {
                url.push_str(&format!("%{b:02X}"));
            }
        }
    }
    url
}

/// A throttled one-line progress display.
struct Progress {
    on: bool,
    what: String,
    total: Option<u64>,
    last: Instant,
    shown: bool,
}

impl Progress {
    fn new(wanted: bool, what: &str, total: Option<u64>) -> Progress {
        let on = wanted && std::io::stderr().is_terminal();
        Progress { on, what: what.to_string(), total, last: Instant::now(), shown: false }
    }

    fn update(&mut self, got: u64) {
        if !self.on || self.last.elapsed() < Duration::from_millis(200) {
            return;
        }
        self.last = Instant::now();
        let mib = |b: u64| b as f64 / 1048576.0;
        let line = match self.total {
            Some(t) => format!("\rdownloading {}: {:.1} / {:.1} MiB", self.what, mib(got), mib(t)),
            None => format!("\rdownloading {}: {:.1} MiB", self.what, mib(got)),
        };
        let _ = std::io::stderr().write_all(line.as_bytes());
        self.shown = true;
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if self.shown {
            let _ = write!(std::io::stderr(), "\r{}\r", " ".repeat(self.what.len() + 40));
        }
    }
}
