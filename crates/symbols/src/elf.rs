//! ELF symbol tables (`.symtab` and `.dynsym`) of a binary on disk, through
//! the `object` crate. This is the one reader of ELF symbols in the
//! workspace: clr-heap's route to the runtime's globals uses it too. Other
//! object formats `object` reads parse as well (no machine, their own
//! symbol tables), so a caller handed a PE file gets an answer, not an error.

use crate::error::{Error, Result};
use crate::table::{AddressTable, Function};
use object::read::elf::FileHeader;
use object::{Object, ObjectSegment, ObjectSymbol, SymbolKind};
use std::path::{Path, PathBuf};

/// Largest ELF file read (libcoreclr.so with symbols is ~ 100 MB).
pub const MAX_ELF_BYTES: u64 = 2 << 30;
/// Largest segment alignment honoured when finding where the first segment
/// was mapped (a larger `p_align` is still mapped at page granularity).
const MAX_PAGE: u64 = 1 << 16;

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
    /// From `.dynsym` (else `.symtab`).
    pub dynamic: bool,
}

/// The symbols and identity of one ELF file.
#[derive(Debug, Clone)]
pub struct ElfSymbols {
    /// The file read.
    pub path: PathBuf,
    /// ELF `e_machine`; `None` when the file is not ELF.
    pub machine: Option<u16>,
    /// Its GNU build id.
    pub build_id: Option<Vec<u8>>,
    /// The lowest loadable segment address, rounded down to its alignment
    /// (at most 64 KiB): where the module's base in the process corresponds
    /// (bias = base − load_start).
    pub load_start: u64,
    /// End of the highest loadable segment in memory.
    pub load_end: u64,
    /// Defined, named symbols with an address: `.symtab`'s then `.dynsym`'s,
    /// each in file order (a name's first entry is `.symtab`'s).
    pub symbols: Vec<ElfSymbol>,
}

impl ElfSymbols {
    /// Reads `path` (at most [`MAX_ELF_BYTES`]).
    ///
    /// ```no_run
    /// let s = symbols::elf::ElfSymbols::open("/usr/lib/libcoreclr.so".as_ref())?;
    /// let bias = 0x7f00_0000_0000 - s.load_start;
    /// let g = s.symbols.iter().find(|x| x.name == "g_pStringClass").map(|x| x.address + bias);
    /// # Ok::<(), symbols::Error>(())
    /// ```
    pub fn open(path: &Path) -> Result<ElfSymbols> {
        let bytes = crate::read_bounded(path, MAX_ELF_BYTES)?;
        ElfSymbols::parse(&bytes, path)
    }

    /// Parses ELF bytes; `path` names them in errors. A damaged header,
    /// note or symbol table is an error, never a panic.
    pub fn parse(bytes: &[u8], path: &Path) -> Result<ElfSymbols> {
        let parse_err = |e: object::Error| Error::Parse { path: path.to_path_buf(), reason: e.to_string() };
        let file = object::File::parse(bytes).map_err(parse_err)?;
        let machine = match &file {
            object::File::Elf32(f) => Some(f.elf_header().e_machine(f.endian())),
            object::File::Elf64(f) => Some(f.elf_header().e_machine(f.endian())),
            _ => None,
        };
        let build_id = file.build_id().map_err(parse_err)?.map(<[u8]>::to_vec);
        let (mut load_start, mut load_end) = (u64::MAX, 0u64);
        for seg in file.segments() {
            let page = if seg.align().is_power_of_two() { seg.align().min(MAX_PAGE) } else { 1 };
            load_start = load_start.min(seg.address() & !(page - 1));
            load_end = load_end.max(seg.address().saturating_add(seg.size()));
        }
        let mut symbols = Vec::new();
        let tables = file.symbols().map(|s| (s, false)).chain(file.dynamic_symbols().map(|s| (s, true)));
        for (sym, dynamic) in tables {
            if sym.is_undefined() {
                continue;
            }
            let Ok(name) = sym.name() else { continue };
            if name.is_empty() {
                continue;
            }
            let kind = match sym.kind() {
                SymbolKind::Text => SymKind::Function,
                SymbolKind::Data => SymKind::Data,
                _ => SymKind::Other,
            };
            symbols.push(ElfSymbol {
                name: name.to_string(),
                address: sym.address(),
                size: sym.size(),
                kind,
                dynamic,
            });
        }
        let load_start = if load_start == u64::MAX { 0 } else { load_start };
        Ok(ElfSymbols { path: path.to_path_buf(), machine, build_id, load_start, load_end, symbols })
    }

    /// The function table (code symbols) for address lookups.
    pub fn address_table(&self) -> AddressTable {
        let functions = self
            .symbols
            .iter()
            .filter(|s| s.kind == SymKind::Function && s.address != 0)
            .map(|s| Function { start: s.address, size: s.size, name: demangle_function(&s.name) })
            .collect();
        AddressTable::new(functions, Vec::new(), Vec::new())
    }

    /// The link-time address of the symbol named `name` (mangled, or as
    /// [`demangle_simple`] spells it), when exactly one address has it.
    pub fn address_of(&self, name: &str) -> Option<u64> {
        let mut found = self
            .symbols
            .iter()
            .filter(|s| s.address != 0 && (s.name == name || demangle_simple(&s.name) == name));
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

/// A C++ function name as debuggers print it (`Thread::UserSleep(int)`),
/// through the Itanium ABI demangler; a name that is not mangled, or that
/// does not demangle, is returned unchanged.
///
/// ```
/// use symbols::elf::demangle_function;
/// assert_eq!(demangle_function("_ZN6Thread9UserSleepEi"), "Thread::UserSleep(int)");
/// assert_eq!(demangle_function("SleepEx"), "SleepEx");
/// ```
pub fn demangle_function(name: &str) -> String {
    if !name.starts_with("_Z") {
        return name.to_string();
    }
    cpp_demangle::Symbol::new(name).ok().and_then(|s| s.demangle().ok()).unwrap_or_else(|| name.to_string())
}
