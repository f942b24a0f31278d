//! `NT_PRSTATUS` (`struct elf_prstatus`): one thread's id, pending signal,
//! CPU times and general-purpose registers.
//!
//! The layout is the same for every architecture up to `pr_reg`, except for
//! the width of `long` (the ELF class): `pr_info` (12 bytes), `pr_cursig`
//! (2 + 2 padding), `pr_sigpend` and `pr_sighold` (a word each), four 4-byte
//! ids, four `timeval`s (two words each), then `pr_reg`.

use super::header::{Class, EM_386, EM_X86_64};
use crate::context::{ThreadContext, X64Regs, X86Regs};
use crate::error::Result;
use crate::read::Bytes;
use std::time::Duration;

/// Registers in x86-64 `user_regs_struct`, in file order.
pub const X64_REG_NAMES: [&str; 27] = [
    "r15", "r14", "r13", "r12", "rbp", "rbx", "r11", "r10", "r9", "r8", "rax", "rcx", "rdx", "rsi", "rdi",
    "orig_rax", "rip", "cs", "eflags", "rsp", "ss", "fs_base", "gs_base", "ds", "es", "fs", "gs",
];

/// Registers in i386 `user_regs_struct`, in file order.
pub const X86_REG_NAMES: [&str; 17] = [
    "ebx", "ecx", "edx", "esi", "edi", "ebp", "eax", "xds", "xes", "xfs", "xgs", "orig_eax", "eip", "xcs",
    "eflags", "esp", "xss",
];

/// A decoded `NT_PRSTATUS` note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrStatus {
    /// `pr_info.si_signo`.
    pub si_signo: i32,
    /// `pr_info.si_code`.
    pub si_code: i32,
    /// `pr_info.si_errno`.
    pub si_errno: i32,
    /// `pr_cursig`: the signal being delivered to this thread (0 = none).
    pub cursig: u16,
    /// `pr_sigpend`: pending signal mask.
    pub sigpend: u64,
    /// `pr_sighold`: blocked signal mask.
    pub sighold: u64,
    /// `pr_pid`: the thread's id (LWP).
    pub pid: u32,
    /// `pr_ppid`.
    pub ppid: u32,
    /// `pr_pgrp`.
    pub pgrp: u32,
    /// `pr_sid`.
    pub sid: u32,
    /// `pr_utime`; `None` when the stored value is negative or overflows.
    pub user_time: Option<Duration>,
    /// `pr_stime`.
    pub system_time: Option<Duration>,
    /// The raw `pr_reg` words, widened to u64, in file order; names in
    /// [`X64_REG_NAMES`] / [`X86_REG_NAMES`] for those machines.
    pub regs: Vec<u64>,
    /// The registers decoded into a [`ThreadContext`], for x86-64 and i386.
    pub context: Option<ThreadContext>,
    /// File offset of the descriptor.
    pub offset: u64,
}

/// Number of `pr_reg` words for `machine`, when this crate knows it.
fn reg_count(machine: u16, class: Class) -> Option<usize> {
    match (machine, class) {
        (EM_X86_64, Class::Elf64) => Some(X64_REG_NAMES.len()),
        (EM_386, Class::Elf32) => Some(X86_REG_NAMES.len()),
        _ => None,
    }
}

/// A `struct timeval` of two `long`s as a duration. Negative or overflowing
/// values (garbage) give `None` rather than a panic.
fn timeval(b: Bytes<'_>, off: usize, class: Class) -> Result<Option<Duration>> {
    let w = class.word();
    let (sec, usec) = match class {
        Class::Elf32 => (i64::from(b.i32(off)?), i64::from(b.i32(off + w)?)),
        Class::Elf64 => (b.u64(off)? as i64, b.u64(off + w)? as i64),
    };
    if sec < 0 || !(0..1_000_000).contains(&usec) {
        return Ok(None);
    }
    Ok(Duration::from_secs(sec as u64).checked_add(Duration::from_micros(usec as u64)))
}

