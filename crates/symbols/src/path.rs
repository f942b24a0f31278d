//! WinDbg's symbol path: `;`-separated elements, each a plain directory,
//! `cache*DIR`, `srv*[CACHE*…]STORE` or `symsrv*symsrv.dll*[CACHE*…]STORE`
//! (keywords in any case). A store is a directory or an `http(s)://` URL;
//! the locations before it in a `srv*` chain are its downstream caches, and
//! an empty one (`srv**URL`) or none means the default cache.
//!
//! Network use is opt-in: only an `http(s)://` store written in the path is
//! ever contacted. `srv*` alone, which in WinDbg means Microsoft's server, is
//! refused with a message saying how to name the server.

use crate::error::{Error, Result};
use std::path::PathBuf;

/// Where a store is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A directory (local or a mounted share).
    Local(PathBuf),
    /// An HTTP(S) symbol server, without a trailing `/`.
    Http(String),
}

/// One element of the path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Element {
    /// A plain directory: `DIR/name`, `DIR/ext/name`, `DIR/symbols/ext/name`.
    Dir(PathBuf),
    /// `cache*DIR`: files found by later elements are copied here, and it
    /// is searched first. `None` is the default cache.
    Cache(Option<PathBuf>),
    /// `srv*…`: a symbol store with its downstream caches (nearest first;
    /// `None` is the default cache).
    Store {
        /// Downstream caches, searched in order, filled with what the store gives.
        caches: Vec<Option<PathBuf>>,
        /// The store itself.
        store: Location,
    },
}

/// A parsed symbol path.
///
/// ```
/// use symbols::path::{SymbolPath, Element, Location};
/// let p = SymbolPath::parse(r"SRV*/tmp/sym*https://msdl.microsoft.com/download/symbols;/opt/pdbs")?;
/// assert!(p.has_server());
/// assert_eq!(p.elements[1], Element::Dir("/opt/pdbs".into()));
/// # Ok::<(), symbols::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SymbolPath {
    /// The elements in search order.
    pub elements: Vec<Element>,
}

impl SymbolPath {
    /// Parses the text of `_NT_SYMBOL_PATH` / `--symbol-path`.
    pub fn parse(text: &str) -> Result<SymbolPath> {
        let mut elements = Vec::new();
        for raw in text.split(';') {
            let el = raw.trim();
            if el.is_empty() {
                continue;
            }
            elements.push(parse_element(el)?);
        }
        Ok(SymbolPath { elements })
    }

    /// The path from the environment as WinDbg reads it:
    /// `_NT_ALT_SYMBOL_PATH` then `_NT_SYMBOL_PATH`. Empty when neither is set.
    pub fn from_env() -> Result<SymbolPath> {
        let mut text = String::new();
        for var in ["_NT_ALT_SYMBOL_PATH", "_NT_SYMBOL_PATH"] {
            if let Ok(v) = std::env::var(var) {
                text.push_str(&v);
                text.push(';');
            }
        }
        SymbolPath::parse(&text)
    }

    /// Whether the path names a network server (what `--fetch` may contact).
    pub fn has_server(&self) -> bool {
        self.servers().next().is_some()
    }

    /// The servers named in the path.
    pub fn servers(&self) -> impl Iterator<Item = &str> {
        self.elements.iter().filter_map(|e| match e {
            Element::Store { store: Location::Http(u), .. } => Some(u.as_str()),
            _ => None,
        })
    }
}

fn parse_element(el: &str) -> Result<Element> {
    let bad = |reason: &str| Error::BadPath { element: el.to_string(), reason: reason.to_string() };
    let parts: Vec<&str> = el.split('*').map(str::trim).collect();
    let keyword = parts[0].to_ascii_lowercase();
    match (keyword.as_str(), parts.len()) {
        (_, 1) => Ok(Element::Dir(PathBuf::from(el))),
        ("cache", 2) => Ok(Element::Cache(opt_dir(parts[1]))),
        ("cache", _) => Err(bad("cache* takes one directory")),
        ("srv", _) => store(&parts[1..]).ok_or_else(|| bad(NO_STORE)),
        ("symsrv", n) if n >= 3 => store(&parts[2..]).ok_or_else(|| bad(NO_STORE)),
        ("symsrv", _) => Err(bad("expected symsrv*symsrv.dll*[CACHE*]STORE")),
        _ => Err(bad("unknown keyword (expected srv*, symsrv* or cache*)")),
    }
}

const NO_STORE: &str = "no store: name it, e.g. srv*CACHE*https://msdl.microsoft.com/download/symbols \
     (clrscope never contacts a server the path does not name)";

fn store(parts: &[&str]) -> Option<Element> {
    let (last, caches) = parts.split_last()?;
    if last.is_empty() {
        return None;
    }
    let store = if is_url(last) {
        Location::Http(last.trim_end_matches('/').to_string())
    } else {
        Location::Local(PathBuf::from(last))
    };
    Some(Element::Store { caches: caches.iter().map(|c| opt_dir(c)).collect(), store })
}

fn opt_dir(s: &str) -> Option<PathBuf> {
    (!s.is_empty()).then(|| PathBuf::from(s))
}

fn is_url(s: &str) -> bool {
    let l = s.to_ascii_lowercase();
    l.starts_with("http://") || l.starts_with("https://")
}

/// The default cache: `$CLRSCOPE_SYMBOL_CACHE`, else the user's cache
/// directory (`$XDG_CACHE_HOME`, `~/.cache`, `%LOCALAPPDATA%`) + `clrscope/symbols`.
pub fn default_cache() -> Option<PathBuf> {
    let env = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty()).map(PathBuf::from);
    if let Some(p) = env("CLRSCOPE_SYMBOL_CACHE") {
        return Some(p);
    }
    let base = env("XDG_CACHE_HOME")
        .or_else(|| env("HOME").map(|h| h.join(".cache")))
        .or_else(|| env("LOCALAPPDATA"))?;
    Some(base.join("clrscope").join("symbols"))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn windbg_grammar() {
        let p = SymbolPath::parse(
            r" srv*C:\sym*https://msdl.microsoft.com/download/symbols/ ; Cache*/c2;/plain;; SymSrv*symsrv.dll*/a*/b*/store ;srv**http://x",
        )
        .unwrap(); // ok: unit test on literal input
        assert_eq!(p.elements.len(), 5);
        assert_eq!(
            p.elements[0],
            Element::Store {
                caches: vec![Some(r"C:\sym".into())],
                store: Location::Http("https://msdl.microsoft.com/download/symbols".into())
            }
        );
        assert_eq!(p.elements[1], Element::Cache(Some("/c2".into())));
        assert_eq!(p.elements[2], Element::Dir("/plain".into()));
        assert_eq!(
            p.elements[3],
            Element::Store {
                caches: vec![Some("/a".into()), Some("/b".into())],
                store: Location::Local("/store".into())
            }
        );
        assert_eq!(
            p.elements[4],
            Element::Store { caches: vec![None], store: Location::Http("http://x".into()) }
        );
        assert_eq!(p.servers().count(), 2);
    }

    #[test]
    fn refusals() {
        for bad in ["srv*", "srv**", "foo*bar", "cache*a*b", "symsrv*x"] {
            assert!(SymbolPath::parse(bad).is_err(), "{bad}");
        }
        assert!(!SymbolPath::parse("srv*/local/store;/dir").unwrap().has_server()); // ok: unit test on literal input
        assert_eq!(SymbolPath::parse("cache*").unwrap().elements, vec![Element::Cache(None)]); // ok: unit test on literal input
    }
}
