//! Route: the runtime binary's ELF symbol table.
//!
//! CoreCLR's `libcoreclr.so` ships with its full `.symtab` (3.1 is not
//! stripped), which names every global the DAC uses. The binary is not in
//! the dump, so it is read from disk — at the path the dump recorded, or in
//! a directory the user names — and accepted only when its GNU build id is
//! the one the dumped process had loaded (a different build would give
//! wrong addresses, silently).

use dump_format::ModuleRecord;
use dump_format::model::DebugId;
use object::{Object, ObjectSegment, ObjectSymbol, SymbolKind};
use std::path::{Path, PathBuf};

/// Why the route gave nothing.
#[derive(Debug, thiserror::Error)]
pub enum SymbolRouteError {
    /// No file with the runtime's name at any candidate path.
    #[error("runtime binary not found (looked at {})", .0.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", "))]
    NotFound(Vec<PathBuf>),
    /// The file is not the binary the process loaded.
    #[error("{path}: build id {found} differs from the dumped module's {expected}")]
    WrongBuild {
        /// The file.
        path: PathBuf,
        /// Its build id.
        found: String,
        /// The dump's.
        expected: String,
    },
    /// The file could not be read or parsed.
    #[error("{path}: {reason}")]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
}

/// Data symbols of the runtime binary, rebased to the dumped module.
#[derive(Debug)]
pub struct RuntimeSymbols {
    /// The file that was read.
    pub path: PathBuf,
    /// `(qualified name, absolute address)` of every data object symbol.
    pub data: Vec<(String, u64)>,
}

/// Candidate paths of the runtime binary: the dump's own path, then the same
/// file name in each extra directory.
pub fn candidates(module: &ModuleRecord, dirs: &[PathBuf]) -> Vec<PathBuf> {
    let mut v = vec![PathBuf::from(&module.path)];
    v.extend(dirs.iter().map(|d| d.join(module.file_name())));
    v
}

/// Reads the data symbols of the runtime binary that matches `module`.
pub fn load(module: &ModuleRecord, dirs: &[PathBuf]) -> Result<RuntimeSymbols, SymbolRouteError> {
    let paths = candidates(module, dirs);
    let mut last_err = None;
    for p in &paths {
        if !p.is_file() {
            continue;
        }
        match load_file(module, p) {
            Ok(s) => return Ok(s),
            Err(e) => last_err = Some(e),
        }
    }
    Err(last_err.unwrap_or(SymbolRouteError::NotFound(paths)))
}

fn load_file(module: &ModuleRecord, path: &Path) -> Result<RuntimeSymbols, SymbolRouteError> {
    let unreadable = |reason: String| SymbolRouteError::Unreadable { path: path.to_path_buf(), reason };
    let bytes = std::fs::read(path).map_err(|e| unreadable(e.to_string()))?;
    let file = object::File::parse(&*bytes).map_err(|e| unreadable(e.to_string()))?;
    if let Some(DebugId::BuildId(want)) = &module.debug_id {
        let have = file.build_id().ok().flatten().map(<[u8]>::to_vec);
        if have.as_deref() != Some(want.as_slice()) {
            let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
            return Err(SymbolRouteError::WrongBuild {
                path: path.to_path_buf(),
                found: have.as_deref().map(hex).unwrap_or_else(|| "none".into()),
                expected: hex(want),
            });
        }
    }
    // A shared object's lowest PT_LOAD is at virtual address 0 in practice;
    // the general rule is: bias = where the first segment was mapped minus
    // its link-time address, and the module's base is that first segment.
    let first_vaddr = file.segments().map(|s| s.address()).min().unwrap_or(0) & !0xfff;
    let bias = module.base.wrapping_sub(first_vaddr);
    let mut data = Vec::new();
    for sym in file.symbols() {
        if sym.kind() != SymbolKind::Data || sym.address() == 0 {
            continue;
        }
        let Ok(name) = sym.name() else { continue };
        data.push((demangle_simple(name), sym.address().wrapping_add(bias)));
    }
    // File-local statics of different translation units can share a name;
    // such a name says nothing reliable, so it is dropped.
    data.sort();
    data.dedup();
    let mut dup = std::collections::HashSet::new();
    for w in data.windows(2) {
        if w[0].0 == w[1].0 {
            dup.insert(w[0].0.clone());
        }
    }
    data.retain(|(n, _)| !dup.contains(n));
    Ok(RuntimeSymbols { path: path.to_path_buf(), data })
}

/// Demangles the plain nested names of the Itanium C++ ABI that static data
/// members have (`_ZN11ThreadStore14s_pThreadStoreE` → `ThreadStore::s_pThreadStore`);
/// anything else is returned unchanged.
///
/// ```
/// use clr_heap::globals::elf_symbols::demangle_simple;
/// assert_eq!(demangle_simple("_ZN11ThreadStore14s_pThreadStoreE"), "ThreadStore::s_pThreadStore");
/// assert_eq!(demangle_simple("g_pStringClass"), "g_pStringClass");
/// ```
pub fn demangle_simple(name: &str) -> String {
    let Some(rest) = name.strip_prefix("_ZN").and_then(|r| r.strip_suffix('E')) else {
        return name.to_string();
    };
    let mut parts = Vec::new();
    let mut s = rest;
    while !s.is_empty() {
        let digits = s.bytes().take_while(u8::is_ascii_digit).count();
        let Ok(n) = s[..digits].parse::<usize>() else { return name.to_string() };
        let Some(part) = s.get(digits..digits + n) else { return name.to_string() };
        parts.push(part);
        s = &s[digits + n..];
    }
    if parts.is_empty() { name.to_string() } else { parts.join("::") }
}