impl PrStatus {
    /// Decodes the descriptor `desc` of an `NT_PRSTATUS` note of a core of
    /// `class` and `machine`. Registers of machines other than x86-64 and
    /// i386 are kept raw (as many words as follow the header) and give no
    /// context.
    pub fn parse(desc: Bytes<'_>, class: Class, machine: u16) -> Result<PrStatus> {
        let b = desc.named("NT_PRSTATUS note");
        let w = class.word();
        let ids = 16 + 2 * w;
        let times = ids + 16;
        let reg_off = times + 8 * w;
        let mut st = PrStatus {
            si_signo: b.i32(0)?,
            si_code: b.i32(4)?,
            si_errno: b.i32(8)?,
            cursig: b.u16(12)?,
            sigpend: b.ptr(16, w)?,
            sighold: b.ptr(16 + w, w)?,
            pid: b.u32(ids)?,
            ppid: b.u32(ids + 4)?,
            pgrp: b.u32(ids + 8)?,
            sid: b.u32(ids + 12)?,
            user_time: timeval(b, times, class)?,
            system_time: timeval(b, times + 2 * w, class)?,
            regs: Vec::new(),
            context: None,
            offset: b.file_offset(0),
        };
        let n = match reg_count(machine, class) {
            Some(n) => n,
            // Unknown register set: keep every word up to pr_fpvalid's
            // likely place (the last word is pr_fpvalid plus padding).
            None => (b.len().saturating_sub(reg_off) / w).saturating_sub(1),
        };
        let regs = b.array(reg_off, n as u64, w)?;
        st.regs = (0..n).map(|i| regs.ptr(i * w, w)).collect::<Result<Vec<u64>>>()?;
        st.context = decode(&st.regs, machine, class);
        Ok(st)
    }

    /// `(name, value)` of every register, for x86-64 and i386; empty for
    /// other machines (their raw words are in [`PrStatus::regs`]).
    pub fn named_regs(&self, machine: u16) -> Vec<(&'static str, u64)> {
        let names: &[&'static str] = match machine {
            EM_X86_64 => &X64_REG_NAMES,
            EM_386 => &X86_REG_NAMES,
            _ => &[],
        };
        if self.regs.len() < names.len() {
            return Vec::new();
        }
        names.iter().copied().zip(self.regs.iter().copied()).collect()
    }
}

/// Builds the neutral context from `pr_reg` words.
fn decode(r: &[u64], machine: u16, class: Class) -> Option<ThreadContext> {
    match (machine, class) {
        (EM_X86_64, Class::Elf64) if r.len() >= 27 => Some(ThreadContext::X64(X64Regs {
            r15: r[0],
            r14: r[1],
            r13: r[2],
            r12: r[3],
            rbp: r[4],
            rbx: r[5],
            r11: r[6],
            r10: r[7],
            r9: r[8],
            r8: r[9],
            rax: r[10],
            rcx: r[11],
            rdx: r[12],
            rsi: r[13],
            rdi: r[14],
            // r[15] is orig_rax (the syscall number), not a register.
            rip: r[16],
            cs: r[17],
            eflags: r[18],
            rsp: r[19],
            ss: r[20],
            fs_base: r[21],
            gs_base: r[22],
            // r[23..27] are ds, es, fs, gs selectors: X64Regs has no place
            // for them; they stay in `regs`.
        })),
        (EM_386, Class::Elf32) if r.len() >= 17 => {
            let v = |i: usize| r[i] as u32;
            Some(ThreadContext::X86(X86Regs {
                ebx: v(0),
                ecx: v(1),
                edx: v(2),
                esi: v(3),
                edi: v(4),
                ebp: v(5),
                eax: v(6),
                ds: v(7),
                es: v(8),
                fs: v(9),
                gs: v(10),
                // v(11) is orig_eax.
                eip: v(12),
                cs: v(13),
                eflags: v(14),
                esp: v(15),
                ss: v(16),
            }))
        }
        _ => None,
    }
}
