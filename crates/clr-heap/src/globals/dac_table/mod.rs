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
//!   is local, so `.symtab` is needed), read by [`elf_symbols`]; its values
//!   are read from dump memory.
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
//! PE headers, sections and the resource lookup are [`crate::pe`]'s; the
//! version string is [`discover`]'s.
//!
//! ```no_run
//! use clr_heap::globals::dac_table::read_dac_table;
//! let dump = dump_format::Dump::open("core")?;
//! let clr = dump.modules().iter().find(|m| m.file_name() == "libcoreclr.so").ok_or("not a .NET process")?;
//! let table = read_dac_table(&dump, clr, None)?;
//! println!("{:#x}", table.address("ThreadStore::s_pThreadStore").unwrap_or(0));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod error;
mod lists;
pub mod names;

pub use crate::runtime::discover::RuntimeVersion;
pub use error::DacTableError;
pub use names::{NameList, Target};

use super::elf_symbols::{self, RuntimeBinary, SymbolRouteError, mangle_variable, mangle_vtable};
use crate::pe::{self, ImageSource, Layout, PeError, PeImage, ResourceKey};
use crate::runtime::discover;
use dump_format::{Dump, Memory, ModuleRecord, ReadError};
use std::cell::RefCell;
use std::path::{Path, PathBuf};

/// Size of the Windows resource's header: two counts and a 16-byte id.
const HEADER_SIZE: usize = 24;
/// Largest table accepted (CoreCLR's are under 1 KiB).
const MAX_TABLE: u32 = 1 << 20;
/// The DAC table's resource name (CoreCLR `src/inc/daccess.h`).
const DAC_RESOURCE_NAME: &str = "COREXTERNALDATAACCESSRESOURCE";
/// `e_machine` of x86-64.
const EM_X86_64: u16 = 62;

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
    read(dump, runtime, OnDisk::Path(runtime_file), version)
}

/// As [`read_dac_table_with_version`], with the runtime binary already read
/// ([`elf_symbols::load`]), so that it is not read from disk again. Its
/// build id is still checked against the dumped module.
pub fn read_dac_table_with_binary(
    dump: &Dump,
    runtime: &ModuleRecord,
    binary: &RuntimeBinary,
    version: Option<&RuntimeVersion>,
) -> Result<DacTable, DacTableError> {
    read(dump, runtime, OnDisk::Loaded(binary), version)
}

/// The runtime binary on disk: a path to read (the dump's module path when
/// `None`), or the file already read.
#[derive(Clone, Copy)]
enum OnDisk<'a> {
    Path(Option<&'a Path>),
    Loaded(&'a RuntimeBinary),
}

fn read(
    dump: &Dump,
    runtime: &ModuleRecord,
    on_disk: OnDisk<'_>,
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
    if is_elf { read_elf(dump, runtime, on_disk, version) } else { read_pe(dump, runtime, on_disk, version) }
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
    let image = PeImage::parse(bytes, Layout::File).map_err(|e| image_error(name, bytes, e))?;
    table_from_pe(bytes, &image, name, base, version, false)
}

/// Dump memory as a mapped image. It keeps the memory layer's error of a
/// failed read, so that an uncaptured page stays a typed
/// [`DacTableError::Memory`] (the case where the file on disk is worth trying).
struct DumpImage<'a> {
    mem: Memory<'a>,
    base: u64,
    failed: RefCell<Option<(u64, ReadError)>>,
}

impl ImageSource for DumpImage<'_> {
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<(), String> {
        *self.failed.borrow_mut() = None;
        let address = self
            .base
            .checked_add(offset)
            .ok_or_else(|| format!("{:#x} + {offset:#x} overflows the address space", self.base))?;
        self.mem.read_into(address, buf).map_err(|e| {
            let reason = e.to_string();
            *self.failed.borrow_mut() = Some((address, e));
            reason
        })
    }
}

/// An image source that can say which read failed, in the memory layer's terms.
trait Source: ImageSource {
    /// The address and error of the last read, if it failed and the source is dump memory.
    fn failure(&self) -> Option<(u64, ReadError)>;
}

impl Source for [u8] {
    fn failure(&self) -> Option<(u64, ReadError)> {
        None
    }
}

impl Source for DumpImage<'_> {
    fn failure(&self) -> Option<(u64, ReadError)> {
        self.failed.borrow().clone()
    }
}

/// The route's error for a [`PeError`] of `module`'s image: a read dump
/// memory could not serve is [`DacTableError::Memory`], an absent resource
/// [`DacTableError::ResourceNotFound`], anything else [`DacTableError::Pe`].
fn image_error(module: &str, src: &(impl Source + ?Sized), e: PeError) -> DacTableError {
    let module = module.to_string();
    match (e, src.failure()) {
        (PeError::Unavailable { what, .. }, Some((address, source))) => {
            DacTableError::Memory { module, what, address, source }
        }
        (PeError::NoResource { detail }, _) => DacTableError::ResourceNotFound { module, detail },
        (source, _) => DacTableError::Pe { module, source },
    }
}

