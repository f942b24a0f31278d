//! Runtime `Module` → the image that holds its metadata (reference §4).
//!
//! A `Module` starts with a vtable, then `m_pSimpleName` (UTF-8) at `+ptr`
//! (reference §4.1). For images the loader mapped, that pointer lies inside
//! the image's `#Strings` heap, so the dump module whose range contains it
//! *is* the module's image — no further runtime offsets needed. The routes,
//! tried in order, each reporting why it failed:
//!
//! 1. **dump, mapped layout** — the image in dump memory as the loader mapped
//!    it (RVA == offset from the base);
//! 2. **dump, flat layout** — the same memory read as a file image (the
//!    loader may copy an assembly flat instead of mapping it);
//! 3. **file** — the path the dump's module list gives, then a file of the
//!    same name in each `Options::assembly_dirs` (partial dumps leave image
//!    pages out; Windows paths do not exist on Linux).
//!
//! Whatever route answers, the metadata's assembly (or module) name must be
//! the runtime's simple name: that is the identity check of the match.

use crate::metadata::{Metadata, TableId};
use crate::pe::{FnSource, Layout as PeLayout, PeImage};
use dump_format::{Dump, Memory, ModuleRecord};
use std::path::{Path, PathBuf};

/// Longest simple name accepted (assembly names are short; a runaway read is corrupt).
const MAX_NAME: usize = 1024;

/// How a module's metadata was obtained.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageRoute {
    /// Read from dump memory in the mapped (loaded) layout at `base`.
    DumpMapped {
        /// Image base in the process.
        base: u64,
    },
    /// Read from dump memory in the file (flat) layout at `base`.
    DumpFlat {
        /// Where the flat copy starts.
        base: u64,
    },
    /// Read from a file on this machine.
    File {
        /// The file read.
        path: PathBuf,
    },
}

impl std::fmt::Display for ImageRoute {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ImageRoute::DumpMapped { base } => write!(f, "dump memory, mapped image at {base:#x}"),
            ImageRoute::DumpFlat { base } => write!(f, "dump memory, flat image at {base:#x}"),
            ImageRoute::File { path } => write!(f, "file {}", path.display()),
        }
    }
}

/// A runtime `Module` and its metadata, found once and cached.
#[derive(Debug)]
pub struct ModuleInfo {
    /// Address of the runtime `Module`.
    pub address: u64,
    /// `m_pSimpleName`: the assembly's simple name (e.g. `System.Private.CoreLib`).
    pub simple_name: String,
    /// The image as the dump's module list names it, when matched.
    pub dump_module: Option<ModuleRecord>,
    /// How the metadata was read, or why every route failed.
    pub route: Result<ImageRoute, String>,
    /// Whether `m_pSimpleName` points at the assembly name inside the image
    /// (reference §4.1): the identity proof of the match.
    pub name_in_image: bool,
    /// The metadata blob (starts with `BSJB`); empty when `route` failed.
    metadata: Vec<u8>,
}

impl ModuleInfo {
    /// The module's path: the dump's, else the file read, else the simple name.
    pub fn path(&self) -> String {
        match (&self.dump_module, &self.route) {
            (Some(m), _) => m.path.clone(),
            (None, Ok(ImageRoute::File { path })) => path.display().to_string(),
            _ => self.simple_name.clone(),
        }
    }

