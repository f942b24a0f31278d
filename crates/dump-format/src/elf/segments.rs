//! Program headers (`Elf32_Phdr` / `Elf64_Phdr`): the `PT_LOAD` segments that
//! hold process memory and the `PT_NOTE` segments that hold the notes.

use super::header::{Class, FileHeader};
use crate::error::{Error, Result};
use crate::model::Warning;
use crate::read::Bytes;

/// `p_type` of a loadable segment (a run of process memory).
pub const PT_LOAD: u32 = 1;
/// `p_type` of a note segment.
pub const PT_NOTE: u32 = 4;

/// `p_flags` bit: executable.
pub const PF_X: u32 = 1;
/// `p_flags` bit: writable.
pub const PF_W: u32 = 2;
/// `p_flags` bit: readable.
pub const PF_R: u32 = 4;

/// Windows `PAGE_NOACCESS`.
pub const PAGE_NOACCESS: u32 = 0x01;
/// Windows `PAGE_READONLY`.
pub const PAGE_READONLY: u32 = 0x02;
/// Windows `PAGE_READWRITE`.
pub const PAGE_READWRITE: u32 = 0x04;
/// Windows `PAGE_EXECUTE`.
pub const PAGE_EXECUTE: u32 = 0x10;
/// Windows `PAGE_EXECUTE_READ`.
pub const PAGE_EXECUTE_READ: u32 = 0x20;
/// Windows `PAGE_EXECUTE_READWRITE`.
pub const PAGE_EXECUTE_READWRITE: u32 = 0x40;

/// One program header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segment {
    /// Index in the program header table.
    pub index: usize,
    /// `p_type`.
    pub p_type: u32,
    /// `p_flags` (`PF_R`/`PF_W`/`PF_X`).
    pub flags: u32,
    /// File offset of the segment's bytes.
    pub offset: u64,
    /// Virtual address in the dumped process.
    pub vaddr: u64,
    /// Bytes present in the file.
    pub filesz: u64,
    /// Bytes the segment spans in the process (the rest was not written).
    pub memsz: u64,
    /// Alignment.
    pub align: u64,
}

impl Segment {
    /// One past the last virtual address.
    pub fn end(&self) -> u64 {
        self.vaddr.saturating_add(self.memsz)
    }

    /// True when `addr` lies inside the segment's address range.
    pub fn contains(&self, addr: u64) -> bool {
        addr >= self.vaddr && addr < self.end()
    }

    /// The protection mapped onto a Windows `PAGE_*` value, so one memory
    /// map view serves both containers. Windows has no write-only or
    /// write-execute-only pages, so write always implies read:
    ///
    /// | `p_flags` | `PAGE_*` |
    /// |---|---|
    /// | none | `PAGE_NOACCESS` (0x01) |
    /// | R | `PAGE_READONLY` (0x02) |
    /// | W, RW | `PAGE_READWRITE` (0x04) |
    /// | X | `PAGE_EXECUTE` (0x10) |
    /// | RX | `PAGE_EXECUTE_READ` (0x20) |
    /// | WX, RWX | `PAGE_EXECUTE_READWRITE` (0x40) |
    ///
    /// ```
    /// use dump_format::elf::segments::{Segment, PT_LOAD, PF_R, PF_X};
    /// let s = Segment { index: 0, p_type: PT_LOAD, flags: PF_R | PF_X, offset: 0,
    ///                   vaddr: 0, filesz: 0, memsz: 0, align: 0 };
    /// assert_eq!(s.windows_protect(), 0x20); // PAGE_EXECUTE_READ
    /// ```
    pub fn windows_protect(&self) -> u32 {
        let (r, w, x) = (self.flags & PF_R != 0, self.flags & PF_W != 0, self.flags & PF_X != 0);
        match (x, w, r) {
            (false, false, false) => PAGE_NOACCESS,
            (false, false, true) => PAGE_READONLY,
            (false, true, _) => PAGE_READWRITE,
            (true, false, false) => PAGE_EXECUTE,
            (true, false, true) => PAGE_EXECUTE_READ,
            (true, true, _) => PAGE_EXECUTE_READWRITE,
        }
    }

    /// `rwx`-style text of the flags, e.g. `r-x`.
    pub fn flags_text(&self) -> String {
        let f = |bit, c| if self.flags & bit != 0 { c } else { '-' };
        [f(PF_R, 'r'), f(PF_W, 'w'), f(PF_X, 'x')].iter().collect()
    }
}

/// Reads the program header table. A table cut short by the end of the file
/// keeps its complete entries and adds a warning; a table that starts past
/// the end, or entries too small to hold a program header, is an error.
pub fn parse(data: &[u8], hdr: &FileHeader, warnings: &mut Vec<Warning>) -> Result<Vec<Segment>> {
    let what = "program header table";
    let min = match hdr.class {
        Class::Elf32 => 32,
        Class::Elf64 => 56,
    };
    let entsize = usize::from(hdr.phentsize);
    if hdr.phnum > 0 && entsize < min {
        return Err(Error::corrupt(
            what,
            hdr.phoff,
            format!("e_phentsize is {entsize}, smaller than a program header ({min})"),
        ));
    }
    let file = Bytes::new(data, 0, what);
    let start =
        usize::try_from(hdr.phoff).ok().filter(|o| *o <= data.len()).ok_or_else(|| Error::Truncated {
            what: what.into(),
            offset: hdr.phoff,
            needed: hdr.phnum.saturating_mul(entsize as u64),
            available: 0,
        })?;
    let table = file.rest(start)?;
    // Only as many entries as the file holds: never trust e_phnum to size
    // the vector.
    let fit = table.len().checked_div(entsize).unwrap_or(0) as u64;
    let count = hdr.phnum.min(fit);
    if count < hdr.phnum {
        warnings.push(Warning::new(format!(
            "{what} at file offset {:#x} is truncated: {count} of {} entries are in the file",
            hdr.phoff, hdr.phnum
        )));
    }
    let table = table.array(0, count, entsize)?;
    let mut out = Vec::with_capacity(count as usize);
    for i in 0..count as usize {
        let e = table.sub(i * entsize, min, "program header")?;
        out.push(match hdr.class {
            Class::Elf32 => Segment {
                index: i,
                p_type: e.u32(0)?,
                offset: e.u32(4)?.into(),
                vaddr: e.u32(8)?.into(),
                filesz: e.u32(16)?.into(),
                memsz: e.u32(20)?.into(),
                flags: e.u32(24)?,
                align: e.u32(28)?.into(),
            },
            Class::Elf64 => Segment {
                index: i,
                p_type: e.u32(0)?,
                flags: e.u32(4)?,
                offset: e.u64(8)?,
                vaddr: e.u64(16)?,
                filesz: e.u64(32)?,
                memsz: e.u64(40)?,
                align: e.u64(48)?,
            },
        });
    }
    Ok(out)
}
