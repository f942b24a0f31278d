//! Route: the runtime binary's ELF symbol table.
//!
//! CoreCLR's `libcoreclr.so` ships with its full `.symtab` (3.1 is not
//! stripped), which names every global the DAC uses. The binary is not in
//! the dump, so it is read from disk — at the path the dump recorded, or in
//! a directory the user names — and accepted only when its GNU build id is
//! the one the dumped process had loaded (a different build would give
//! wrong addresses, silently).
//!
//! [`RuntimeBinary`] is that file read once: [`Runtime::open`](crate::Runtime::open)
//! loads it and hands it to the [`dac_table`](super::dac_table) route as
//! well, which finds `g_dacTable` and cross-checks its entries through the
//! same symbols (by mangled name; [`mangle_variable`], [`mangle_vtable`]).
//!
//! The file is parsed by the `symbols` crate's ELF reader
//! ([`symbols::elf::ElfSymbols`]), the workspace's one reader of ELF symbol
//! tables; this module keeps what the routes need of it.

use dump_format::ModuleRecord;
use dump_format::model::DebugId;
use std::collections::HashMap;
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
    /// The file could not be read.
    #[error("{path}: {reason}")]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The file is not an object file the reader understands, or its
    /// headers, notes or symbol tables are damaged.
    #[error("{path}: {reason}")]
    Malformed {
        /// The file.
        path: PathBuf,
        /// What the object reader found wrong.
        reason: String,
    },
}

/// Largest runtime binary read from disk (libcoreclr.so is about 7 MiB).
const MAX_FILE: u64 = 1 << 30;

/// A data object symbol (`STT_OBJECT`) as the file states it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DataSymbol {
    /// `st_value`: the address in the file's own address space.
    pub value: u64,
    /// `st_size`.
    pub size: u64,
}

/// The runtime binary on disk, read once: its build id, machine, load span
/// and data symbols, for every route that needs them.
#[derive(Debug)]
pub struct RuntimeBinary {
    /// The file that was read.
    pub path: PathBuf,
    bytes: Vec<u8>,
    /// ELF `e_machine`; `None` when the file is not ELF.
    pub elf_machine: Option<u16>,
    /// The GNU build id, when the file has one.
    pub build_id: Option<Vec<u8>>,
    /// Lowest loadable segment address, rounded down to its alignment
    /// (at most 64 KiB): where the dumped module's base lies in the file's
    /// address space.
    pub load_start: u64,
    /// End of the highest loadable segment in memory.
    pub load_end: u64,
    /// Mangled name → the first symbol of that name (`.symtab` before `.dynsym`).
    by_name: HashMap<String, DataSymbol>,
    /// `.symtab`'s data symbols, in file order, for [`RuntimeBinary::globals`].
    symtab: Vec<(String, u64)>,
}

impl RuntimeBinary {
    /// Reads and parses the file at `path` without checking which build it is
    /// (see [`RuntimeBinary::check_build`]).
    pub fn read(path: &Path) -> Result<RuntimeBinary, SymbolRouteError> {
        let bytes =
            read_file(path).map_err(|reason| SymbolRouteError::Unreadable { path: path.into(), reason })?;
        RuntimeBinary::parse(path, bytes)
    }

    /// Parses `bytes`, the contents of the file at `path` (which names it in errors).
    pub fn parse(path: &Path, bytes: Vec<u8>) -> Result<RuntimeBinary, SymbolRouteError> {
        let elf = symbols::elf::ElfSymbols::parse(&bytes, path)
            .map_err(|e| SymbolRouteError::Malformed { path: path.into(), reason: reason(e) })?;
        let mut by_name = HashMap::new();
        let mut symtab = Vec::new();
        for sym in elf.symbols.into_iter().filter(|s| s.kind == symbols::elf::SymKind::Data) {
            if !sym.dynamic {
                symtab.push((sym.name.clone(), sym.address));
            }
            by_name.entry(sym.name).or_insert(DataSymbol { value: sym.address, size: sym.size });
        }
        Ok(RuntimeBinary {
            path: path.to_path_buf(),
            bytes,
            elf_machine: elf.machine,
            build_id: elf.build_id,
            load_start: elf.load_start,
            load_end: elf.load_end,
            by_name,
            symtab,
        })
    }

    /// Accepts the file only when its GNU build id is the one `module` had
    /// in the dumped process (a module without one is not checked).
    pub fn check_build(&self, module: &ModuleRecord) -> Result<(), SymbolRouteError> {
        let Some(DebugId::BuildId(want)) = &module.debug_id else { return Ok(()) };
        if self.build_id.as_deref() == Some(want.as_slice()) {
            return Ok(());
        }
        Err(SymbolRouteError::WrongBuild {
            path: self.path.clone(),
            found: self.build_id.as_deref().map_or_else(|| "none".into(), hex),
            expected: hex(want),
        })
    }