fn read_pe(
    dump: &Dump,
    runtime: &ModuleRecord,
    on_disk: OnDisk<'_>,
    version: Option<&RuntimeVersion>,
) -> Result<DacTable, DacTableError> {
    let module = runtime.path.as_str();
    let given = version.cloned().or_else(|| runtime.file_version.map(RuntimeVersion::new));
    let img = DumpImage { mem: dump.memory(), base: runtime.base, failed: RefCell::new(None) };
    let from_dump = PeImage::parse(&img, Layout::Mapped)
        .map_err(|e| image_error(module, &img, e))
        .and_then(|image| table_from_pe(&img, &image, module, runtime.base, given.as_ref(), true));
    let in_dump = match from_dump {
        Ok(t) => return Ok(t),
        Err(e) if e.is_not_captured() => e,
        Err(e) => return Err(e),
    };
    let on_disk = match on_disk {
        OnDisk::Path(None) => Err(DacTableError::File {
            path: PathBuf::from(&runtime.path),
            reason: "not captured in the dump and no runtime file was given".into(),
        }),
        OnDisk::Path(Some(path)) => elf_symbols::read_file(path)
            .map_err(|reason| DacTableError::File { path: path.to_path_buf(), reason })
            .and_then(|bytes| pe_from_file(&bytes, path, runtime, given.as_ref())),
        OnDisk::Loaded(binary) => pe_from_file(binary.bytes(), &binary.path, runtime, given.as_ref()),
    };
    let on_disk = match on_disk {
        Ok(t) => return Ok(t),
        Err(e) => e,
    };
    Err(DacTableError::BothFailed {
        module: module.to_string(),
        in_dump: Box::new(in_dump),
        on_disk: Box::new(on_disk),
    })
}

fn pe_from_file(
    bytes: &[u8],
    path: &Path,
    runtime: &ModuleRecord,
    version: Option<&RuntimeVersion>,
) -> Result<DacTable, DacTableError> {
    let name = path.display().to_string();
    let image = PeImage::parse(bytes, Layout::File).map_err(|e| image_error(&name, bytes, e))?;
    let wrong = |reason: String| DacTableError::WrongFile { path: path.to_path_buf(), reason };
    if let Some(ts) = runtime.timestamp.filter(|&ts| ts != image.timestamp) {
        return Err(wrong(format!("PE timestamp {:#x}, the dump's module has {ts:#x}", image.timestamp)));
    }
    if runtime.size != 0 && runtime.size != u64::from(image.size_of_image) {
        return Err(wrong(format!(
            "SizeOfImage {:#x}, the dump's module spans {:#x}",
            image.size_of_image, runtime.size
        )));
    }
    table_from_pe(bytes, &image, &name, runtime.base, version, false)
}

