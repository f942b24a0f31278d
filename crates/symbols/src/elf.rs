//! ELF symbol tables (`.symtab` and `.dynsym`) of a binary on disk, through
//! the `object` crate. This is the one reader of ELF symbols in the
//! workspace: clr-heap's route to the runtime's globals uses it too.

use crate::error::{Error, Result};
use crate::table::{AddressTable, Function};
use object::{Object, ObjectSegment, ObjectSymbol, SymbolKind};
use std::path::{Path, PathBuf};

/// Largest ELF file read (libcoreclr.so with symbols is ~ 100 MB).
pub const MAX_ELF_BYTES: u64 = 2 << 30;

/// What a symbol names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SymKind {
    /// Code (`STT_FUNC`).
    Function,
    /// A data object (`STT_OBJECT`, `STT_TLS`).
    Data,
    /// Anything else with an address (sections, files, untyped labels).
    Other,
}

/// One defined symbol at its link-time address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ElfSymbol {
    /// The name as stored (mangled for C++).
    pub name: String,
    /// Link-time address (add the load bias for the process address).
    pub address: u64,
    /// `st_size`.
    pub size: u64,
    /// Function, data or other.
    pub kind: SymKind,
}

/// The symbols and identity of one ELF file.
#[derive(Debug, Clone)]
pub struct ElfSymbols {
    /// The file read.
    pub path: PathBuf,
    /// Its GNU build id.
    pub build_id: Option<Vec<u8>>,
    /// The lowest `PT_LOAD` address, page-aligned: where the module's base
    /// in the process corresponds (bias = base − link_base).
    pub link_base: u64,
    /// Defined symbols of both tables, deduplicated, sorted by address.
    pub symbols: Vec<ElfSymbol>,
}

impl ElfSymbols {
    /// Reads `path` (at most [`MAX_ELF_BYTES`]).
    ///
    /// ```no_run
    /// let s = symbols::elf::ElfSymbols::open("/usr/lib/libcoreclr.so".as_ref())?;
    /// let bias = 0x7f00_0000_0000 - s.link_base;
    /// let g = s.symbols.iter().find(|x| x.name == "g_pStringClass").map(|x| x.address + bias);
    /// # Ok::<(), symbols::Error>(())
    /// ```
    pub fn open(path: &Path) -> Result<ElfSymbols> {
        let bytes = crate::read_bounded(path, MAX_ELF_BYTES)?;
        ElfSymbols::parse(&bytes, path)
    }

    /// Parses ELF bytes; `path` names them in errors.
    pub fn parse(bytes: &[u8], path: &Path) -> Result<ElfSymbols> {
        let parse_err = |e: object::Error| Error::Parse { path: path.to_path_buf(), reason: e.to_string() };
        let file = object::File::parse(bytes).map_err(parse_err)?;
        if file.format() != object::BinaryFormat::Elf {
            return Err(Error::Parse { path: path.to_path_buf(), reason: "not an ELF file".into() });
        }
        let build_id = file.build_id().ok().flatten().map(<[u8]>::to_vec);
        let link_base = file.segments().map(|s| s.address()).min().unwrap_or(0) & !0xfff;
        let mut symbols = Vec::new();
        for sym in file.symbols().chain(file.dynamic_symbols()) {
            if sym.is_undefined() || sym.address() == 0 {
                continue;
            }
            let Ok(name) = sym.name() else { continue };
            if name.is_empty() {
                continue;
            }
            let kind = match sym.kind() {
                SymbolKind::Text => SymKind::Function,
                SymbolKind::Data | SymbolKind::Tls => SymKind::Data,
                _ => SymKind::Other,
            };
            symbols.push(ElfSymbol {
                name: name.to_string(),
                address: sym.address(),
                size: sym.size(),
                kind,
            });
        }
        symbols.sort_by(|a, b| a.address.cmp(&b.address).then_with(|| a.name.cmp(&b.name)));
        // The .dynsym repeats exported .symtab entries.
        symbols.dedup_by(|a, b| a.address == b.address && a.name == b.name);
        Ok(ElfSymbols { path: path.to_path_buf(), build_id, link_base, symbols })
    }

    /// The function table (code symbols) for address lookups.
    pub fn address_table(&self) -> AddressTable {
        let functions = self
            .symbols
            .iter()
            .filter(|s| s.kind == SymKind::Function)
            .map(|s| Function { start: s.address, size: s.size, name: s.name.clone() })
            .collect();
        AddressTable::new(functions, Vec::new(), Vec::new())
    }

    /// The link-time address of the symbol named `name` (mangled, or as
    /// [`demangle_simple`] spells it), when exactly one address has it.
    pub fn address_of(&self, name: &str) -> Option<u64> {
        let mut found = self.symbols.iter().filter(|s| s.name == name || demangle_simple(&s.name) == name);
        let first = found.next()?.address;
        found.all(|s| s.address == first).then_some(first)
    }
}

/// Demangles the plain nested names of the Itanium C++ ABI that static data
/// members have (`_ZN11ThreadStore14s_pThreadStoreE` → `ThreadStore::s_pThreadStore`);
/// anything else is returned unchanged.
///
/// ```
/// use symbols::elf::demangle_simple;
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
        let Some(part) = s.get(digits..digits.saturating_add(n)) else { return name.to_string() };
        parts.push(part);
        s = &s[digits + n..];
    }
    if parts.is_empty() { name.to_string() } else { parts.join("::") }
}

/// The GNU build id of the ELF file at `path` (reads at most [`MAX_ELF_BYTES`]).
pub fn build_id(path: &Path) -> Result<Option<Vec<u8>>> {
    let bytes = crate::read_bounded(path, MAX_ELF_BYTES)?;
    let file = object::File::parse(&*bytes)
        .map_err(|e| Error::Parse { path: path.to_path_buf(), reason: e.to_string() })?;
    Ok(file.build_id().ok().flatten().map(<[u8]>::to_vec))
}
