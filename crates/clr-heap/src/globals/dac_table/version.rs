//! The runtime build's version, as the DAC-table route needs it: the
//! Windows file version (`4.700.22.11601` for CoreCLR 3.1.23) or, on Linux,
//! the same number from the `@(#)Version … @Commit: …` string compiled into
//! libcoreclr.

use dump_format::{Dump, ModuleRecord};
use std::fmt;

/// The marker that starts the version string inside libcoreclr.
pub const SCCSID_MARKER: &[u8] = b"@(#)Version ";

/// Most bytes of module memory scanned for the version string.
const MAX_SCAN: u64 = 256 << 20;

/// A runtime build's version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuntimeVersion {
    /// The four-part file version, e.g. `[4, 700, 22, 11601]`.
    pub file_version: [u16; 4],
    /// The source commit, when the version string names it.
    pub commit: Option<String>,
}

impl RuntimeVersion {
    /// From a four-part file version.
    pub fn new(file_version: [u16; 4]) -> Self {
        RuntimeVersion { file_version, commit: None }
    }

    /// Parses `a.b.c.d` (dots or commas; text after the fourth number is
    /// ignored, as in `4.700.22.11601 @Commit: …`).
    ///
    /// ```
    /// use clr_heap::globals::dac_table::RuntimeVersion;
    /// let v = RuntimeVersion::parse("4.700.22.11601 @Commit: 0dee78f").unwrap();
    /// assert_eq!(v.file_version, [4, 700, 22, 11601]);
    /// assert!(RuntimeVersion::parse("4.700").is_none());
    /// ```
    pub fn parse(text: &str) -> Option<Self> {
        let head = text.trim_start().split(|c: char| c.is_whitespace()).next()?;
        let mut parts = head.split(['.', ',']);
        let mut v = [0u16; 4];
        for slot in &mut v {
            *slot = parts.next()?.parse().ok()?;
        }
        if parts.next().is_some() {
            return None;
        }
        let commit = text
            .find("@Commit: ")
            .map(|i| &text[i + 9..])
            .or_else(|| text.find("/tree/").map(|i| &text[i + 6..]))
            .map(|rest| rest.chars().take_while(|c| c.is_ascii_hexdigit()).collect::<String>())
            .filter(|c| c.len() >= 7);
        Some(RuntimeVersion { file_version: v, commit })
    }
}

impl fmt::Display for RuntimeVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [a, b, c, d] = self.file_version;
        write!(f, "{a}.{b}.{c}.{d}")?;
        if let Some(commit) = &self.commit {
            write!(f, " (commit {commit})")?;
        }
        Ok(())
    }
}

/// Finds `@(#)Version <a.b.c.d> …` in `bytes` and parses it.
///
/// ```
/// use clr_heap::globals::dac_table::find_sccsid;
/// let blob = b"\0\0@(#)Version 4.700.22.11601 @Commit: 0dee78f90fc80c0fa4390ac1ba519c679bd503a4\0";
/// let v = find_sccsid(blob).unwrap();
/// assert_eq!(v.file_version, [4, 700, 22, 11601]);
/// assert_eq!(v.commit.as_deref(), Some("0dee78f90fc80c0fa4390ac1ba519c679bd503a4"));
/// ```
pub fn find_sccsid(bytes: &[u8]) -> Option<RuntimeVersion> {
    let mut from = 0usize;
    while let Some(pos) = find(&bytes[from..], SCCSID_MARKER) {
        let start = from + pos + SCCSID_MARKER.len();
        let tail = &bytes[start..bytes.len().min(start + 512)];
        let end = tail.iter().position(|&b| b == 0).unwrap_or(tail.len());
        if let Some(v) = std::str::from_utf8(&tail[..end]).ok().and_then(RuntimeVersion::parse) {
            return Some(v);
        }
        from = start;
    }
    None
}

/// The version string of `module` found in the dump's captured memory of
/// that module (libcoreclr keeps it in its writable data).
pub fn sccsid_in_dump(dump: &Dump, module: &ModuleRecord) -> Option<RuntimeVersion> {
    let mem = dump.memory();
    let end = module.base.saturating_add(module.size);
    let mut scanned = 0u64;
    for r in mem.regions() {
        let lo = r.start.max(module.base);
        let hi = r.end().min(end);
        if lo >= hi || scanned >= MAX_SCAN {
            continue;
        }
        let len = mem.readable_len(lo).min(hi - lo).min(MAX_SCAN - scanned);
        if len == 0 {
            continue;
        }
        scanned += len;
        if let Some(v) = mem.read(lo, len).ok().and_then(|bytes| find_sccsid(&bytes)) {
            return Some(v);
        }
    }
    None
}

/// Naive substring search (the haystacks are a few MiB at most).
fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    let first = *needle.first()?;
    let mut i = 0usize;
    while i + needle.len() <= hay.len() {
        match hay[i..].iter().position(|&b| b == first) {
            None => return None,
            Some(p) => {
                i += p;
                if hay.get(i..i + needle.len()) == Some(needle) {
                    return Some(i);
                }
                i += 1;
            }
        }
    }
    None
}
