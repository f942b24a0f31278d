//! `NT_AUXV`: the auxiliary vector the kernel gave the process at exec time,
//! as pairs of words `(AT_* key, value)` ending with `AT_NULL`.

use super::header::Class;
use crate::error::Result;
use crate::read::Bytes;

/// `AT_NULL`: end of the vector.
pub const AT_NULL: u64 = 0;
/// `AT_PHDR`: address of the executable's program headers.
pub const AT_PHDR: u64 = 3;
/// `AT_PAGESZ`: the page size.
pub const AT_PAGESZ: u64 = 6;
/// `AT_BASE`: load address of the dynamic loader.
pub const AT_BASE: u64 = 7;
/// `AT_ENTRY`: the executable's entry point.
pub const AT_ENTRY: u64 = 9;
/// `AT_EXECFN`: address of the executable's file name string.
pub const AT_EXECFN: u64 = 31;
/// `AT_SYSINFO_EHDR`: load address of the vDSO.
pub const AT_SYSINFO_EHDR: u64 = 33;

/// One auxiliary vector entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuxvEntry {
    /// The `AT_*` key.
    pub key: u64,
    /// Its value.
    pub value: u64,
}

impl AuxvEntry {
    /// The key's `AT_*` name, for the common keys.
    pub fn name(&self) -> Option<&'static str> {
        at_name(self.key)
    }
}

/// The `AT_*` name of `key`, for the keys Linux defines on common machines.
///
/// ```
/// assert_eq!(dump_format::elf::auxv::at_name(6), Some("AT_PAGESZ"));
/// assert_eq!(dump_format::elf::auxv::at_name(999), None);
/// ```
pub fn at_name(key: u64) -> Option<&'static str> {
    Some(match key {
        0 => "AT_NULL",
        1 => "AT_IGNORE",
        2 => "AT_EXECFD",
        3 => "AT_PHDR",
        4 => "AT_PHENT",
        5 => "AT_PHNUM",
        6 => "AT_PAGESZ",
        7 => "AT_BASE",
        8 => "AT_FLAGS",
        9 => "AT_ENTRY",
        10 => "AT_NOTELF",
        11 => "AT_UID",
        12 => "AT_EUID",
        13 => "AT_GID",
        14 => "AT_EGID",
        15 => "AT_PLATFORM",
        16 => "AT_HWCAP",
        17 => "AT_CLKTCK",
        23 => "AT_SECURE",
        24 => "AT_BASE_PLATFORM",
        25 => "AT_RANDOM",
        26 => "AT_HWCAP2",
        27 => "AT_RSEQ_FEATURE_SIZE",
        28 => "AT_RSEQ_ALIGN",
        29 => "AT_HWCAP3",
        30 => "AT_HWCAP4",
        31 => "AT_EXECFN",
        32 => "AT_SYSINFO",
        33 => "AT_SYSINFO_EHDR",
        51 => "AT_MINSIGSTKSZ",
        _ => return None,
    })
}

/// Decodes the descriptor of an `NT_AUXV` note of a core of `class`, up to
/// (not including) `AT_NULL` or the end of the note.
pub fn parse(desc: Bytes<'_>, class: Class) -> Result<Vec<AuxvEntry>> {
    let b = desc.named("NT_AUXV note");
    let w = class.word();
    // The count comes from the note's size, so it never exceeds the file.
    let n = b.len() / (2 * w);
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let key = b.ptr(i * 2 * w, w)?;
        if key == AT_NULL {
            break;
        }
        out.push(AuxvEntry { key, value: b.ptr(i * 2 * w + w, w)? });
    }
    Ok(out)
}
