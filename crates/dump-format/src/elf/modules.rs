//! Modules of an ELF core: the `NT_FILE` mappings grouped by path, with the
//! GNU build id read from the image's own note segment when the dump holds
//! the image's first page.

use super::file_note::MappedFile;
use super::header::{Class, FileHeader};
use super::notes::{self, NT_GNU_BUILD_ID};
use super::segments::{PT_LOAD, PT_NOTE};
use crate::memory::Memory;
use crate::model::{DebugId, ModuleRecord};
use crate::read::Bytes;
use std::collections::HashMap;

/// Largest note segment read from process memory while looking for a build
/// id; real ones are a few hundred bytes.
const MAX_NOTE_SEGMENT: u64 = 4 << 10;
/// Largest program header table read from process memory (real ones hold
/// about a dozen entries).
const MAX_PHDR_TABLE: u64 = 16 << 10;
/// Bytes of image headers and notes inspected over all modules. Real
/// processes use a few KiB per module; the cap keeps a damaged `NT_FILE`
/// listing a hundred thousand images from costing more than this.
const INSPECT_BUDGET: u64 = 64 << 20;

/// What the first bytes of a module say it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageKind {
    /// Starts with an ELF header.
    Elf,
    /// Starts with `MZ` (a PE file mapped by the .NET runtime).
    Pe,
    /// Something else (a data file).
    Data,
    /// The first page is not in the dump.
    Unknown,
}

/// A module built from `NT_FILE`, with what its first page showed.
#[derive(Debug, Clone)]
pub struct Module {
    /// The neutral record.
    pub record: ModuleRecord,
    /// What the image header says it is.
    pub kind: ImageKind,
    /// True for the executable (the module holding `AT_ENTRY`).
    pub is_main: bool,
}

impl Module {
    /// True when the module is an executable image (ELF or PE): the main
    /// executable, else decided from its header when captured, else from its
    /// name.
    pub fn is_image(&self) -> bool {
        if self.is_main {
            return true;
        }
        match self.kind {
            ImageKind::Elf | ImageKind::Pe => true,
            ImageKind::Data => false,
            ImageKind::Unknown => looks_like_image(&self.record.path),
        }
    }
}

/// True when a path names a shared object or a PE image by its extension.
fn looks_like_image(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    let name = name.strip_suffix(" (deleted)").unwrap_or(name);
    name.ends_with(".so") || name.contains(".so.") || name.ends_with(".dll") || name.ends_with(".exe")
}

/// Groups the mappings by path (first appearance order): base is the lowest
/// start, size the highest end minus base. The module whose range holds
/// `entry` (the executable's `AT_ENTRY`) is moved first, as the main module.
pub fn build(files: &[MappedFile], mem: &Memory<'_>, entry: Option<u64>) -> Vec<Module> {
    let mut order: Vec<(String, u64, u64)> = Vec::new();
    let mut by_path: HashMap<&str, usize> = HashMap::new();
    for f in files {
        match by_path.get(f.path.as_str()) {
            Some(&i) => {
                let m = &mut order[i];
                m.1 = m.1.min(f.start);
                m.2 = m.2.max(f.end);
            }
            None => {
                by_path.insert(&f.path, order.len());
                order.push((f.path.clone(), f.start, f.end));
            }
        }
    }
    let mut budget = INSPECT_BUDGET;
    let mut out: Vec<Module> = order
        .into_iter()
        .map(|(path, base, end)| {
            let (kind, debug_id) =
                if budget > 0 { inspect(mem, base, &mut budget) } else { (ImageKind::Unknown, None) };
            Module {
                record: ModuleRecord {
                    path,
                    base,
                    size: end.saturating_sub(base),
                    timestamp: None,
                    checksum: None,
                    file_version: None,
                    product_version: None,
                    debug_id,
                },
                kind,
                is_main: false,
            }
        })
        .collect();
    if let Some(e) = entry {
        if let Some(i) = out.iter().position(|m| e >= m.record.base && e < m.record.end()) {
            let mut main = out.remove(i);
            main.is_main = true;
            out.insert(0, main);
        }
    }
    out
}

