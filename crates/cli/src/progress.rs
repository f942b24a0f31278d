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

    /// Reports `done` of `total` (at most ten times a second); `total` 0:
    /// the total is not known, `done` is shown as a count of objects.
    pub fn update(&mut self, done: u64, total: u64) {
        if !self.enabled || self.last.elapsed() < Duration::from_millis(100) {
            return;
        }
        self.last = Instant::now();
        let _ = if total == 0 {
            write!(std::io::stderr(), "\r{}: {done} objects", self.what)
        } else {
            write!(std::io::stderr(), "\r{}: {:5.1}%", self.what, done as f64 * 100.0 / total as f64)
        };
        self.shown = true;
    }
}

/// Progress of work in named phases (a [`Progress`] per phase, the line
/// cleared between them): for library calls that report `(phase, done, total)`.
#[derive(Default)]
pub struct Phases {
    current: Option<Progress>,
}

impl Phases {
    /// Reports `done` of `total` in `phase` (see [`Progress::update`]).
    pub fn update(&mut self, phase: &'static str, done: u64, total: u64) {
        if self.current.as_ref().is_none_or(|p| p.what != phase) {
            // The previous phase's line is cleared when it drops.
            self.current = Some(Progress::new(phase));
        }
        if let Some(p) = &mut self.current {
            p.update(done, total);
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if self.shown {
            let _ = write!(std::io::stderr(), "\r{}\r", " ".repeat(self.what.len() + 10));
        }
    }
}
