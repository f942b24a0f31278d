//! Route: the DAC globals table the runtime carries for its own debugger.
//!
//! CoreCLR (≤ .NET 6) embeds a table of the RVAs of every global the DAC
//! reads: one `u32` per `DEFINE_DACVAR` line of `src/inc/dacvars.h`, in file
//! order, then one per `fn__` function member of `struct _DacGlobals`, then
//! one vtable RVA per `VPTR_CLASS` line of `src/inc/vptr_list.h` (reference
//! §5.7 (a)). Where it lives:
//!
//! * **Windows** — an `RT_RCDATA` resource named
//!   `COREXTERNALDATAACCESSRESOURCE`: header `{u32 numGlobals; u32 numVptrs;
//!   u32 id[4]}` (`id[0]` = the image's PE timestamp), then the RVAs, written
//!   at build time from the PDB. Read from the module as mapped in dump
//!   memory, or — when those pages were not captured — from the same binary
//!   on disk (checked against the dumped module's timestamp and size).
//! * **Linux** — the variable `g_dacTable` of libcoreclr, filled at start-up
//!   with `&var − moduleBase`. Found through the ELF symbol table of the
//!   binary on disk (CoreCLR 3.1 ships libcoreclr.so unstripped; the symbol
//!   is local, so `.symtab` is needed); its values are read from dump memory.
//!
//! The table holds no names. They come from a static list per release line
//! and target ([`names`]), chosen by the runtime's file version, and are
//! accepted only when the table proves they fit: the Windows header counts
//! must equal the list's, every function must lie in a code section and
//! every variable / vtable outside one; on Linux the `g_dacTable` symbol's
//! size must equal the list's and every variable and vtable that has an ELF
//! symbol must sit exactly where the table says. An unknown version is an
//! error, never a guess.
//!
//! ```no_run
//! use clr_heap::globals::dac_table::read_dac_table;
//! let dump = dump_format::Dump::open("core")?;
//! let clr = dump.modules().iter().find(|m| m.file_name() == "libcoreclr.so").expect("a .NET process");
//! let table = read_dac_table(&dump, clr, None)?;
//! println!("{:#x}", table.address("ThreadStore::s_pThreadStore").unwrap_or(0));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod elf;
mod error;
mod lists;
pub mod names;
mod pe_image;
mod version;

pub use elf::{EM_386, EM_X86_64, ElfFile, Symbol, mangle_variable, mangle_vtable};
pub use error::DacTableError;
pub use names::{NameList, Target};
pub use version::{RuntimeVersion, SCCSID_MARKER, find_sccsid, sccsid_in_dump};

use dump_format::model::DebugId;
use dump_format::{Dump, ModuleRecord};
use pe_image::{FileImage, ImageBytes, MemoryImage, PeHeaders};
use std::path::{Path, PathBuf};

/// Size of the Windows resource's header: two counts and a 16-byte id.
const HEADER_SIZE: usize = 24;
/// Largest table accepted (CoreCLR's are under 1 KiB).
const MAX_TABLE: u32 = 1 << 20;
/// Largest runtime binary read from disk.
const MAX_FILE: u64 = 1 << 30;

/// One named entry of the table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DacEntry {
    /// C++-qualified name: `ThreadStore::s_pThreadStore`,
    /// `g_pFreeObjectMethodTable`, `g_gcDacGlobals`; for vtables, the class.
    pub name: &'static str,
    /// Absolute address in the dumped process (of the variable, of the
    /// function, or of the vtable's address point).
    pub address: u64,
    /// The table's value: RVA from the module base.
    pub rva: u32,
}

/// Where the table was read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TableSource {
    /// The Windows resource; `in_dump` false when it came from the file on disk.
    Resource {
        /// True when read from dump memory.
        in_dump: bool,
    },
    /// Linux `g_dacTable`, located through this file's ELF symbol table.
    ElfSymbol {
        /// The runtime binary whose symbols were used.
        file: PathBuf,
    },
}

