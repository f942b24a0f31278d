//! Windows `CONTEXT` records (x86 and x64) decoded into [`ThreadContext`].
//!
//! A context is accepted only when its size and its `ContextFlags`
//! architecture bit agree with the architecture asked for; otherwise the
//! caller gets a sentence saying why, never registers made of garbage.
//! Contexts larger than the base size (XSTATE, `WithAvxXStateContext`) are
//! accepted: the extra bytes follow the base structure.

use super::{Location, Minidump};
use crate::arch::Arch;
use crate::context::{ThreadContext, X64Regs, X86Regs};
use crate::read::Bytes;

/// `CONTEXT_i386`: the x86 architecture bit of `ContextFlags`.
pub const CONTEXT_I386: u32 = 0x0001_0000;
/// `CONTEXT_AMD64`: the x64 architecture bit of `ContextFlags`.
pub const CONTEXT_AMD64: u32 = 0x0010_0000;
/// Size of the x86 `CONTEXT`.
pub const X86_CONTEXT_SIZE: usize = 0x2cc;
/// Size of the x64 `CONTEXT`.
pub const X64_CONTEXT_SIZE: usize = 0x4d0;

/// Decodes a `CONTEXT` of architecture `arch`, or says why it cannot.
///
/// ```
/// use dump_format::{Arch, minidump::{decode_context, CONTEXT_I386}, read::Bytes};
/// let mut raw = vec![0u8; 0x2cc];
/// raw[..4].copy_from_slice(&(CONTEXT_I386 | 0x7).to_le_bytes());
/// raw[184..188].copy_from_slice(&0x401000u32.to_le_bytes()); // Eip
/// let c = decode_context(Bytes::new(&raw, 0, "ctx"), Arch::X86)?;
/// assert_eq!(c.instruction_pointer(), 0x401000);
/// assert!(decode_context(Bytes::new(&raw, 0, "ctx"), Arch::X64).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn decode_context(b: Bytes<'_>, arch: Arch) -> Result<ThreadContext, String> {
    let (bit, size, name) = match arch {
        Arch::X86 => (CONTEXT_I386, X86_CONTEXT_SIZE, "x86"),
        Arch::X64 => (CONTEXT_AMD64, X64_CONTEXT_SIZE, "x64"),
        other => return Err(format!("{other} thread contexts are not decoded")),
    };
    if b.len() < size {
        return Err(format!(
            "context of {:#x} bytes at file offset {:#x} is smaller than the {name} CONTEXT ({size:#x} bytes)",
            b.len(),
            b.file_offset(0)
        ));
    }
    let flags_off = if arch == Arch::X64 { 48 } else { 0 };
    let flags = b.u32(flags_off).map_err(|e| e.to_string())?;
    let other = if arch == Arch::X64 { CONTEXT_I386 } else { CONTEXT_AMD64 };
    if flags & bit == 0 || flags & other != 0 {
        return Err(format!(
            "ContextFlags {flags:#x} at file offset {:#x} do not mark an {name} context (bit {bit:#x})",
            b.file_offset(flags_off)
        ));
    }
    let r = if arch == Arch::X64 { x64(&b) } else { x86(&b) };
    r.map_err(|e| e.to_string())
}

fn x86(b: &Bytes<'_>) -> crate::Result<ThreadContext> {
    let r = |off: usize| b.u32(off);
    Ok(ThreadContext::X86(X86Regs {
        gs: r(140)?,
        fs: r(144)?,
        es: r(148)?,
        ds: r(152)?,
        edi: r(156)?,
        esi: r(160)?,
        ebx: r(164)?,
        edx: r(168)?,
        ecx: r(172)?,
        eax: r(176)?,
        ebp: r(180)?,
        eip: r(184)?,
        cs: r(188)?,
        eflags: r(192)?,
        esp: r(196)?,
        ss: r(200)?,
    }))
}

fn x64(b: &Bytes<'_>) -> crate::Result<ThreadContext> {
    let q = |off: usize| b.u64(off);
    let seg = |off: usize| b.u16(off).map(u64::from);
    // rax..r15 are stored in the order rax rcx rdx rbx rsp rbp rsi rdi r8..r15.
    Ok(ThreadContext::X64(X64Regs {
        cs: seg(56)?,
        ss: seg(66)?,
        eflags: b.u32(68)?.into(),
        rax: q(120)?,
        rcx: q(128)?,
        rdx: q(136)?,
        rbx: q(144)?,
        rsp: q(152)?,
        rbp: q(160)?,
        rsi: q(168)?,
        rdi: q(176)?,
        r8: q(184)?,
        r9: q(192)?,
        r10: q(200)?,
        r11: q(208)?,
        r12: q(216)?,
        r13: q(224)?,
        r14: q(232)?,
        r15: q(240)?,
        rip: q(248)?,
        // The Windows CONTEXT does not hold the segment bases.
        fs_base: 0,
        gs_base: 0,
    }))
}

impl<'a> Minidump<'a> {
    /// Decodes the `CONTEXT` at `loc` as architecture `arch` (the machine's,
    /// from SystemInfo — for a WOW64 process that is the 64-bit context the
    /// dumper saw). The error says why there are no registers.
    pub fn context_at(&self, loc: Location, arch: Arch) -> Result<ThreadContext, String> {
        if loc.is_empty() {
            return Err("no context recorded (empty location)".into());
        }
        let b = self.location(loc, "thread CONTEXT").map_err(|e| e.to_string())?;
        decode_context(b, arch)
    }
}
