//! A small, bounds-checked ELF reader for the runtime binary on disk:
//! program headers (load span, GNU build id) and symbol lookup in
//! `.symtab` / `.dynsym`. Little-endian ELF32 and ELF64 only.

use super::error::{DacTableError, malformed};
use std::collections::{HashMap, HashSet};

const PT_LOAD: u32 = 1;
const PT_NOTE: u32 = 4;
const SHT_SYMTAB: u32 = 2;
const SHT_DYNSYM: u32 = 11;
const NT_GNU_BUILD_ID: u32 = 3;
const MAX_PHNUM: u16 = 4096;
/// Longest symbol name compared (CoreCLR's longest mangled names are ~300).
const MAX_NAME: usize = 4096;

/// A symbol's value and size as the file states them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Symbol {
    /// `st_value`: the virtual address in the file's own address space.
    pub value: u64,
    /// `st_size`.
    pub size: u64,
}

#[derive(Debug, Clone, Copy)]
struct SymTable {
    offset: usize,
    count: usize,
    entsize: usize,
    strings: (usize, usize),
}

/// A parsed ELF file.
#[derive(Debug)]
pub struct ElfFile<'a> {
    data: &'a [u8],
    name: String,
    is64: bool,
    /// `e_machine`.
    pub machine: u16,
    /// Lowest `p_vaddr` of a `PT_LOAD` segment, rounded down to its alignment page.
    pub load_start: u64,
    /// Highest `p_vaddr + p_memsz` of a `PT_LOAD` segment.
    pub load_end: u64,
    /// The GNU build id, when the file has one.
    pub build_id: Option<Vec<u8>>,
    tables: Vec<SymTable>,
}

/// `e_machine` of x86-64.
pub const EM_X86_64: u16 = 62;
/// `e_machine` of i386.
pub const EM_386: u16 = 3;

struct R<'a> {
    data: &'a [u8],
    name: &'a str,
}

impl R<'_> {
    fn bytes(&self, off: u64, len: u64, what: &'static str) -> Result<&[u8], DacTableError> {
        let end = off.checked_add(len);
        end.and_then(|e| self.data.get(usize::try_from(off).ok()?..usize::try_from(e).ok()?)).ok_or_else(
            || {
                malformed(
                    self.name,
                    what,
                    format!("file offset {off:#x}"),
                    format!("needs {len} bytes, file has {}", self.data.len()),
                )
            },
        )
    }
    fn u16(&self, off: u64, what: &'static str) -> Result<u16, DacTableError> {
        let b = self.bytes(off, 2, what)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }
    fn u32(&self, off: u64, what: &'static str) -> Result<u32, DacTableError> {
        let b = self.bytes(off, 4, what)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn u64(&self, off: u64, what: &'static str) -> Result<u64, DacTableError> {
        let b = self.bytes(off, 8, what)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_le_bytes(a))
    }
    /// A word: 8 bytes in ELF64, 4 in ELF32.
    fn word(&self, off: u64, is64: bool, what: &'static str) -> Result<u64, DacTableError> {
        if is64 { self.u64(off, what) } else { self.u32(off, what).map(u64::from) }
    }
}