/// The decoded, named table.
#[derive(Debug, Clone)]
pub struct DacTable {
    /// The variables (`DEFINE_DACVAR`), in table order.
    pub entries: Vec<DacEntry>,
    /// The functions (`fn__` members), in table order.
    pub functions: Vec<DacEntry>,
    /// The vtables (`VPTR_CLASS`), in table order; `name` is the class.
    pub vtables: Vec<DacEntry>,
    /// Names whose slot is 0: not filled by this build (on Linux the runtime
    /// fills only variables and vtables, not functions).
    pub unset: Vec<&'static str>,
    /// Globals (variables + functions) in the table.
    pub num_globals: u32,
    /// Vtables in the table.
    pub num_vptrs: u32,
    /// Where it was read from.
    pub source: TableSource,
    /// The target the names were chosen for.
    pub target: Target,
    /// The runtime version the names were chosen by.
    pub version: RuntimeVersion,
    /// Which name list, and its source.
    pub names_from: &'static str,
    /// Windows: the header's id (`id[0]` = PE timestamp).
    pub table_id: Option<[u32; 4]>,
    /// Linux: entries confirmed equal to the ELF symbol of the same name.
    pub symbol_checked: usize,
}

impl DacTable {
    /// Address of the variable `name` (C++-qualified).
    pub fn address(&self, name: &str) -> Option<u64> {
        self.entries.iter().find(|e| e.name == name).map(|e| e.address)
    }

    /// Address point of the vtable of class `class`.
    pub fn vtable(&self, class: &str) -> Option<u64> {
        self.vtables.iter().find(|e| e.name == class).map(|e| e.address)
    }

    /// Address of the function `name`.
    pub fn function(&self, name: &str) -> Option<u64> {
        self.functions.iter().find(|e| e.name == name).map(|e| e.address)
    }
}

/// Reads and names the DAC table of `runtime` (coreclr.dll / libcoreclr.so).
///
/// `runtime_file` is the runtime binary on disk: needed on Linux (for its
/// symbol table; the dump's module path is used when `None`), and on Windows
/// only when the resource pages are not in the dump. The version is taken
/// from the dump's module record, the image's version resource, or the
/// `@(#)Version` string.
pub fn read_dac_table(
    dump: &Dump,
    runtime: &ModuleRecord,
    runtime_file: Option<&Path>,
) -> Result<DacTable, DacTableError> {
    read_dac_table_with_version(dump, runtime, runtime_file, None)
}

/// As [`read_dac_table`], with the runtime version given by the caller.
pub fn read_dac_table_with_version(
    dump: &Dump,
    runtime: &ModuleRecord,
    runtime_file: Option<&Path>,
    version: Option<&RuntimeVersion>,
) -> Result<DacTable, DacTableError> {
    let mem = dump.memory();
    let magic = mem.read(runtime.base, 4).ok();
    let is_elf = match magic.as_deref() {
        Some(b"\x7fELF") => true,
        Some(m) if m.starts_with(b"MZ") => false,
        _ => {
            let n = runtime.file_name().to_ascii_lowercase();
            !n.ends_with(".dll") && (n.ends_with(".so") || n.contains(".so."))
        }
    };
    if is_elf {
        read_elf(dump, runtime, runtime_file, version)
    } else {
        read_pe(dump, runtime, runtime_file, version)
    }
}

/// Reads and names the table of a Windows runtime binary given as file
/// bytes; `base` is the load address to add to the RVAs (0 for RVAs only).
/// The version is read from the file's version resource when `None`.
pub fn read_dac_table_from_pe_file(
    bytes: &[u8],
    name: &str,
    base: u64,
    version: Option<&RuntimeVersion>,
) -> Result<DacTable, DacTableError> {
    let (img, _) = file_image(bytes, name)?;
    table_from_pe(&img, base, version, false)
}

fn file_image<'a>(bytes: &'a [u8], name: &'a str) -> Result<(FileImage<'a>, PeHeaders), DacTableError> {
    let mut img = FileImage { data: bytes, headers: None, module: name };
    let h = PeHeaders::parse(&img)?;
    img.headers = Some(h.clone());
    Ok((img, h))
}

fn read_file(path: &Path) -> Result<Vec<u8>, DacTableError> {
    let err = |reason: String| DacTableError::File { path: path.to_path_buf(), reason };
    let len = std::fs::metadata(path).map_err(|e| err(e.to_string()))?.len();
    if len > MAX_FILE {
        return Err(err(format!("{len} bytes is larger than any runtime binary")));
    }
    std::fs::read(path).map_err(|e| err(e.to_string()))
}