/// Looks at the first bytes of the module at `base`: its kind, and for an
/// ELF image its GNU build id when the dump holds the note.
fn inspect(mem: &Memory<'_>, base: u64, budget: &mut u64) -> (ImageKind, Option<DebugId>) {
    *budget = budget.saturating_sub(64);
    let Ok(head) = mem.read(base, 64) else {
        return match mem.read(base, 2) {
            Ok(h) if h.starts_with(b"MZ") => (ImageKind::Pe, None),
            Ok(_) => (ImageKind::Data, None),
            Err(_) => (ImageKind::Unknown, None),
        };
    };
    if head.starts_with(b"MZ") {
        return (ImageKind::Pe, None);
    }
    if !head.starts_with(b"\x7fELF") {
        return (ImageKind::Data, None);
    }
    (ImageKind::Elf, build_id(mem, base, &head, budget))
}

/// Finds `NT_GNU_BUILD_ID` in the `PT_NOTE` segments of the ELF image whose
/// header `head` was read at `base`.
fn build_id(mem: &Memory<'_>, base: u64, head: &[u8], budget: &mut u64) -> Option<DebugId> {
    let hb = Bytes::new(head, 0, "module ELF header");
    let class = match hb.u8(4).ok()? {
        1 => Class::Elf32,
        2 => Class::Elf64,
        _ => return None,
    };
    let hdr = image_header(hb, class)?;
    let entsize = u64::from(hdr.phentsize);
    let table_len = hdr.phnum.checked_mul(entsize)?;
    if table_len == 0 || table_len > MAX_PHDR_TABLE {
        return None;
    }
    *budget = budget.saturating_sub(table_len);
    let table = mem.read(base.checked_add(hdr.phoff)?, table_len).ok()?;
    let mut warnings = Vec::new();
    let mut fake = hdr;
    fake.phoff = 0;
    let phdrs = super::segments::parse(&table, &fake, &mut warnings).ok()?;
    // Load bias: where the image's first loadable segment (the one mapping
    // file offset 0, normally) was put, relative to its link address.
    let first = phdrs.iter().find(|p| p.p_type == PT_LOAD)?;
    let link_base = first.vaddr.wrapping_sub(first.offset);
    let bias = base.wrapping_sub(link_base);
    for p in phdrs.iter().filter(|p| p.p_type == PT_NOTE) {
        let len = p.filesz.min(MAX_NOTE_SEGMENT).min(*budget);
        *budget -= len;
        let Ok(seg) = mem.read(bias.wrapping_add(p.vaddr), len) else {
            continue;
        };
        let (found, _) = notes::walk(Bytes::new(&seg, 0, "module note"), p.align);
        if let Some(n) =
            found.iter().find(|n| n.owner == b"GNU" && n.kind == NT_GNU_BUILD_ID && !n.desc.is_empty())
        {
            return Some(DebugId::BuildId(n.desc.data().to_vec()));
        }
    }
    None
}

/// The program-header fields of an image's ELF header (any `e_type`).
fn image_header(hb: Bytes<'_>, class: Class) -> Option<FileHeader> {
    let (phoff, phentsize, phnum) = match class {
        Class::Elf32 => (u64::from(hb.u32(28).ok()?), hb.u16(42).ok()?, hb.u16(44).ok()?),
        Class::Elf64 => (hb.u64(32).ok()?, hb.u16(54).ok()?, hb.u16(56).ok()?),
    };
    Some(FileHeader {
        class,
        os_abi: hb.u8(7).ok()?,
        e_type: hb.u16(16).ok()?,
        machine: hb.u16(18).ok()?,
        phoff,
        phentsize,
        phnum: phnum.into(),
    })
}
