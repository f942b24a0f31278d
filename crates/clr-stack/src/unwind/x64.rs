//! One step of x64 unwinding through `UNWIND_INFO` (the Windows x64
//! exception-data format; CoreCLR emits it for managed code on every OS).
//!
//! The unwind codes of the function (and of the functions it chains to)
//! are replayed on the register set: pushes and saves restore callee-saved
//! registers, allocations move SP, `SET_FPREG` re-derives SP from the frame
//! register. In the prolog only the codes whose instruction already ran are
//! applied. Epilogs are not recognised (only the innermost frame can be in
//! one), so the walker treats the innermost frame's step as less certain.

use super::{RSP, Regs};
use crate::code_map::RuntimeFunction;
use dump_format::Memory;

/// Deepest chain of `UNW_FLAG_CHAININFO` followed.
const MAX_CHAIN: usize = 32;
const UNW_FLAG_CHAININFO: u8 = 0x4;

/// How one step went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    /// The frame register was needed but unknown: SP was taken as it is
    /// after the prolog (right unless the method uses `localloc`).
    pub fp_inferred: bool,
}

/// Unwinds `regs` (IP inside `f`) to the caller: `regs.ip`/`regs.sp` become
/// the return address and the caller's SP.
///
/// `info` reads unwind data (`UNWIND_INFO` and codes): dump memory, or the
/// image file when the dump left the image out; the stack is read from `mem`.
pub fn unwind(
    mem: &Memory,
    info: &dyn Fn(u64, u32) -> Result<Vec<u8>, String>,
    f: &RuntimeFunction,
    regs: &mut Regs,
) -> Result<Step, String> {
    let func = f.base.wrapping_add(u64::from(f.begin));
    let offset = regs.ip.wrapping_sub(func);
    let mut info_rva = f.unwind;
    let mut primary = true;
    let mut step = Step { fp_inferred: false };
    for _ in 0..MAX_CHAIN {
        let at = f.base.wrapping_add(u64::from(info_rva));
        let h = info(at, 4).map_err(|e| format!("UNWIND_INFO at {at:#x}: {e}"))?;
        let (flags, prolog, count) = (h[0] >> 3, u64::from(h[1]), usize::from(h[2]));
        let (frame_reg, frame_off) = (usize::from(h[3] & 0xF), u64::from(h[3] >> 4));
        if h[0] & 7 == 0 || h[0] & 7 > 2 {
            return Err(format!("UNWIND_INFO at {at:#x}: version {}", h[0] & 7));
        }
        let codes = info(at + 4, 2 * count as u32).map_err(|e| format!("unwind codes at {at:#x}: {e}"))?;
        let slot =
            |i: usize| codes.get(2 * i..2 * i + 2).map(|s| u64::from(u16::from_le_bytes([s[0], s[1]])));
        let mut i = 0;
        while i < count {
            let (code_off, op, info) =
                (u64::from(codes[2 * i]), codes[2 * i + 1] & 0xF, codes[2 * i + 1] >> 4);
            let size = match op {
                1 if info == 0 => 2,
                1 => 3,
                4 | 6 | 8 => 2,
                5 | 7 | 9 => 3,
                _ => 1,
            };
            // In the prolog, an operation counts only once its instruction ran.
            let applies = !primary || offset >= prolog || offset >= code_off;
            if applies {
                apply(mem, regs, op, info, i, &slot, (frame_reg, frame_off), &mut step)?;
            }
            i += size;
        }
        if flags & UNW_FLAG_CHAININFO == 0 {
            break;
        }
        let chained = at + 4 + 2 * ((count as u64 + 1) & !1);
        let c = info(chained + 8, 4).map_err(|e| format!("chained unwind info at {chained:#x}: {e}"))?;
        info_rva = u32::from_le_bytes([c[0], c[1], c[2], c[3]]);
        primary = false;
    }
    let ret = mem.u64(regs.sp).map_err(|e| format!("return address at {:#x}: {e}", regs.sp))?;
    regs.ip = ret;
    regs.sp = regs.sp.wrapping_add(8);
    regs.set(RSP, Some(regs.sp));
    Ok(step)
}

#[allow(clippy::too_many_arguments)]
fn apply(
    mem: &Memory,
    regs: &mut Regs,
    op: u8,
    info: u8,
    i: usize,
    slot: &dyn Fn(usize) -> Option<u64>,
    (frame_reg, frame_off): (usize, u64),
    step: &mut Step,
) -> Result<(), String> {
    let read = |a: u64| mem.u64(a).map_err(|e| format!("saved register at {a:#x}: {e}"));
    let missing = || format!("unwind code {i}: operand slot missing");
    match op {
        0 => {
            let v = read(regs.sp)?;
            regs.set(usize::from(info), Some(v));
            regs.sp = regs.sp.wrapping_add(8);
        }
        1 => {
            let size = if info == 0 {
                slot(i + 1).ok_or_else(missing)? * 8
            } else {
                slot(i + 1).ok_or_else(missing)? | (slot(i + 2).ok_or_else(missing)? << 16)
            };
            regs.sp = regs.sp.wrapping_add(size);
        }
        2 => regs.sp = regs.sp.wrapping_add(u64::from(info) * 8 + 8),
        3 => match regs.get(frame_reg) {
            Some(fp) => regs.sp = fp.wrapping_sub(16 * frame_off),
            None => step.fp_inferred = true,
        },
        4 => {
            let v = read(regs.sp.wrapping_add(slot(i + 1).ok_or_else(missing)? * 8))?;
            regs.set(usize::from(info), Some(v));
        }
        5 => {
            let off = slot(i + 1).ok_or_else(missing)? | (slot(i + 2).ok_or_else(missing)? << 16);
            let v = read(regs.sp.wrapping_add(off))?;
            regs.set(usize::from(info), Some(v));
        }
        // A machine frame (interrupt or exception) is not followed.
        10 => return Err("machine frame (interrupt/exception) in the unwind codes".into()),
        // XMM saves and (v2) epilog markers do not touch what we track.
        _ => {}
    }
    Ok(())
}