fn read_pe(
    dump: &Dump,
    runtime: &ModuleRecord,
    runtime_file: Option<&Path>,
    version: Option<&RuntimeVersion>,
) -> Result<DacTable, DacTableError> {
    let module = runtime.path.as_str();
    let given = version.cloned().or_else(|| runtime.file_version.map(RuntimeVersion::new));
    let img = MemoryImage { mem: dump.memory(), base: runtime.base, module };
    let in_dump = match table_from_pe(&img, runtime.base, given.as_ref(), true) {
        Ok(t) => return Ok(t),
        Err(e) if e.is_not_captured() => e,
        Err(e) => return Err(e),
    };
    let on_disk = match runtime_file {
        None => DacTableError::File {
            path: PathBuf::from(&runtime.path),
            reason: "not captured in the dump and no runtime file was given".into(),
        },
        Some(path) => match pe_from_file(path, runtime, given.as_ref()) {
            Ok(t) => return Ok(t),
            Err(e) => e,
        },
    };
    Err(DacTableError::BothFailed {
        module: module.to_string(),
        in_dump: Box::new(in_dump),
        on_disk: Box::new(on_disk),
    })
}

fn pe_from_file(
    path: &Path,
    runtime: &ModuleRecord,
    version: Option<&RuntimeVersion>,
) -> Result<DacTable, DacTableError> {
    let bytes = read_file(path)?;
    let name = path.display().to_string();
    let (img, h) = file_image(&bytes, &name)?;
    let wrong = |reason: String| DacTableError::WrongFile { path: path.to_path_buf(), reason };
    if let Some(ts) = runtime.timestamp.filter(|&ts| ts != h.timestamp) {
        return Err(wrong(format!("PE timestamp {:#x}, the dump's module has {ts:#x}", h.timestamp)));
    }
    if runtime.size != 0 && runtime.size != u64::from(h.size_of_image) {
        return Err(wrong(format!(
            "SizeOfImage {:#x}, the dump's module spans {:#x}",
            h.size_of_image, runtime.size
        )));
    }
    table_from_pe(&img, runtime.base, version, false)
}

/// The whole Windows route over one image: headers, target, version, names,
/// resource, header checks, section checks.
fn table_from_pe(
    img: &dyn ImageBytes,
    base: u64,
    version: Option<&RuntimeVersion>,
    in_dump: bool,
) -> Result<DacTable, DacTableError> {
    let module = img.module().to_string();
    let h = PeHeaders::parse(img)?;
    let target = match h.machine {
        pe_image::MACHINE_AMD64 => Target::WindowsX64,
        pe_image::MACHINE_I386 => Target::WindowsX86,
        m => {
            return Err(DacTableError::UnsupportedTarget { module, reason: format!("PE machine {m:#x}") });
        }
    };
    let version = match version {
        Some(v) => v.clone(),
        None => RuntimeVersion::new(pe_image::file_version(img, &h).map_err(|e| {
            DacTableError::VersionUnknown {
                module: module.clone(),
                tried: format!("no file version in the dump's module list; version resource: {e}"),
            }
        })?),
    };
    let (list, label) = names::select(&version, target).ok_or_else(|| DacTableError::UnsupportedVersion {
        module: module.clone(),
        version: version.to_string(),
        target: target.to_string(),
        known: names::known(),
    })?;

    let res = pe_image::find_resource(img, &h, pe_image::RT_RCDATA, Some(pe_image::DAC_RESOURCE_NAME))?;
    let at = format!("RVA {:#x}", res.rva);
    if (res.size as usize) < HEADER_SIZE || res.size > MAX_TABLE {
        return Err(error::malformed(&module, "DAC table resource", at, format!("size {} bytes", res.size)));
    }
    let bytes = img.read_rva(u64::from(res.rva), res.size as usize, "DAC table resource")?;
    let word = |i: usize| bytes.get(i * 4..i * 4 + 4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]));
    let (Some(num_globals), Some(num_vptrs)) = (word(0), word(1)) else {
        return Err(error::malformed(&module, "DAC table header", at, "truncated"));
    };
    let id = [word(2).unwrap_or(0), word(3).unwrap_or(0), word(4).unwrap_or(0), word(5).unwrap_or(0)];
    let count = u64::from(num_globals) + u64::from(num_vptrs);
    let room = (bytes.len() - HEADER_SIZE) as u64 / 4;
    if count > room {
        return Err(error::malformed(
            &module,
            "DAC table",
            at,
            format!("header announces {num_globals} + {num_vptrs} entries, the resource holds {room}"),
        ));
    }
    if num_globals != list.num_globals() || num_vptrs != list.num_vptrs() {
        return Err(DacTableError::CountMismatch {
            module,
            list: label,
            expected_globals: list.num_globals(),
            expected_vptrs: list.num_vptrs(),
            found_globals: num_globals,
            found_vptrs: num_vptrs,
        });
    }
    if id[0] != h.timestamp {
        return Err(DacTableError::Inconsistent {
            module,
            name: "header".into(),
            rva: u64::from(res.rva),
            reason: format!("table id {:#x} is not the image's PE timestamp {:#x}", id[0], h.timestamp),
        });
    }
    let rvas: Vec<u32> = (0..count as usize).filter_map(|i| word(6 + i)).collect();
    let mut table = name_entries(list, &rvas, base, &module, u64::from(h.size_of_image))?;
    // The boundary between variables and functions is checked by where
    // each entry lands: code for functions, anything else for the rest.
    for (kind, group) in
        [("variable", &table.entries), ("function", &table.functions), ("vtable", &table.vtables)]
    {
        for e in group {
            let sect = h.section_of(u64::from(e.rva));
            let ok = match (kind, sect) {
                (_, None) => false,
                ("function", Some(s)) => s.is_code(),
                (_, Some(s)) => !s.is_code(),
            };
            if !ok {
                let place =
                    sect.map_or_else(|| "no section".to_string(), |s| format!("section {}", s.name()));
                return Err(DacTableError::Inconsistent {
                    module,
                    name: e.name.to_string(),
                    rva: u64::from(e.rva),
                    reason: format!("a {kind} in {place}: the name list does not fit this build"),
                });
            }
        }
    }
    table.num_globals = num_globals;
    table.num_vptrs = num_vptrs;
    table.source = TableSource::Resource { in_dump };
    table.target = target;
    table.version = version;
    table.names_from = label;
    table.table_id = Some(id);
    Ok(table)
}