impl<'a> ElfFile<'a> {
    /// Parses the headers of `data`; `name` names the file in errors.
    pub fn parse(data: &'a [u8], name: &str) -> Result<ElfFile<'a>, DacTableError> {
        let r = R { data, name };
        let id = r.bytes(0, 16, "ELF identification")?;
        if &id[..4] != b"\x7fELF" {
            return Err(malformed(name, "ELF identification", "file offset 0x0".into(), "no ELF magic"));
        }
        let is64 = match id[4] {
            1 => false,
            2 => true,
            c => {
                return Err(malformed(
                    name,
                    "ELF identification",
                    "file offset 0x4".into(),
                    format!("class {c}"),
                ));
            }
        };
        if id[5] != 1 {
            return Err(DacTableError::UnsupportedTarget {
                module: name.to_string(),
                reason: "big-endian ELF is not supported".into(),
            });
        }
        let w = if is64 { 8 } else { 4 };
        let machine = r.u16(18, "ELF header")?;
        // e_entry, e_phoff, e_shoff (words) from offset 24, then e_flags,
        // then e_ehsize and the four 16-bit sizes and counts.
        let phoff = r.word(24 + w, is64, "ELF header")?;
        let shoff = r.word(24 + 2 * w, is64, "ELF header")?;
        let base = 24 + 3 * w + 4; // e_ehsize
        let phentsize = u64::from(r.u16(base + 2, "ELF header")?);
        let phnum = r.u16(base + 4, "ELF header")?;
        let shentsize = u64::from(r.u16(base + 6, "ELF header")?);
        let shnum = u64::from(r.u16(base + 8, "ELF header")?);

        let mut load_start = u64::MAX;
        let mut load_end = 0u64;
        let mut build_id = None;
        let min_ph = if is64 { 56 } else { 32 };
        if phnum > MAX_PHNUM || (phnum > 0 && phentsize < min_ph) {
            return Err(malformed(
                name,
                "program headers",
                format!("file offset {phoff:#x}"),
                "bad count or entry size",
            ));
        }
        for i in 0..u64::from(phnum) {
            let at = phoff.saturating_add(i.saturating_mul(phentsize));
            let ph = r.bytes(at, min_ph, "program header")?;
            let ph = R { data: ph, name };
            let p_type = ph.u32(0, "program header")?;
            let (offset, vaddr, filesz, memsz, align) = if is64 {
                (
                    ph.u64(8, "program header")?,
                    ph.u64(16, "program header")?,
                    ph.u64(32, "program header")?,
                    ph.u64(40, "program header")?,
                    ph.u64(48, "program header")?,
                )
            } else {
                let g = |o| ph.u32(o, "program header").map(u64::from);
                (g(4)?, g(8)?, g(16)?, g(20)?, g(28)?)
            };
            if p_type == PT_LOAD {
                let page = if align.is_power_of_two() { align.min(1 << 16) } else { 1 };
                load_start = load_start.min(vaddr & !(page - 1));
                load_end = load_end.max(vaddr.saturating_add(memsz));
            } else if p_type == PT_NOTE && build_id.is_none() {
                let notes = r.bytes(offset, filesz.min(1 << 16), "note segment")?;
                build_id = find_build_id(notes);
            }
        }
        if load_start == u64::MAX {
            return Err(malformed(
                name,
                "program headers",
                format!("file offset {phoff:#x}"),
                "no PT_LOAD segment",
            ));
        }

        let mut tables = Vec::new();
        let min_sh = if is64 { 64 } else { 40 };
        if shnum > 0 && shentsize < min_sh {
            return Err(malformed(
                name,
                "section headers",
                format!("file offset {shoff:#x}"),
                "entry size too small",
            ));
        }
        let section = |i: u64| -> Result<(u32, u64, u64, u32, u64), DacTableError> {
            let at = shoff.saturating_add(i.saturating_mul(shentsize));
            let sh = r.bytes(at, min_sh, "section header")?;
            let sh = R { data: sh, name };
            let sh_type = sh.u32(4, "section header")?;
            if is64 {
                Ok((
                    sh_type,
                    sh.u64(24, "section header")?,
                    sh.u64(32, "section header")?,
                    sh.u32(40, "section header")?,
                    sh.u64(56, "section header")?,
                ))
            } else {
                let g = |o| sh.u32(o, "section header").map(u64::from);
                Ok((sh_type, g(16)?, g(20)?, sh.u32(24, "section header")?, g(36)?))
            }
        };
        for i in 0..shnum {
            let (sh_type, offset, size, link, entsize) = section(i)?;
            if sh_type != SHT_SYMTAB && sh_type != SHT_DYNSYM {
                continue;
            }
            let min_sym = if is64 { 24 } else { 16 };
            if entsize < min_sym || u64::from(link) >= shnum {
                return Err(malformed(
                    name,
                    "symbol table",
                    format!("file offset {offset:#x}"),
                    "bad entry size or link",
                ));
            }
            let (_, str_off, str_size, _, _) = section(u64::from(link))?;
            r.bytes(offset, size, "symbol table")?;
            r.bytes(str_off, str_size, "string table")?;
            tables.push(SymTable {
                offset: offset as usize,
                count: (size / entsize) as usize,
                entsize: entsize as usize,
                strings: (str_off as usize, str_size as usize),
            });
        }
        // `.symtab` (full) before `.dynsym` (exports only).
        tables.sort_by_key(|t| std::cmp::Reverse(t.count));
        Ok(ElfFile { data, name: name.to_string(), is64, machine, load_start, load_end, build_id, tables })
    }

    /// True when the file has any symbol table.
    pub fn has_symbols(&self) -> bool {
        !self.tables.is_empty()
    }

    /// Looks up one symbol by its exact (mangled) name.
    pub fn symbol(&self, name: &str) -> Option<Symbol> {
        self.symbols(&[name]).remove(name)
    }

    /// Looks up many symbols in one pass; the first table that has a name wins.
    pub fn symbols(&self, names: &[&str]) -> HashMap<String, Symbol> {
        let wanted: HashSet<&[u8]> = names.iter().map(|n| n.as_bytes()).collect();
        let mut found = HashMap::new();
        for t in &self.tables {
            let strings = self.data.get(t.strings.0..t.strings.0 + t.strings.1).unwrap_or(&[]);
            for i in 0..t.count {
                let at = t.offset + i * t.entsize;
                let Some(e) = self.data.get(at..at + t.entsize) else { break };
                let name_off = u32::from_le_bytes([e[0], e[1], e[2], e[3]]) as usize;
                let Some(tail) = strings.get(name_off..) else { continue };
                let tail = &tail[..tail.len().min(MAX_NAME)];
                let Some(end) = tail.iter().position(|&b| b == 0) else { continue };
                let n = &tail[..end];
                if n.is_empty() || !wanted.contains(n) {
                    continue;
                }
                let le =
                    |o: usize, w: usize| e[o..o + w].iter().rev().fold(0u64, |a, &b| (a << 8) | u64::from(b));
                let sym = if self.is64 {
                    Symbol { value: le(8, 8), size: le(16, 8) }
                } else {
                    Symbol { value: le(4, 4), size: le(8, 4) }
                };
                let key = String::from_utf8_lossy(n).into_owned();
                found.entry(key).or_insert(sym);
            }
        }
        found
    }

    /// The name given at parse time.
    pub fn name(&self) -> &str {
        &self.name
    }
}

/// The GNU build id in a run of ELF notes.
fn find_build_id(notes: &[u8]) -> Option<Vec<u8>> {
    let mut off = 0usize;
    let align4 = |n: usize| n.checked_add(3).map(|v| v & !3);
    while off + 12 <= notes.len() {
        let g = |o: usize| u32::from_le_bytes([notes[o], notes[o + 1], notes[o + 2], notes[o + 3]]) as usize;
        let (namesz, descsz, ty) = (g(off), g(off + 4), g(off + 8) as u32);
        let name_at = off + 12;
        let desc_at = name_at.checked_add(align4(namesz)?)?;
        let next = desc_at.checked_add(align4(descsz)?)?;
        if next > notes.len() {
            return None;
        }
        if ty == NT_GNU_BUILD_ID && notes.get(name_at..name_at + namesz) == Some(b"GNU\0") {
            return notes.get(desc_at..desc_at + descsz).map(<[u8]>::to_vec);
        }
        off = next;
    }
    None
}

/// The Itanium-mangled name of a C++ variable: plain for a global,
/// `_ZN<len><part>…E` for a qualified name.
///
/// ```
/// use clr_heap::globals::dac_table::mangle_variable;
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
/// use clr_heap::globals::dac_table::mangle_vtable;
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