    /// The parsed metadata, or why there is none.
    pub fn metadata(&self) -> crate::Result<Metadata<'_>> {
        if let Err(reason) = &self.route {
            return Err(crate::ClrError::Metadata {
                module: self.simple_name.clone(),
                reason: reason.clone(),
            });
        }
        Metadata::parse(&self.metadata).map_err(|e| crate::ClrError::Metadata {
            module: self.simple_name.clone(),
            reason: e.to_string(),
        })
    }

    /// Opens the module at `address`: reads its simple name, then finds its
    /// image by the routes of the module documentation.
    pub fn open(dump: &Dump, ptr: u64, assembly_dirs: &[PathBuf], address: u64) -> crate::Result<ModuleInfo> {
        let mem = dump.memory();
        let name_ptr = mem.ptr(address.wrapping_add(ptr)).map_err(|source| crate::ClrError::Read {
            what: format!("Module.m_pSimpleName of {address:#x}"),
            source,
        })?;
        if name_ptr == 0 {
            return Err(crate::ClrError::Invalid {
                what: "Module",
                address,
                reason: "m_pSimpleName is NULL".into(),
            });
        }
        // Partial dumps may leave the name's page out: then the image found
        // at the name's address supplies it, identified by that address.
        let direct = read_utf8(&mem, name_ptr);
        let known = direct.as_ref().ok().map(String::as_str);
        let mut why = Vec::new();
        if let Err(e) = &direct {
            why.push(format!("simple name at {name_ptr:#x}: {e}"));
        }
        // Dump memory of every candidate before any file: a file proves less.
        let cands = candidates(dump, name_ptr, known);
        for from_files in [false, true] {
            for &m in &cands {
                for (route, blob) in images(&mem, m, known, assembly_dirs, from_files, &mut why) {
                    match identify(&blob, known, name_ptr, m.base, &route) {
                        Ok((simple_name, name_in_image)) => {
                            return Ok(ModuleInfo {
                                address,
                                simple_name,
                                dump_module: Some(m.clone()),
                                route: Ok(route),
                                name_in_image,
                                metadata: blob.bytes,
                            });
                        }
                        Err(e) => why.push(format!("{route}: {e}")),
                    }
                }
            }
        }
        let Ok(simple_name) = direct else {
            return Err(crate::ClrError::Invalid { what: "Module", address, reason: why.join("; ") });
        };
        why.push("no image found (pass the assembly's folder as an assembly dir)".into());
        Ok(ModuleInfo {
            address,
            simple_name,
            dump_module: None,
            route: Err(why.join("; ")),
            name_in_image: false,
            metadata: Vec::new(),
        })
    }
}

/// A metadata blob and where its assembly name lies relative to the image base.
struct Blob {
    bytes: Vec<u8>,
    /// Offset from the base at which the loaded layout holds the assembly
    /// name (`None` when the metadata has no Assembly row).
    name_offset: Option<u64>,
}

/// The listed modules that may be the image holding `name_ptr`: the
/// nearest ones at or below it (the list names anonymous section mappings
/// too), and the one whose file is called like the simple name.
fn candidates<'d>(dump: &'d Dump, name_ptr: u64, simple_name: Option<&str>) -> Vec<&'d ModuleRecord> {
    let mut below: Vec<&ModuleRecord> = dump.modules().iter().filter(|m| m.base <= name_ptr).collect();
    below.sort_by_key(|m| std::cmp::Reverse(m.base));
    below.truncate(NEAREST_MODULES);
    if let Some(m) = simple_name.and_then(|n| by_file_stem(dump, n)) {
        if !below.iter().any(|b| b.base == m.base) {
            below.push(m);
        }
    }
    below
}

/// The module's metadata by every route of one kind (dump memory, or
/// files) that yields one, in order.
fn images(
    mem: &Memory,
    m: &ModuleRecord,
    simple_name: Option<&str>,
    dirs: &[PathBuf],
    from_files: bool,
    why: &mut Vec<String>,
) -> Vec<(ImageRoute, Blob)> {
    let mut out = Vec::new();
    if from_files {
        for path in file_candidates(m, simple_name, dirs) {
            if path.is_file() {
                match blob_from_file(&path) {
                    Ok(b) => out.push((ImageRoute::File { path }, b)),
                    Err(e) => why.push(format!("{}: {e}", path.display())),
                }
            }
        }
        return out;
    }
    for layout in [PeLayout::Mapped, PeLayout::File] {
        match blob_from_memory(mem, m.base, layout) {
            Ok(b) => {
                let route = if layout == PeLayout::Mapped {
                    ImageRoute::DumpMapped { base: m.base }
                } else {
                    ImageRoute::DumpFlat { base: m.base }
                };
                out.push((route, b));
            }
            Err(e) => why.push(format!("{layout:?} image at {:#x} ({}): {e}", m.base, m.file_name())),
        }
    }
    out
}

/// Reads a NUL-terminated UTF-8 string of at most [`MAX_NAME`] bytes.
pub(crate) fn read_utf8(mem: &Memory, addr: u64) -> Result<String, String> {
    if addr == 0 {
        return Err("NULL".into());
    }
    let avail = mem.readable_len(addr).min(MAX_NAME as u64);
    let bytes = mem.read(addr, avail).map_err(|e| e.to_string())?;
    let end = bytes.iter().position(|&b| b == 0).ok_or("no terminating NUL within 1024 bytes")?;
    let s = std::str::from_utf8(&bytes[..end]).map_err(|e| e.to_string())?;
    if s.is_empty() || s.chars().any(char::is_control) {
        return Err(format!("{s:?} is not a name"));
    }
    Ok(s.to_string())
}

/// How many listed modules below an address are tried as its image.
const NEAREST_MODULES: usize = 8;