/// Pairs the list's names with `rvas` (variables, functions, vtables), after
/// checking every non-zero RVA lies inside the image.
fn name_entries(
    list: &'static NameList,
    rvas: &[u32],
    base: u64,
    module: &str,
    image_size: u64,
) -> Result<DacTable, DacTableError> {
    let mut table = DacTable {
        entries: Vec::with_capacity(list.variables.len()),
        functions: Vec::with_capacity(list.functions.len()),
        vtables: Vec::with_capacity(list.vtables.len()),
        unset: Vec::new(),
        num_globals: list.num_globals(),
        num_vptrs: list.num_vptrs(),
        source: TableSource::Resource { in_dump: true },
        target: Target::WindowsX64,
        version: RuntimeVersion::new([0; 4]),
        names_from: "",
        table_id: None,
        symbol_checked: 0,
    };
    let names = list.variables.iter().map(|n| (0, n)).chain(list.functions.iter().map(|n| (1, n)));
    let names = names.chain(list.vtables.iter().map(|n| (2, n)));
    for ((group, &name), &rva) in names.zip(rvas) {
        if rva == 0 {
            table.unset.push(name);
            continue;
        }
        if u64::from(rva) >= image_size {
            return Err(DacTableError::Inconsistent {
                module: module.to_string(),
                name: name.to_string(),
                rva: u64::from(rva),
                reason: format!("outside the image ({image_size:#x} bytes)"),
            });
        }
        let e = DacEntry { name, address: base.wrapping_add(u64::from(rva)), rva };
        match group {
            0 => table.entries.push(e),
            1 => table.functions.push(e),
            _ => table.vtables.push(e),
        }
    }
    Ok(table)
}

