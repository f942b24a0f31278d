//! `NT_SIGINFO`: the `siginfo_t` of the signal that caused the dump.
//!
//! `si_signo`, `si_errno`, `si_code` (3 × i32), then — after padding to a
//! word on 64-bit — a union whose first word is `si_addr` for fault
//! signals, and `si_pid`/`si_uid` for signals sent by a process.

use super::header::Class;
use crate::error::Result;
use crate::read::Bytes;

/// `SIGILL`.
pub const SIGILL: i32 = 4;
/// `SIGTRAP`.
pub const SIGTRAP: i32 = 5;
/// `SIGABRT`.
pub const SIGABRT: i32 = 6;
/// `SIGBUS`.
pub const SIGBUS: i32 = 7;
/// `SIGFPE`.
pub const SIGFPE: i32 = 8;
/// `SIGSEGV`.
pub const SIGSEGV: i32 = 11;
/// `SIGSTOP`.
pub const SIGSTOP: i32 = 19;

/// A decoded `NT_SIGINFO` note.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SigInfo {
    /// `si_signo`.
    pub signo: i32,
    /// `si_errno`.
    pub errno: i32,
    /// `si_code`: > 0 when the kernel raised it (a fault), ≤ 0 when a
    /// process sent it (`SI_USER` 0, `SI_TKILL` −6, …).
    pub code: i32,
    /// The first word of the union, raw: `si_addr` for a fault, otherwise
    /// `si_pid` and `si_uid` packed.
    pub union_word: u64,
    /// File offset of the descriptor.
    pub offset: u64,
}

impl SigInfo {
    /// Decodes the descriptor of an `NT_SIGINFO` note of a core of `class`.
    pub fn parse(desc: Bytes<'_>, class: Class) -> Result<SigInfo> {
        let b = desc.named("NT_SIGINFO note");
        let w = class.word();
        // The union is aligned to a word: offset 12 on 32-bit, 16 on 64-bit.
        let union_off = 12usize.next_multiple_of(w);
        Ok(SigInfo {
            signo: b.i32(0)?,
            errno: b.i32(4)?,
            code: b.i32(8)?,
            union_word: b.ptr(union_off, w)?,
            offset: b.file_offset(0),
        })
    }

    /// True when this is a fault the kernel raised (so `si_addr` is the
    /// faulting address) rather than a signal another process sent.
    pub fn is_fault(&self) -> bool {
        self.code > 0 && matches!(self.signo, SIGILL | SIGTRAP | SIGBUS | SIGFPE | SIGSEGV)
    }

    /// The faulting address, for a fault; `None` for a sent signal, whose
    /// union holds the sender's pid and uid instead.
    pub fn fault_address(&self) -> Option<u64> {
        self.is_fault().then_some(self.union_word)
    }

    /// The sender's pid, for a signal sent by a process (`si_code` ≤ 0).
    pub fn sender_pid(&self) -> Option<u32> {
        (self.code <= 0).then_some(self.union_word as u32)
    }
}
