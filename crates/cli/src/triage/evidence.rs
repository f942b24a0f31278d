//! The command that shows a finding's evidence.

use serde::Serialize;

/// A `clrscope` command line without the dump: `clrscope <command> DUMP <args…>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Evidence {
    /// The subcommand (`gcroot`, `clrstack`, …).
    pub command: &'static str,
    /// Its arguments after the dump.
    pub args: Vec<String>,
}

impl Evidence {
    /// `clrscope <command> DUMP <args…>`.
    pub fn new(command: &'static str, args: &[&str]) -> Self {
        Evidence { command, args: args.iter().map(|s| s.to_string()).collect() }
    }

    /// The command line for `dump` (arguments with spaces are quoted).
    pub fn line(&self, dump: &str) -> String {
        let mut s = format!("clrscope {} {}", self.command, quote(dump));
        for a in &self.args {
            s.push(' ');
            s.push_str(&quote(a));
        }
        s
    }
}

fn quote(s: &str) -> String {
    if s.is_empty() || s.contains(|c: char| c.is_whitespace() || c == '\'' || c == '"') {
        format!("'{}'", s.replace('\'', "'\\''"))
    } else {
        s.to_string()
    }
}

/// `0x…` for an address.
pub fn hex(a: u64) -> String {
    format!("{a:#x}")
}

/// Serializes an address as `"0x…"` (the JSON convention of clrscope).
pub fn ser_hex<S: serde::Serializer>(a: &u64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&hex(*a))
}

/// Serializes an optional address as `"0x…"` or `null`.
pub fn ser_opt_hex<S: serde::Serializer>(a: &Option<u64>, s: S) -> Result<S::Ok, S::Error> {
    match a {
        Some(a) => s.serialize_str(&hex(*a)),
        None => s.serialize_none(),
    }
}