fn read_elf(
    dump: &Dump,
    runtime: &ModuleRecord,
    runtime_file: Option<&Path>,
    version: Option<&RuntimeVersion>,
) -> Result<DacTable, DacTableError> {
    let module = runtime.path.as_str();
    let path = runtime_file.map_or_else(|| PathBuf::from(&runtime.path), Path::to_path_buf);
    let bytes = read_file(&path)?;
    let name = path.display().to_string();
    let elf = ElfFile::parse(&bytes, &name)?;
    if let (Some(DebugId::BuildId(want)), Some(have)) = (&runtime.debug_id, &elf.build_id) {
        if want == have {
            // The file is the dumped build.
        } else {
            let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
            return Err(DacTableError::WrongFile {
                path,
                reason: format!("build id {}, the dump's module has {}", hex(have), hex(want)),
            });
        }
    }
    let target = match elf.machine {
        EM_X86_64 => Target::LinuxX64,
        m => {
            return Err(DacTableError::UnsupportedTarget {
                module: module.to_string(),
                reason: format!("ELF machine {m} (only x86-64 has a name list)"),
            });
        }
    };
    let version = match version {
        Some(v) => v.clone(),
        None => sccsid_in_dump(dump, runtime).or_else(|| find_sccsid(&bytes)).ok_or_else(|| {
            DacTableError::VersionUnknown {
                module: module.to_string(),
                tried: format!("no @(#)Version string in the module's dump memory or in {name}"),
            }
        })?,
    };
    let (list, label) = names::select(&version, target).ok_or_else(|| DacTableError::UnsupportedVersion {
        module: module.to_string(),
        version: version.to_string(),
        target: target.to_string(),
        known: names::known(),
    })?;
    if !elf.has_symbols() {
        return Err(DacTableError::SymbolNotFound { path, symbol: "g_dacTable" });
    }
    let sym = elf
        .symbol("g_dacTable")
        .ok_or_else(|| DacTableError::SymbolNotFound { path: path.clone(), symbol: "g_dacTable" })?;
    let count = list.num_globals() + list.num_vptrs();
    let len = u64::from(count) * 4;
    if sym.size != 0 && sym.size != len {
        return Err(DacTableError::Inconsistent {
            module: module.to_string(),
            name: "g_dacTable".into(),
            rva: sym.value,
            reason: format!("the symbol is {} bytes, the {label} list needs {len}", sym.size),
        });
    }
    // The runtime stores `&var - base`, base = where the lowest segment is
    // mapped = the dump's module base.
    let bias = runtime.base.wrapping_sub(elf.load_start);
    let at = bias.wrapping_add(sym.value);
    let raw = dump.memory().read(at, len).map_err(|source| DacTableError::Memory {
        module: module.to_string(),
        what: "g_dacTable",
        address: at,
        source,
    })?;
    let rvas: Vec<u32> = raw.chunks_exact(4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect();
    let image_size = elf.load_end.saturating_sub(elf.load_start);
    let mut table = name_entries(list, &rvas, runtime.base, module, image_size)?;
    if table.address("ThreadStore::s_pThreadStore").is_none() {
        return Err(DacTableError::Inconsistent {
            module: module.to_string(),
            name: "ThreadStore::s_pThreadStore".into(),
            rva: 0,
            reason: "slot is 0: g_dacTable was not filled (runtime not started?)".into(),
        });
    }
    table.symbol_checked = cross_check(&elf, &table, module)?;
    table.source = TableSource::ElfSymbol { file: path };
    table.target = target;
    table.version = version;
    table.names_from = label;
    Ok(table)
}

/// Compares every variable and vtable with the ELF symbol of the same name;
/// returns how many were confirmed.
fn cross_check(elf: &ElfFile<'_>, table: &DacTable, module: &str) -> Result<usize, DacTableError> {
    let vars: Vec<(String, &DacEntry, u64)> =
        table.entries.iter().map(|e| (mangle_variable(e.name), e, 0)).collect();
    let vtabs: Vec<(String, &DacEntry, u64)> =
        table.vtables.iter().map(|e| (mangle_vtable(e.name), e, 16)).collect();
    let all: Vec<&(String, &DacEntry, u64)> = vars.iter().chain(vtabs.iter()).collect();
    let wanted: Vec<&str> = all.iter().map(|(m, _, _)| m.as_str()).collect();
    let found = elf.symbols(&wanted);
    let mut checked = 0usize;
    for (mangled, e, point) in all {
        let Some(sym) = found.get(mangled) else { continue };
        let value = sym.value.wrapping_add(*point).wrapping_sub(elf.load_start);
        if value != u64::from(e.rva) {
            return Err(DacTableError::SymbolMismatch {
                module: module.to_string(),
                name: e.name,
                symbol: mangled.clone(),
                table: u64::from(e.rva),
                value,
            });
        }
        checked += 1;
    }
    Ok(checked)
}