    /// The file's bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The data symbol of this exact (mangled) name: the first of `.symtab`,
    /// else of `.dynsym`.
    pub fn symbol(&self, mangled: &str) -> Option<DataSymbol> {
        self.by_name.get(mangled).copied()
    }

    /// `(qualified name, absolute address)` of every named data symbol of
    /// `.symtab`, rebased to a module loaded at `base`. Names are demangled
    /// ([`demangle_simple`]); a name that several statics share with
    /// different addresses says nothing reliable and is left out.
    pub fn globals(&self, base: u64) -> Vec<(String, u64)> {
        let bias = base.wrapping_sub(self.load_start);
        let mut data: Vec<(String, u64)> = self
            .symtab
            .iter()
            .filter(|(_, value)| *value != 0)
            .map(|(name, value)| (demangle_simple(name), value.wrapping_add(bias)))
            .collect();
        data.sort();
        data.dedup();
        let mut dup = std::collections::HashSet::new();
        for w in data.windows(2) {
            if w[0].0 == w[1].0 {
                dup.insert(w[0].0.clone());
            }
        }
        data.retain(|(n, _)| !dup.contains(n));
        data
    }
}

/// Candidate paths of the runtime binary: the dump's own path, then the same
/// file name in each extra directory.
pub fn candidates(module: &ModuleRecord, dirs: &[PathBuf]) -> Vec<PathBuf> {
    let mut v = vec![PathBuf::from(&module.path)];
    v.extend(dirs.iter().map(|d| d.join(module.file_name())));
    v
}

/// Reads the runtime binary that matches `module`: the first candidate
/// ([`candidates`]) that parses and has the dumped build id.
pub fn load(module: &ModuleRecord, dirs: &[PathBuf]) -> Result<RuntimeBinary, SymbolRouteError> {
    let paths = candidates(module, dirs);
    let mut last_err = None;
    for p in &paths {
        if !p.is_file() {
            continue;
        }
        match RuntimeBinary::read(p).and_then(|b| b.check_build(module).map(|()| b)) {
            Ok(b) => return Ok(b),
            Err(e) => last_err = Some(e),
        }
    }
    Err(last_err.unwrap_or(SymbolRouteError::NotFound(paths)))
}

/// The whole file at `path`, refusing one larger than any runtime binary.
pub(crate) fn read_file(path: &Path) -> Result<Vec<u8>, String> {
    let len = std::fs::metadata(path).map_err(|e| e.to_string())?.len();
    if len > MAX_FILE {
        return Err(format!("{len} bytes is larger than any runtime binary"));
    }
    std::fs::read(path).map_err(|e| e.to_string())
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Demangles the plain nested names of the Itanium C++ ABI that static data
/// members have (`_ZN11ThreadStore14s_pThreadStoreE` → `ThreadStore::s_pThreadStore`);
/// anything else is returned unchanged. The `symbols` crate's, re-exported.
///
/// ```
/// use clr_heap::globals::elf_symbols::demangle_simple;
/// assert_eq!(demangle_simple("_ZN11ThreadStore14s_pThreadStoreE"), "ThreadStore::s_pThreadStore");
/// assert_eq!(demangle_simple("g_pStringClass"), "g_pStringClass");
/// ```
pub use symbols::elf::demangle_simple;

/// The object reader's message without the path (the route's error names it).
fn reason(e: symbols::Error) -> String {
    match e {
        symbols::Error::Parse { reason, .. } => reason,
        other => other.to_string(),
    }
}

/// The Itanium-mangled name of a C++ variable: plain for a global,
/// `_ZN<len><part>…E` for a qualified name (the inverse of [`demangle_simple`]).
///
/// ```
/// use clr_heap::globals::elf_symbols::mangle_variable;
/// assert_eq!(mangle_variable("ThreadStore::s_pThreadStore"), "_ZN11ThreadStore14s_pThreadStoreE");
/// assert_eq!(mangle_variable("g_pFreeObjectMethodTable"), "g_pFreeObjectMethodTable");
/// ```
pub fn mangle_variable(qualified: &str) -> String {
    if !qualified.contains("::") {
        return qualified.to_string();
    }
    format!("_ZN{}E", nested(qualified))
}

/// The Itanium-mangled name of a class's vtable symbol (`_ZTV…`); its
/// address point — what an object's first word holds — is two pointers in.
///
/// ```
/// use clr_heap::globals::elf_symbols::mangle_vtable;
/// assert_eq!(mangle_vtable("InlinedCallFrame"), "_ZTV16InlinedCallFrame");
/// ```
pub fn mangle_vtable(class: &str) -> String {
    if class.contains("::") {
        format!("_ZTVN{}E", nested(class))
    } else {
        format!("_ZTV{}{class}", class.len())
    }
}

fn nested(q: &str) -> String {
    q.split("::").map(|p| format!("{}{p}", p.len())).collect()
}
