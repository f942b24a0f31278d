//! A thread's stack roots, **precise** where its frames' GC info decodes
//! (x64): each managed frame reports the slots its method's GC info says
//! are live at the frame's call site, and the frame's stack words are not
//! scanned. Everything else — native frames (runtime helpers protect their
//! references in explicit Frames there), frames whose GC info is missing or
//! does not decode or does not pass the checks, x86 — is scanned
//! conservatively, and each root says which rule found it.
//!
//! Frames an exception already unwound are not roots: while a catch or
//! finally funclet runs, the managed frames between it and its parent
//! frame are still on the stack but dead (their slots are stale), and the
//! parent itself is reported through the funclet, as the runtime does.
//!
//! Checks on real data: every live slot that is not a byref must hold null
//! or an object start of the heap, else the frame is not trusted and falls
//! back to the conservative scan (counted in [`PreciseStats`]).

use crate::code_map::CodeMap;
use crate::gcinfo::SlotLocation;
use crate::gcinfo::frame::frame_slots;
use crate::roots::thread_roots;
use crate::stack::{FrameKind, StackWalker};
use crate::threads::ManagedThread;
use clr_heap::roots::{HeapIndex, Root, RootKind};
use dump_format::ThreadRecord;

/// x64 register names by number (the GC info's numbering).
const X64_REGS: [&str; 16] = [
    "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi", "r8", "r9", "r10", "r11", "r12", "r13", "r14",
    "r15",
];

/// How a session's stack roots were found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PreciseStats {
    /// Managed frames walked.
    pub frames: u64,
    /// Frames reported from their GC info.
    pub precise: u64,
    /// Frames skipped as already unwound by exception handling (or reported by their funclet).
    pub unwound: u64,
    /// Frames scanned conservatively, with the first reasons.
    pub conservative: u64,
    /// Live register slots of precise frames whose value the unwinding did
    /// not recover (left to the conservative scan of the native frames).
    pub unrecovered_registers: u64,
    /// Why frames were scanned conservatively (first few).
    pub reasons: Vec<String>,
}

/// The roots of one managed thread: precise for the frames whose GC info
/// decodes and checks out, conservative for the rest of its stack (see the
/// module). Returns the stack bytes scanned conservatively.
#[allow(clippy::too_many_arguments)]
pub fn precise_thread_roots(
    code: &CodeMap,
    walker: &mut StackWalker,
    d: &ThreadRecord,
    t: &ManagedThread,
    os_id: u32,
    index: &HeapIndex,
    roots: &mut Vec<Root>,
    stats: &mut PreciseStats,
) -> u64 {
    let rt = code.methods().types().runtime();
    if rt.layout.ptr != 8 {
        return thread_roots(rt, d, os_id, t.managed_id, index, roots);
    }
    let (managed_id, windows) = (t.managed_id, walker.windows);
    let st = walker.walk(d, t.frame.map(|f| (t.address, f)));
    // Stack ranges whose words are accounted for (reported precisely, or dead).
    let mut covered: Vec<(u64, u64)> = Vec::new();
    let mut precise = Vec::new();
    let mut leaf_precise = false;
    // While a funclet runs: the start of its method (until its parent frame)
    // and whether the funclet was reported precisely (then the parent is too).
    let mut unwound_until: Option<(u64, bool)> = None;
    let mut first_row = true;
    for f in &st.frames {
        if matches!(f.kind, FrameKind::Explicit(_)) {
            continue;
        }
        let leaf = std::mem::take(&mut first_row);
        let FrameKind::Managed { start, .. } = f.kind else { continue };
        stats.frames += 1;
        let range = f.caller_sp.filter(|&c| c > f.sp).map(|c| (f.sp, c));
        if let Some((parent, funclet_precise)) = unwound_until {
            if start != parent {
                // A frame the exception already unwound: stale, not a root.
                stats.unwound += 1;
                covered.extend(range);
                continue;
            }
            unwound_until = None;
            if funclet_precise {
                // Reported through its funclet, as the runtime does.
                stats.unwound += 1;
                covered.extend(range);
            } else {
                stats.conservative += 1;
                note(stats, os_id, f.ip, "the parent of a funclet that is not precise");
            }
            continue;
        }
        let kind = |register| RootKind::Stack { os_id, managed_id, register, conservative: false };
        let mut unrecovered = 0;
        let found = frame_slots(code, f, leaf, windows).and_then(|slots| {
            let mut out = Vec::new();
            for s in slots {
                // A register not recovered: the conservative scan finds its
                // value where the native frame that has it saved it.
                let Some(value) = s.value.filter(|&v| v != 0) else {
                    unrecovered += u64::from(s.value.is_none());
                    continue;
                };
                let object = if s.slot.interior { index.containing(value) } else { Some(value) };
                match object {
                    Some(o) if index.is_object(o) => {
                        let register = match s.slot.location {
                            SlotLocation::Register(r) => X64_REGS.get(usize::from(r)).copied(),
                            SlotLocation::Stack { .. } => None,
                        };
                        out.push(Root { kind: kind(register), address: s.address.unwrap_or(0), object: o });
                    }
                    // A byref into a stack or a static: no object to keep.
                    None if s.slot.interior => {}
                    _ => {
                        return Err(format!(
                            "live slot {:?} holds {value:#x}, not an object",
                            s.slot.location
                        ));
                    }
                }
            }
            Ok(out)
        });
        let ok = found.is_ok() && range.is_some();
        if f.funclet {
            unwound_until = Some((start, ok));
        }
        match (found, range) {
            (Ok(r), Some(range)) => {
                stats.precise += 1;
                stats.unrecovered_registers += unrecovered;
                precise.extend(r);
                covered.push(range);
                leaf_precise |= leaf;
            }
            (found, _) => {
                stats.conservative += 1;
                let why = found.err().unwrap_or_else(|| "the frame's extent is unknown".into());
                note(stats, os_id, f.ip, &why);
                // Its registers as recovered: a caller's references may live there.
                if let Some(regs) = f.regs.filter(|_| !leaf) {
                    for (r, name) in X64_REGS.iter().enumerate() {
                        if let Some(v) = regs.get(r).filter(|&v| index.is_object(v)) {
                            let kind = RootKind::Stack {
                                os_id,
                                managed_id,
                                register: Some(name),
                                conservative: true,
                            };
                            roots.push(Root { kind, address: 0, object: v });
                        }
                    }
                }
            }
        }
    }
    covered.sort_unstable();
    let before = roots.len();
    let scanned = thread_roots(rt, d, os_id, managed_id, index, roots);
    // The conservative scan keeps the words outside every covered frame,
    // and the context's registers unless the leaf frame was precise.
    let is_covered = |a: u64| {
        let i = covered.partition_point(|r| r.0 <= a);
        i > 0 && covered.get(i - 1).is_some_and(|r| a < r.1)
    };
    let mut k = 0;
    roots.retain(|r| {
        let keep = k < before || if r.address == 0 { !leaf_precise } else { !is_covered(r.address) };
        k += 1;
        keep
    });
    roots.extend(precise);
    scanned
}

/// Keeps the first reasons a frame was scanned conservatively.
fn note(stats: &mut PreciseStats, os_id: u32, ip: u64, why: &str) {
    if stats.reasons.len() < 16 {
        stats.reasons.push(format!("thread {os_id:#x}, frame at {ip:#x}: {why}"));
    }
}
