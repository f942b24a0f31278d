//! Unwinding one frame at a time (reference §7.4).
//!
//! * [`x64`] — Windows x64 `UNWIND_INFO`, which CoreCLR uses for managed
//!   code on every OS (JIT'd code: `RealCodeHeader` entries; ReadyToRun:
//!   the image's runtime functions) and Windows uses for native code
//!   (`.pdata`, [`pdata`]);
//! * frame-pointer chains and validated scanning live in the stack walker
//!   (`stack.rs`), which uses [`is_return_address`] to accept a word as a
//!   return address only when the bytes before it are a call instruction.

pub mod pdata;
pub mod x64;

use dump_format::context::ThreadContext;

/// Register numbers (x64 encoding; x86 uses the first eight alike).
pub const RSP: usize = 4;
/// Frame pointer register number (RBP / EBP).
pub const RBP: usize = 5;

/// A register set being unwound: IP, SP and whichever general registers
/// are known (a register restored from nowhere is `None`, never guessed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Regs {
    /// Instruction pointer.
    pub ip: u64,
    /// Stack pointer.
    pub sp: u64,
    gp: [Option<u64>; 16],
}

impl Regs {
    /// Only IP and SP known.
    pub fn new(ip: u64, sp: u64) -> Self {
        Regs { ip, sp, gp: [None; 16] }
    }

    /// The registers of a thread's context.
    pub fn from_context(c: &ThreadContext) -> Self {
        let mut r = Regs::new(c.instruction_pointer(), c.stack_pointer());
        match c {
            ThreadContext::X64(x) => {
                let v = [x.rax, x.rcx, x.rdx, x.rbx, x.rsp, x.rbp, x.rsi, x.rdi];
                let w = [x.r8, x.r9, x.r10, x.r11, x.r12, x.r13, x.r14, x.r15];
                for (i, val) in v.iter().chain(w.iter()).enumerate() {
                    r.gp[i] = Some(*val);
                }
            }
            ThreadContext::X86(x) => {
                let v = [x.eax, x.ecx, x.edx, x.ebx, x.esp, x.ebp, x.esi, x.edi];
                for (i, val) in v.iter().enumerate() {
                    r.gp[i] = Some(u64::from(*val));
                }
            }
        }
        r
    }

    /// Register `i`, when known.
    pub fn get(&self, i: usize) -> Option<u64> {
        self.gp.get(i).copied().flatten()
    }

    /// Sets register `i`.
    pub fn set(&mut self, i: usize, v: Option<u64>) {
        if let Some(slot) = self.gp.get_mut(i) {
            *slot = v;
        }
    }

    /// The frame pointer, when known.
    pub fn fp(&self) -> Option<u64> {
        self.get(RBP)
    }

    /// Forgets the volatile registers (a call clobbers them).
    pub fn clobber_volatile(&mut self, x64_windows: bool) {
        // rax rcx rdx r8-r11 always; rsi/rdi are volatile on System V only.
        let mut volatile = vec![0, 1, 2, 8, 9, 10, 11];
        if !x64_windows {
            volatile.extend([6, 7]);
        }
        for i in volatile {
            self.gp[i] = None;
        }
    }
}

/// Whether the bytes before `ra` end with a call instruction (`E8 rel32`,
/// or `FF /2` with any addressing form, optionally REX-prefixed): the
/// validation a scanned return address must pass.
///
/// `code` reads code bytes: dump memory, or an image file when the dump
/// left the image's pages out.
pub fn is_return_address(code: &dyn Fn(u64, u32) -> Result<Vec<u8>, String>, ra: u64) -> bool {
    let Ok(b) = code(ra.wrapping_sub(8), 8) else { return false };
    if b.len() < 8 {
        return false;
    }
    if b[3] == 0xE8 {
        return true;
    }
    // b[8 - len] is the FF byte of a call of length len.
    (2..=7).any(|len: usize| {
        let at = 8 - len;
        b[at] == 0xFF
            && b.get(at + 1).is_some_and(|&m| (m >> 3) & 7 == 2 && modrm_len(&b[at + 1..]) == Some(len - 1))
    })
}

/// Length of a ModRM operand (ModRM byte, SIB, displacement) in 32/64-bit mode.
fn modrm_len(b: &[u8]) -> Option<usize> {
    let m = *b.first()?;
    let (md, rm) = (m >> 6, m & 7);
    if md == 3 {
        return Some(1);
    }
    let mut n = 1;
    if rm == 4 {
        let sib = *b.get(1)?;
        n += 1;
        if md == 0 && sib & 7 == 5 {
            return Some(n + 4);
        }
    } else if md == 0 && rm == 5 {
        return Some(n + 4);
    }
    Some(
        n + match md {
            1 => 1,
            2 => 4,
            _ => 0,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::modrm_len;

    #[test]
    fn call_forms() {
        assert_eq!(modrm_len(&[0xD0]), Some(1)); // call rax
        assert_eq!(modrm_len(&[0x15, 0, 0, 0, 0]), Some(5)); // call [rip+disp32]
        assert_eq!(modrm_len(&[0x50, 0x08]), Some(2)); // call [rax+8]
        assert_eq!(modrm_len(&[0x14, 0x24]), Some(2)); // call [rsp]
        assert_eq!(modrm_len(&[0x90, 0, 0, 0, 0]), Some(5)); // call [rax+disp32]
    }
}