/// The whole Windows route over one image: target, version, names,
/// resource, header checks, section checks.
fn table_from_pe(
    src: &(impl Source + ?Sized),
    image: &PeImage,
    module: &str,
    base: u64,
    version: Option<&RuntimeVersion>,
    in_dump: bool,
) -> Result<DacTable, DacTableError> {
    let img_err = |e: PeError| image_error(module, src, e);
    let module = module.to_string();
    let target = match image.machine {
        pe::MACHINE_AMD64 => Target::WindowsX64,
        pe::MACHINE_I386 => Target::WindowsX86,
        m => {
            return Err(DacTableError::UnsupportedTarget { module, reason: format!("PE machine {m:#x}") });
        }
    };
    let version = match version {
        Some(v) => v.clone(),
        None => RuntimeVersion::new(image.file_version(src).map_err(|e| DacTableError::VersionUnknown {
            module: module.clone(),
            tried: format!("no file version in the dump's module list; version resource: {}", img_err(e)),
        })?),
    };
    let (list, label) = names::select(&version, target).ok_or_else(|| DacTableError::UnsupportedVersion {
        module: module.clone(),
        version: version.to_string(),
        target: target.to_string(),
        known: names::known(),
    })?;

    let res = image
        .find_resource(src, ResourceKey::Id(pe::RT_RCDATA), Some(ResourceKey::Name(DAC_RESOURCE_NAME)))
        .map_err(img_err)?;
    let at = format!("RVA {:#x}", res.rva);
    if (res.size as usize) < HEADER_SIZE || res.size > MAX_TABLE {
        return Err(error::malformed(&module, "DAC table resource", at, format!("size {} bytes", res.size)));
    }
    let bytes = image.read(src, res.rva, res.size, "DAC table resource").map_err(img_err)?;
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
    if id[0] != image.timestamp {
        return Err(DacTableError::Inconsistent {
            module,
            name: "header".into(),
            rva: u64::from(res.rva),
            reason: format!("table id {:#x} is not the image's PE timestamp {:#x}", id[0], image.timestamp),
        });
    }
    let rvas: Vec<u32> = (0..count as usize).filter_map(|i| word(6 + i)).collect();
    let mut table = name_entries(list, &rvas, base, &module, u64::from(image.size_of_image))?;
    // The boundary between variables and functions is checked by where
    // each entry lands: code for functions, anything else for the rest.
    for (kind, group) in
        [("variable", &table.entries), ("function", &table.functions), ("vtable", &table.vtables)]
    {
        for e in group {
            let sect = image.section_at(e.rva);
            let ok = match (kind, sect) {
                (_, None) => false,
                ("function", Some(s)) => s.is_code(),
                (_, Some(s)) => !s.is_code(),
            };
            if !ok {
                let place = sect.map_or_else(|| "no section".to_string(), |s| format!("section {}", s.name));
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
    on_disk: OnDisk<'_>,
    version: Option<&RuntimeVersion>,
) -> Result<DacTable, DacTableError> {
    let module = runtime.path.as_str();
    let read;
    let elf = match on_disk {
        OnDisk::Loaded(binary) => binary,
        OnDisk::Path(file) => {
            let path = file.map_or_else(|| PathBuf::from(&runtime.path), Path::to_path_buf);
            read = RuntimeBinary::read(&path).map_err(binary_error)?;
            &read
        }
    };
    let path = elf.path.clone();
    let name = path.display().to_string();
    let Some(machine) = elf.elf_machine else {
        return Err(error::malformed(&name, "ELF identification", "file offset 0x0".into(), "no ELF magic"));
    };
    if elf.load_end <= elf.load_start {
        return Err(error::malformed(&name, "program headers", "the file".into(), "no PT_LOAD segment"));
    }
    elf.check_build(runtime).map_err(binary_error)?;
    let target = match machine {
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
        None => discover::sccsid_in_dump(dump, runtime)
            .or_else(|| discover::find_sccsid(elf.bytes()))
            .ok_or_else(|| DacTableError::VersionUnknown {
                module: module.to_string(),
                tried: format!("no @(#)Version string in the module's dump memory or in {name}"),
            })?,
    };
    let (list, label) = names::select(&version, target).ok_or_else(|| DacTableError::UnsupportedVersion {
        module: module.to_string(),
        version: version.to_string(),
        target: target.to_string(),
        known: names::known(),
    })?;
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
    table.symbol_checked = cross_check(elf, &table, module)?;
    table.source = TableSource::ElfSymbol { file: path };
    table.target = target;
    table.version = version;
    table.names_from = label;
    Ok(table)
}

/// Compares every variable and vtable with the ELF symbol of the same name;
/// returns how many were confirmed.
fn cross_check(elf: &RuntimeBinary, table: &DacTable, module: &str) -> Result<usize, DacTableError> {
    let vars = table.entries.iter().map(|e| (mangle_variable(e.name), e, 0u64));
    let all = vars.chain(table.vtables.iter().map(|e| (mangle_vtable(e.name), e, 16)));
    let mut checked = 0usize;
    for (mangled, e, point) in all {
        let Some(sym) = elf.symbol(&mangled) else { continue };
        let value = sym.value.wrapping_add(point).wrapping_sub(elf.load_start);
        if value != u64::from(e.rva) {
            return Err(DacTableError::SymbolMismatch {
                module: module.to_string(),
                name: e.name,
                symbol: mangled,
                table: u64::from(e.rva),
                value,
            });
        }
        checked += 1;
    }
    Ok(checked)
}

/// The route's error for the runtime binary's: unreadable → [`DacTableError::File`],
/// another build → [`DacTableError::WrongFile`], damaged → [`DacTableError::Malformed`].
fn binary_error(e: SymbolRouteError) -> DacTableError {
    match e {
        SymbolRouteError::WrongBuild { path, found, expected } => DacTableError::WrongFile {
            path,
            reason: format!("build id {found}, the dump's module has {expected}"),
        },
        SymbolRouteError::Malformed { path, reason } => {
            error::malformed(&path.display().to_string(), "object file", "its headers".into(), reason)
        }
        SymbolRouteError::Unreadable { path, reason } => DacTableError::File { path, reason },
        SymbolRouteError::NotFound(paths) => DacTableError::File {
            path: paths.into_iter().next().unwrap_or_default(),
            reason: "not found".into(),
        },
    }
}
