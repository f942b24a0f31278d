//! The references one walked managed frame holds, from its method's GC info
//! and the frame's registers: what precise stack roots are made of.

use super::{GcInfo, Slot, SlotLocation, StackBase};
use crate::code_map::CodeMap;
use crate::stack::Frame;

/// Most bytes of GC info read for one method (the blob's size is not
/// recorded; the decoder stops where it ends).
const MAX_GC_INFO: u64 = 1 << 16;

/// One live slot of a frame, with where it is and what it holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameSlot {
    /// The slot as the GC info describes it.
    pub slot: Slot,
    /// The stack address of a stack slot (`None` for a register).
    pub address: Option<u64>,
    /// The reference it holds (0: null); `None` for a register whose value
    /// the unwinding did not recover (it went through a native frame, which
    /// saved it in its own stack range or left it in the thread's context).
    pub value: Option<u64>,
}

/// The live reference slots of `frame` (a managed frame of a walked x64
/// stack) with their values. `leaf`: the thread was stopped in this frame
/// itself (its IP is the interrupted instruction), not in a call it made.
/// `Err` says why the frame cannot be reported precisely: no GC info, a
/// blob that does not decode, a call site missing from it, or a frame base
/// the unwinding did not recover.
pub fn frame_slots(
    code: &CodeMap,
    frame: &Frame,
    leaf: bool,
    windows: bool,
) -> Result<Vec<FrameSlot>, String> {
    let crate::stack::FrameKind::Managed { start, .. } = frame.kind else {
        return Err("not a managed frame".into());
    };
    let at = frame.gc_info.ok_or("no GC info for this code")?;
    let regs = frame.regs.ok_or("the frame's registers are unknown")?;
    let bytes = code.gc_info_bytes(at, MAX_GC_INFO)?;
    let info = GcInfo::decode(&bytes)?;
    let offset = frame.ip.checked_sub(start).ok_or("IP before the method's start")?;
    if offset >= info.code_length {
        return Err(format!("IP at +{offset:#x}, past the {:#x} bytes the GC info covers", info.code_length));
    }
    // A caller frame is asked at its return address minus one, as the runtime does.
    let query =
        if leaf { offset } else { offset.checked_sub(1).ok_or("a return address at the method's start")? };
    if !leaf && info.safe_points > 0 && info.safe_point(&bytes, query)?.is_none() && info.tracked > 0 {
        return Err(format!(
            "return address +{offset:#x} is none of the method's {} call sites",
            info.safe_points
        ));
    }
    if leaf && info.ranges.is_empty() && info.tracked > 0 {
        return Err(
            "stopped inside partially interruptible code: its live slots are not recorded there".into()
        );
    }
    let mem = code.methods().types().runtime().dump.memory();
    let mut out = Vec::new();
    for slot in info.live_slots(&bytes, query, leaf, windows)? {
        let (address, value) = match slot.location {
            SlotLocation::Register(r) => (None, regs.get(usize::from(r))),
            SlotLocation::Stack { base, offset } => {
                let b = match base {
                    StackBase::Sp => frame.sp,
                    StackBase::CallerSp => frame.caller_sp.ok_or("caller SP unknown")?,
                    StackBase::FrameRegister => {
                        let r = info
                            .stack_base_register
                            .ok_or("a frame-register slot without a frame register")?;
                        regs.get(usize::from(r)).ok_or("the frame register was not recovered")?
                    }
                };
                let a = b.wrapping_add_signed(offset);
                // A caller's outgoing-argument area belongs to the call it made.
                if !leaf && slot.tracked && a >= frame.sp && a < frame.sp.saturating_add(info.outgoing_area) {
                    continue;
                }
                (Some(a), Some(mem.ptr(a).map_err(|e| format!("stack slot {a:#x}: {e}"))?))
            }
        };
        out.push(FrameSlot { slot, address, value });
    }
    Ok(out)
}
