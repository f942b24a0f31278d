//! `NT_PRPSINFO` (`struct elf_prpsinfo`): the process's state, ids, short
//! name and the start of its command line.
//!
//! Three layouts exist, told apart by the ELF class and the note size:
//!
//! | layout | size | `pr_flag` | uid/gid | `pr_pid` | `pr_fname` |
//! |---|---|---|---|---|---|
//! | 64-bit | 136 | 8 bytes at 8 | u32 at 16/20 | 24 | 40 |
//! | 32-bit, 16-bit ids (i386, ARM) | 124 | 4 bytes at 4 | u16 at 8/10 | 12 | 28 |
//! | 32-bit, 32-bit ids (others) | 128 | 4 bytes at 4 | u32 at 8/12 | 16 | 32 |
//!
//! `pr_fname` is 16 bytes and `pr_psargs` (80 bytes) follows it.

use super::header::Class;
use crate::error::Result;
use crate::read::Bytes;

/// Size of `pr_fname`.
const FNAME_LEN: usize = 16;
/// Size of `pr_psargs`.
const PSARGS_LEN: usize = 80;

/// A decoded `NT_PRPSINFO` note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrPsInfo {
    /// `pr_state`: numeric process state.
    pub state: u8,
    /// `pr_sname`: state letter (`R`, `S`, `D`, …).
    pub sname: u8,
    /// `pr_zomb`: non-zero for a zombie.
    pub zombie: u8,
    /// `pr_nice`: the nice value.
    pub nice: i8,
    /// `pr_flag`: kernel process flags.
    pub flag: u64,
    /// `pr_uid`.
    pub uid: u32,
    /// `pr_gid`.
    pub gid: u32,
    /// `pr_pid`.
    pub pid: u32,
    /// `pr_ppid`.
    pub ppid: u32,
    /// `pr_pgrp`.
    pub pgrp: u32,
    /// `pr_sid`.
    pub sid: u32,
    /// `pr_fname`: the executable's name, at most 15 characters.
    pub fname: String,
    /// `pr_psargs`: the first 80 bytes of the arguments, joined by spaces
    /// (the kernel leaves a trailing space), kept as written.
    pub psargs: String,
    /// File offset of the descriptor.
    pub offset: u64,
}

impl PrPsInfo {
    /// Decodes the descriptor of an `NT_PRPSINFO` note of a core of `class`.
    pub fn parse(desc: Bytes<'_>, class: Class) -> Result<PrPsInfo> {
        let b = desc.named("NT_PRPSINFO note");
        let (flag, uid, gid, ids) = match class {
            Class::Elf64 => (b.u64(8)?, b.u32(16)?, b.u32(20)?, 24),
            Class::Elf32 if b.len() >= 128 => (b.u32(4)?.into(), b.u32(8)?, b.u32(12)?, 16),
            Class::Elf32 => (b.u32(4)?.into(), b.u16(8)?.into(), b.u16(10)?.into(), 12),
        };
        let fname_off = ids + 16;
        let psargs_off = fname_off + FNAME_LEN;
        // Check the whole fixed-size strings are present before reading them
        // as C strings, so a short note is an error, not a shorter name.
        b.slice(fname_off, FNAME_LEN + PSARGS_LEN)?;
        Ok(PrPsInfo {
            state: b.u8(0)?,
            sname: b.u8(1)?,
            zombie: b.u8(2)?,
            nice: b.u8(3)? as i8,
            flag,
            uid,
            gid,
            pid: b.u32(ids)?,
            ppid: b.u32(ids + 4)?,
            pgrp: b.u32(ids + 8)?,
            sid: b.u32(ids + 12)?,
            fname: b.cstr(fname_off, FNAME_LEN)?,
            psargs: b.cstr(psargs_off, PSARGS_LEN)?,
            offset: b.file_offset(0),
        })
    }
}
