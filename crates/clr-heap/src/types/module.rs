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

use crate::metadata::Metadata;
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
        let name_ptr = mem.ptr(address + ptr).map_err(|source| crate::ClrError::Read {
            what: format!("Module.m_pSimpleName of {address:#x}"),
            source,
        })?;
        let simple_name = read_utf8(&mem, name_ptr).map_err(|reason| crate::ClrError::Invalid {
            what: "Module",
            address,
            reason: format!("m_pSimpleName {name_ptr:#x}: {reason}"),
        })?;
        let (dump_module, tried_dump) = match image_containing(dump, name_ptr) {
            Some(m) => (Some(m.clone()), true),
            // Not mapped from a file (or the module list lacks it): match by name.
            None => (by_file_stem(dump, &simple_name).cloned(), false),
        };
        let mut why = Vec::new();
        let mut found = None;
        if let Some(m) = &dump_module {
            if !tried_dump {
                why.push(format!(
                    "the simple name at {name_ptr:#x} lies in no listed image; matched {} by name",
                    m.path
                ));
            }
            for layout in [PeLayout::Mapped, PeLayout::File] {
                match metadata_from_memory(&mem, m.base, layout) {
                    Ok(md) => match identity(&md, &simple_name) {
                        Ok(()) => {
                            let route = if layout == PeLayout::Mapped {
                                ImageRoute::DumpMapped { base: m.base }
                            } else {
                                ImageRoute::DumpFlat { base: m.base }
                            };
                            found = Some((route, md));
                            break;
                        }
                        Err(e) => why.push(format!("{layout:?} image at {:#x}: {e}", m.base)),
                    },
                    Err(e) => why.push(format!("{layout:?} image at {:#x}: {e}", m.base)),
                }
            }
        } else {
            why.push(format!("no module of the dump holds {simple_name:?} (name pointer {name_ptr:#x})"));
        }
        if found.is_none() {
            for path in file_candidates(dump_module.as_ref(), &simple_name, assembly_dirs) {
                if !path.is_file() {
                    continue;
                }
                match metadata_from_file(&path).and_then(|md| identity(&md, &simple_name).map(|()| md)) {
                    Ok(md) => {
                        found = Some((ImageRoute::File { path }, md));
                        break;
                    }
                    Err(e) => why.push(format!("{}: {e}", path.display())),
                }
            }
        }
        let (route, metadata) = match found {
            Some((route, md)) => (Ok(route), md),
            None => {
                why.push("no assembly file found (pass its folder as an assembly dir)".into());
                (Err(why.join("; ")), Vec::new())
            }
        };
        Ok(ModuleInfo { address, simple_name, dump_module, route, metadata })
    }
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

/// The listed image nearest below `addr` whose PE header says it extends
/// past `addr`. Module-list sizes of ELF cores cover only the first file
/// mapping (the loader maps the other sections separately, some as
/// anonymous `/dev/zero` memory that the list also names), so the header's
/// `SizeOfImage` decides, and mappings without a PE header are skipped; when
/// no header is captured, the listed size decides.
fn image_containing(dump: &Dump, addr: u64) -> Option<&ModuleRecord> {
    let mem = dump.memory();
    let mut below: Vec<&ModuleRecord> = dump.modules().iter().filter(|m| m.base <= addr).collect();
    below.sort_by_key(|m| std::cmp::Reverse(m.base));
    let mut by_listed_size = None;
    for m in below.into_iter().take(NEAREST_MODULES) {
        let source =
            FnSource(|off: u64, buf: &mut [u8]| mem.read_into(m.base + off, buf).map_err(|e| e.to_string()));
        match PeImage::parse(&source, PeLayout::Mapped) {
            Ok(pe) if addr < m.base.saturating_add(u64::from(pe.size_of_image).max(m.size)) => {
                return Some(m);
            }
            Ok(_) => {}
            Err(_) if addr < m.end() && by_listed_size.is_none() => by_listed_size = Some(m),
            Err(_) => {}
        }
    }
    by_listed_size
}

/// The listed module whose file stem is `name` (case-insensitive).
fn by_file_stem<'d>(dump: &'d Dump, name: &str) -> Option<&'d ModuleRecord> {
    dump.modules().iter().find(|m| {
        let file = m.file_name();
        let stem = file.rsplit_once('.').map_or(file, |(s, _)| s);
        stem.eq_ignore_ascii_case(name)
    })
}

fn metadata_from_memory(mem: &Memory, base: u64, layout: PeLayout) -> Result<Vec<u8>, String> {
    let source = FnSource(|off: u64, buf: &mut [u8]| {
        let at = base.checked_add(off).ok_or("address overflows")?;
        mem.read_into(at, buf).map_err(|e| e.to_string())
    });
    let pe = PeImage::parse(&source, layout).map_err(|e| e.to_string())?;
    pe.read_metadata(&source).map_err(|e| e.to_string())
}

fn metadata_from_file(path: &Path) -> Result<Vec<u8>, String> {
    let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
    let pe = PeImage::parse(bytes.as_slice(), PeLayout::File).map_err(|e| e.to_string())?;
    pe.read_metadata(bytes.as_slice()).map_err(|e| e.to_string())
}

/// The metadata must name the same assembly (or module) as the runtime does.
fn identity(md: &[u8], simple_name: &str) -> Result<(), String> {
    let md = Metadata::parse(md).map_err(|e| e.to_string())?;
    let assembly = md.assembly().map_err(|e| e.to_string())?.map(|a| a.name.into_owned());
    if assembly.as_deref().is_some_and(|a| a.eq_ignore_ascii_case(simple_name)) {
        return Ok(());
    }
    let module = md.module_name().map_err(|e| e.to_string())?;
    let stem = module.rsplit_once('.').map_or(&*module, |(s, _)| s);
    if stem.eq_ignore_ascii_case(simple_name) {
        return Ok(());
    }
    Err(format!("its metadata names assembly {assembly:?} / module {module:?}, the runtime {simple_name:?}"))
}

/// Files that may hold the image: the dump's path, then the same file name
/// (or the simple name with `.dll`/`.exe`) in each assembly dir.
fn file_candidates(module: Option<&ModuleRecord>, simple_name: &str, dirs: &[PathBuf]) -> Vec<PathBuf> {
    let mut names = Vec::new();
    let mut out = Vec::new();
    if let Some(m) = module {
        out.push(PathBuf::from(&m.path));
        names.push(m.file_name().to_string());
    }
    names.push(format!("{simple_name}.dll"));
    names.push(format!("{simple_name}.exe"));
    for dir in dirs {
        for n in &names {
            out.push(dir.join(n));
        }
    }
    out.dedup();
    out
}