/// The listed module whose file stem is `name` (case-insensitive).
fn by_file_stem<'d>(dump: &'d Dump, name: &str) -> Option<&'d ModuleRecord> {
    dump.modules().iter().find(|m| {
        let file = m.file_name();
        let stem = file.rsplit_once('.').map_or(file, |(s, _)| s);
        stem.eq_ignore_ascii_case(name)
    })
}

fn blob_from_memory(mem: &Memory, base: u64, layout: PeLayout) -> Result<Blob, String> {
    let source = FnSource(|off: u64, buf: &mut [u8]| {
        let at = base.checked_add(off).ok_or("address overflows")?;
        mem.read_into(at, buf).map_err(|e| e.to_string())
    });
    let pe = PeImage::parse(&source, layout).map_err(|e| e.to_string())?;
    let bytes = pe.read_metadata(&source).map_err(|e| e.to_string())?;
    // In a flat copy the name sits at its file offset, in a mapped one at its RVA.
    let name_offset = name_rva(&pe, &bytes).and_then(|rva| match layout {
        PeLayout::Mapped => Some(u64::from(rva)),
        PeLayout::File => pe.rva_to_offset(rva, 1, "assembly name").ok(),
    });
    Ok(Blob { bytes, name_offset })
}

fn blob_from_file(path: &Path) -> Result<Blob, String> {
    let file = std::fs::read(path).map_err(|e| e.to_string())?;
    let pe = PeImage::parse(file.as_slice(), PeLayout::File).map_err(|e| e.to_string())?;
    let bytes = pe.read_metadata(file.as_slice()).map_err(|e| e.to_string())?;
    // The process maps the file: the name sits at its RVA from the base.
    let name_offset = name_rva(&pe, &bytes).map(u64::from);
    Ok(Blob { bytes, name_offset })
}

/// RVA of the assembly's name in the `#Strings` heap: metadata RVA +
/// stream offset + the Assembly row's name index.
fn name_rva(pe: &PeImage, md: &[u8]) -> Option<u32> {
    let md_rva = pe.cli.as_ref()?.metadata.rva;
    let parsed = Metadata::parse(md).ok()?;
    let strings = parsed.root().stream("#Strings")?.offset;
    let index = parsed.tables().row(TableId::Assembly, 1).ok()?.col(7);
    md_rva.checked_add(strings)?.checked_add(index)
}

/// Whether a blob is the module's: its assembly (or module) name is the
/// runtime's simple name, and — the stronger check, the only one when the
/// name could not be read — the runtime's name pointer is the assembly
/// name's place in the loaded image. Returns the simple name and whether
/// the pointer check held.
fn identify(
    blob: &Blob,
    simple_name: Option<&str>,
    name_ptr: u64,
    base: u64,
    route: &ImageRoute,
) -> Result<(String, bool), String> {
    let md = Metadata::parse(&blob.bytes).map_err(|e| e.to_string())?;
    let assembly = md.assembly().map_err(|e| e.to_string())?.map(|a| a.name.into_owned());
    let at_name = blob.name_offset.is_some_and(|o| base.checked_add(o) == Some(name_ptr));
    match simple_name {
        Some(n) => {
            if assembly.as_deref().is_some_and(|a| a.eq_ignore_ascii_case(n)) || at_name {
                return Ok((n.to_string(), at_name));
            }
            let module = md.module_name().map_err(|e| e.to_string())?;
            let stem = module.rsplit_once('.').map_or(&*module, |(s, _)| s);
            if stem.eq_ignore_ascii_case(n) {
                return Ok((n.to_string(), at_name));
            }
            Err(format!("its metadata names assembly {assembly:?} / module {module:?}, the runtime {n:?}"))
        }
        None if at_name => assembly.map(|a| (a, true)).ok_or_else(|| "no Assembly row".into()),
        None => Err(format!(
            "the simple name is unreadable and its pointer {name_ptr:#x} is not the assembly name of this image ({route})"
        )),
    }
}

/// Files that may hold the image: the listed file's name (or the simple
/// name with `.dll`/`.exe`) in each assembly dir — the user's explicit
/// choice — then the path the dump gives.
fn file_candidates(m: &ModuleRecord, simple_name: Option<&str>, dirs: &[PathBuf]) -> Vec<PathBuf> {
    let mut names = vec![m.file_name().to_string()];
    if let Some(n) = simple_name {
        names.push(format!("{n}.dll"));
        names.push(format!("{n}.exe"));
    }
    let mut out: Vec<PathBuf> = dirs.iter().flat_map(|d| names.iter().map(move |n| d.join(n))).collect();
    out.push(PathBuf::from(&m.path));
    out.dedup();
    out
}
