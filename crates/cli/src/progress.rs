//! Progress of long work on stderr — only when stderr is a terminal, so
//! scripts, pipes and CI logs never see it.

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

/// A throttled one-line progress display.
pub struct Progress {
    what: &'static str,
    enabled: bool,
    last: Instant,
    shown: bool,
}

impl Progress {
    /// A display for `what` (e.g. "walking the heap").
    pub fn new(what: &'static str) -> Self {
        Progress { what, enabled: std::io::stderr().is_terminal(), last: Instant::now(), shown: false }
    }

    /// Reports `done` of `total` (at most ten times a second).
    pub fn update(&mut self, done: u64, total: u64) {
        if !self.enabled || self.last.elapsed() < Duration::from_millis(100) {
            return;
        }
        self.last = Instant::now();
        let pct = if total == 0 { 100.0 } else { done as f64 * 100.0 / total as f64 };
        let _ = write!(std::io::stderr(), "\r{}: {pct:5.1}%", self.what);
        self.shown = true;
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if self.shown {
            let _ = write!(std::io::stderr(), "\r{}\r", " ".repeat(self.what.len() + 10));
        }
    }
}
