//! Printing: aligned text tables, the JSON envelope, and warnings.
//!
//! JSON conventions (stable, documented in the README): one object per run
//! with `"command"`, `"schema": 1`, `"dump"`, the command's own keys and
//! `"warnings"`. Addresses are strings `"0x…"` (64-bit values do not fit a
//! JSON number exactly); counts, sizes and times are numbers.

use crate::exit::{CliError, ExitCode};
use dump_format::Dump;
use serde::Serialize;
use std::io::Write;

/// Global output options.
#[derive(Debug, Clone)]
pub struct Options {
    /// Print JSON instead of text.
    pub json: bool,
    /// Partial answers exit with code 4.
    pub strict: bool,
    /// Where the runtime binary and assemblies may be found.
    pub clr: clr_heap::Options,
    /// `--symbol-path`, when given (else `_NT_SYMBOL_PATH`).
    pub symbol_path: Option<String>,
}

/// The JSON envelope every command prints.
#[derive(Serialize)]
struct Envelope<'a, T: Serialize> {
    command: &'a str,
    schema: u32,
    dump: String,
    #[serde(flatten)]
    body: &'a T,
    warnings: Vec<String>,
}

/// Prints `body` (JSON) or `text` (already rendered), then the dump's
/// warnings on stderr, and returns the exit code.
pub fn finish<T: Serialize>(
    out: &mut dyn Write,
    err: &mut dyn Write,
    opts: &Options,
    command: &str,
    dump_path: &std::path::Path,
    dump: &Dump,
    extra_warnings: &[String],
    body: &T,
    text: impl FnOnce() -> String,
) -> Result<ExitCode, CliError> {
    let mut warnings: Vec<String> = dump.warnings().iter().map(|w| w.message.clone()).collect();
    warnings.extend(extra_warnings.iter().cloned());
    if opts.json {
        let env = Envelope {
            command,
            schema: 1,
            dump: dump_path.display().to_string(),
            body,
            warnings: warnings.clone(),
        };
        serde_json::to_writer_pretty(&mut *out, &env)?;
        writeln!(out)?;
    } else {
        out.write_all(text().as_bytes())?;
    }
    out.flush()?;
    for w in &warnings {
        writeln!(err, "warning: {w}")?;
    }
    Ok(if opts.strict && !warnings.is_empty() { ExitCode::Partial } else { ExitCode::Ok })
}

/// `0x` + lowercase hex, zero-padded to the pointer width.
pub fn hex_ptr(v: u64, pointer_size: usize) -> String {
    format!("{:0width$x}", v, width = pointer_size * 2)
}

/// `"0x…"` for JSON.
pub fn jhex(v: u64) -> String {
    format!("{v:#x}")
}

/// A duration as WinDbg prints it: `D days H:MM:SS.mmm`.
pub fn windbg_duration(d: std::time::Duration) -> String {
    let ms = d.as_millis();
    let days = ms / 86_400_000;
    let h = ms / 3_600_000 % 24;
    let m = ms / 60_000 % 60;
    let s = ms / 1000 % 60;
    format!("{days} days {h}:{m:02}:{s:02}.{:03}", ms % 1000)
}

/// Bytes with a binary unit, e.g. `1.50 MiB`.
pub fn human_size(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < UNITS.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 { format!("{n} B") } else { format!("{v:.2} {}", UNITS[u]) }
}

/// A plain text table: columns are padded to their widest cell; a column is
/// right-aligned when its header starts with '>' (the marker is dropped).
pub struct Table {
    headers: Vec<(String, bool)>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// A table with these headers.
    pub fn new(headers: &[&str]) -> Self {
        let headers = headers
            .iter()
            .map(|h| match h.strip_prefix('>') {
                Some(rest) => (rest.to_string(), true),
                None => (h.to_string(), false),
            })
            .collect();
        Table { headers, rows: Vec::new() }
    }

    /// Adds a row (missing cells print empty).
    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    /// Renders with two spaces between columns and no trailing spaces.
    pub fn render(&self) -> String {
        let n = self.headers.len();
        let mut widths: Vec<usize> = self.headers.iter().map(|(h, _)| h.chars().count()).collect();
        for r in &self.rows {
            for (i, c) in r.iter().enumerate().take(n) {
                widths[i] = widths[i].max(c.chars().count());
            }
        }
        let mut s = String::new();
        let line = |cells: &mut dyn Iterator<Item = &str>, s: &mut String| {
            let mut l = String::new();
            for (i, c) in cells.enumerate().take(n) {
                let pad = widths[i].saturating_sub(c.chars().count());
                if i > 0 {
                    l.push_str("  ");
                }
                if self.headers[i].1 {
                    l.push_str(&" ".repeat(pad));
                    l.push_str(c);
                } else {
                    l.push_str(c);
                    l.push_str(&" ".repeat(pad));
                }
            }
            s.push_str(l.trim_end());
            s.push('\n');
        };
        line(&mut self.headers.iter().map(|(h, _)| h.as_str()), &mut s);
        for r in &self.rows {
            line(&mut r.iter().map(|c| c.as_str()), &mut s);
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_aligns_and_trims() {
        let mut t = Table::new(&["Name", ">Size"]);
        t.row(vec!["a".into(), "10".into()]);
        t.row(vec!["long name".into(), "2".into()]);
        assert_eq!(t.render(), "Name       Size\na            10\nlong name     2\n");
    }

    #[test]
    fn durations_print_like_windbg() {
        assert_eq!(windbg_duration(std::time::Duration::from_millis(90_061_001)), "1 days 1:01:01.001");
    }
}
