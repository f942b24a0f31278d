//! PDB files (MSF 7.0) through `pdb2`: identity (GUID, age), public
//! symbols, procedures with their lengths, global data, and line tables.
//!
//! `pdb2` returns errors for what it can decode, but it is a large parser of
//! an undocumented format fed with files from servers; every call into it
//! runs under `catch_unwind` so a parser bug is an error about the file,
//! never a crash of the tool.

use crate::error::{Error, Result};
use crate::table::{AddressTable, Function, Line};
use pdb2::{FallibleIterator, PDB, SymbolData};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// A PDB's identity as the image's CodeView record names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PdbIdentity {
    /// GUID in file order (as `DebugId::Pdb70` holds it).
    pub guid: [u8; 16],
    /// Age in the PDB info stream (bumped by tools that rewrite the PDB).
    pub info_age: u32,
    /// Age in the DBI stream (the linker's, equal to the image's), if any.
    pub dbi_age: Option<u32>,
}

impl PdbIdentity {
    /// Whether this PDB is the one an image with `guid`/`age` needs (the
    /// DBI age equals the image's; without one, the info age is not older).
    pub fn matches(&self, guid: &[u8; 16], age: u32) -> bool {
        &self.guid == guid && self.dbi_age.map_or(self.info_age >= age, |a| a == age)
    }
}

/// What a PDB tells about addresses (RVAs) and names.
#[derive(Debug, Clone)]
pub struct PdbSymbols {
    /// The file read.
    pub path: PathBuf,
    /// Its identity.
    pub identity: PdbIdentity,
    /// Functions (procedures, then function publics) and lines, by RVA.
    pub table: AddressTable,
    /// Every public and global data symbol: name → RVA.
    pub names: HashMap<String, u32>,
}

fn guarded<T>(path: &Path, f: impl FnOnce() -> pdb2::Result<T>) -> Result<T> {
    let parse = |reason: String| Error::Parse { path: path.to_path_buf(), reason };
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(parse(format!("PDB: {e}"))),
        Err(_) => Err(parse("PDB: the parser failed on this file (malformed PDB)".into())),
    }
}

fn open_file(path: &Path) -> Result<std::fs::File> {
    std::fs::File::open(path).map_err(Error::io(path))
}

/// Reads only the identity of the PDB at `path`.
pub fn identity(path: &Path) -> Result<PdbIdentity> {
    let file = open_file(path)?;
    guarded(path, || {
        let mut pdb = PDB::open(file)?;
        read_identity(&mut pdb)
    })
}

fn read_identity<'s, S: pdb2::Source<'s> + 's>(pdb: &mut PDB<'s, S>) -> pdb2::Result<PdbIdentity> {
    let info = pdb.pdb_information()?;
    let (d1, d2, d3, d4) = info.guid.as_fields();
    let mut guid = [0u8; 16];
    guid[..4].copy_from_slice(&d1.to_le_bytes());
    guid[4..6].copy_from_slice(&d2.to_le_bytes());
    guid[6..8].copy_from_slice(&d3.to_le_bytes());
    guid[8..].copy_from_slice(d4);
    let dbi_age = pdb.debug_information()?.age();
    Ok(PdbIdentity { guid, info_age: info.age, dbi_age })
}

impl PdbSymbols {
    /// Reads the PDB at `path`.
    ///
    /// ```no_run
    /// let p = symbols::pdb::PdbSymbols::open("app.pdb".as_ref())?;
    /// if let Some(hit) = p.table.lookup(0x1010) {
    ///     println!("{}+{:#x} {:?}", hit.name, hit.offset, hit.file_line);
    /// }
    /// # Ok::<(), symbols::Error>(())
    /// ```
    pub fn open(path: &Path) -> Result<PdbSymbols> {
        let file = open_file(path)?;
        guarded(path, || read_all(path, file))
    }

    /// The RVA of a public or global data symbol.
    pub fn rva_of(&self, name: &str) -> Option<u32> {
        self.names.get(name).copied()
    }
}

fn read_all(path: &Path, file: std::fs::File) -> pdb2::Result<PdbSymbols> {
    let mut pdb = PDB::open(file)?;
    let identity = read_identity(&mut pdb)?;
    let map = pdb.address_map()?;
    let mut functions = Vec::new();
    let mut names = HashMap::new();

    let globals = pdb.global_symbols()?;
    let mut it = globals.iter();
    while let Some(sym) = it.next()? {
        let (name, offset, function) = match sym.parse() {
            Ok(SymbolData::Public(p)) => (p.name, p.offset, p.function),
            Ok(SymbolData::Data(d)) => (d.name, d.offset, false),
            _ => continue,
        };
        let Some(rva) = offset.to_rva(&map) else { continue };
        let name = name.to_string().into_owned();
        if function {
            functions.push(Function { start: u64::from(rva.0), size: 0, name: name.clone() });
        }
        names.insert(name, rva.0);
    }

    // Without a string table, lines still resolve, to unnamed files.
    let strings = pdb.string_table().ok();
    let mut lines = Vec::new();
    let mut files: Vec<String> = Vec::new();
    let mut file_ids: HashMap<String, u32> = HashMap::new();
    let dbi = pdb.debug_information()?;
    let mut modules = dbi.modules()?;
    while let Some(module) = modules.next()? {
        let Some(info) = pdb.module_info(&module)? else { continue };
        let mut syms = info.symbols()?;
        while let Some(sym) = syms.next()? {
            if let Ok(SymbolData::Procedure(p)) = sym.parse() {
                if let Some(rva) = p.offset.to_rva(&map) {
                    let name = p.name.to_string().into_owned();
                    functions.push(Function { start: u64::from(rva.0), size: u64::from(p.len), name });
                }
            }
        }
        let program = info.line_program()?;
        let mut rows = program.lines();
        while let Some(l) = rows.next()? {
            let Some(rva) = l.offset.to_rva(&map) else { continue };
            let fname = match (program.get_file_info(l.file_index), &strings) {
                (Ok(fi), Some(st)) => fi.name.to_string_lossy(st).map(|s| s.into_owned()).unwrap_or_default(),
                _ => String::new(),
            };
            let next = files.len() as u32;
            let id = *file_ids.entry(fname.clone()).or_insert_with(|| {
                files.push(fname);
                next
            });
            lines.push(Line {
                start: u64::from(rva.0),
                size: u64::from(l.length.unwrap_or(0)),
                file: id,
                line: l.line_start,
            });
        }
    }
    let table = AddressTable::new(functions, lines, files);
    Ok(PdbSymbols { path: path.to_path_buf(), identity, table, names })
}
