//! The symbols of one dumped module: its PDB (PE modules) or its ELF
//! symbol table (the image, else its debug file), found along a symbol path
//! and placed at the module's load address.

use crate::elf::ElfSymbols;
use crate::error::{Error, Result};
use crate::key::Key;
use crate::pdb::PdbSymbols;
use crate::store::{Attempt, Locator};
use crate::table::{AddressTable, Hit};
use crate::verify::verify;
use dump_format::ModuleRecord;
use std::path::PathBuf;

/// Where the names come from.
#[derive(Debug)]
pub enum Source {
    /// A PDB; addresses are RVAs from the module's base.
    Pdb(PdbSymbols),
    /// An ELF symbol table; addresses are link-time, `bias` apart.
    Elf(ElfSymbols),
}

/// A module's symbols at its load address.
#[derive(Debug)]
pub struct ModuleSymbols {
    /// The file the names come from.
    pub file: PathBuf,
    /// The names.
    pub source: Source,
    /// process address − symbol-file address.
    pub bias: u64,
    table: AddressTable,
}

impl ModuleSymbols {
    /// Finds and reads the symbols of `module` along `locator`'s path.
    /// ELF modules also accept the file at the path the dump recorded, when
    /// its build id is the dumped one (an unstripped image is its own symbol
    /// file). The error lists every place tried.
    ///
    /// ```no_run
    /// use symbols::{SymbolPath, store::{Access, Locator}, module::ModuleSymbols};
    /// let dump = dump_format::Dump::open("core")?;
    /// let loc = Locator::new(SymbolPath::parse("/opt/dotnet/shared/Microsoft.NETCore.App/3.1.23")?, Access::Offline);
    /// let coreclr = dump.modules().iter().find(|m| m.file_name() == "libcoreclr.so").ok_or("no runtime")?;
    /// let syms = ModuleSymbols::load(coreclr, &loc)?;
    /// println!("{:?}", syms.address_of("g_pStringClass"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn load(module: &ModuleRecord, locator: &Locator) -> Result<ModuleSymbols> {
        let mut tried: Vec<Attempt> = Vec::new();
        for key in Key::for_module(module)? {
            if matches!(key, Key::Pe { .. }) {
                // The image itself has no names beyond its exports.
                continue;
            }
            let look = locator.locate(&key);
            tried.extend(look.attempts);
            let file = match (look.found, &key) {
                (Some(f), _) => f.path,
                (None, Key::Elf { .. }) => {
                    let recorded = PathBuf::from(&module.path);
                    if !recorded.is_file() {
                        continue;
                    }
                    if let Err(e) = verify(&key, &recorded) {
                        tried.push(Attempt { place: module.path.clone(), outcome: e.to_string() });
                        continue;
                    }
                    recorded
                }
                (None, _) => continue,
            };
            let loaded = ModuleSymbols::from_file(module, &key, file)?;
            // A stripped image has no code names: its debug file may.
            if matches!(key, Key::Elf { .. }) && loaded.table.functions().is_empty() {
                continue;
            }
            return Ok(loaded);
        }
        let places: Vec<String> = tried.iter().map(|a| format!("{}: {}", a.place, a.outcome)).collect();
        Err(Error::NotFound(format!(
            "no symbols for {} ({})",
            module.file_name(),
            if places.is_empty() {
                "the dump records no debug identity".to_string()
            } else {
                places.join("; ")
            }
        )))
    }

    /// Reads `file` as the symbols of `module` (already verified for `key`).
    pub fn from_file(module: &ModuleRecord, key: &Key, file: PathBuf) -> Result<ModuleSymbols> {
        match key {
            Key::Pdb { .. } | Key::Pdb20 { .. } => {
                let p = PdbSymbols::open(&file)?;
                let table = p.table.clone();
                Ok(ModuleSymbols { file, source: Source::Pdb(p), bias: module.base, table })
            }
            _ => {
                let e = ElfSymbols::open(&file)?;
                let table = e.address_table();
                let bias = module.base.wrapping_sub(e.load_start);
                Ok(ModuleSymbols { file, source: Source::Elf(e), bias, table })
            }
        }
    }

    /// The function at process address `addr`.
    pub fn lookup(&self, addr: u64) -> Option<Hit<'_>> {
        self.table.lookup(addr.wrapping_sub(self.bias))
    }

    /// The process address of a global or public symbol (C++ static
    /// members as `Class::member`).
    pub fn address_of(&self, name: &str) -> Option<u64> {
        let rel = match &self.source {
            Source::Pdb(p) => u64::from(p.rva_of(name)?),
            Source::Elf(e) => e.address_of(name)?,
        };
        Some(rel.wrapping_add(self.bias))
    }
}
