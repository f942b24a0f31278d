//! A thread's stack, frame by frame (`!clrstack`), without the DAC.
//!
//! The walk starts at the thread's registers and repeats one step:
//!
//! * **managed code** (found by [`CodeMap`]): x64 unwinds through the
//!   method's `UNWIND_INFO` ([`unwind::x64`]); x86 follows the EBP chain,
//!   scanning the slots below the next link for return addresses of
//!   methods without an EBP frame;
//! * **native code**: Windows x64 unwinds through the module's `.pdata`;
//!   elsewhere the frame-pointer chain is followed while each link is
//!   above the last and its return address is a call site in known code;
//! * when neither works, the next explicit runtime Frame above SP is the
//!   bridge: an active `InlinedCallFrame` gives the caller's registers; any
//!   other Frame is crossed by scanning upward from it for a validated
//!   return address into managed code.
//!
//! A frame reached only by scanning, or through a precompiled function that
//! is not a method entry, or by an unwind that had to infer the frame
//! register, is **marked** (`certain: false`) with the reason, and so is
//! every frame derived from it. The walk is bounded ([`MAX_FRAMES`]) and
//! stops when SP does not advance or leaves the stack.

use crate::code_map::{CodeKind, CodeMap, GcInfoAt};
use crate::frames::{ExplicitFrame, FrameTypes};
use crate::method::MethodName;
use crate::unwind::pdata::NativeUnwind;
use crate::unwind::{RBP, Regs, is_return_address, x64};
use clr_heap::Runtime;
use dump_format::ThreadRecord;
use dump_format::model::OsFamily;

/// Most frames reported per thread.
pub const MAX_FRAMES: usize = 512;
/// How far above SP a scan for a return address looks (bytes).
pub(crate) const SCAN_LIMIT: u64 = 64 << 10;
/// Largest stack assumed when the dump does not bound it.
const MAX_STACK: u64 = 16 << 20;

/// What one row of a stack is.
#[derive(Debug, Clone)]
pub enum FrameKind {
    /// A managed method.
    Managed {
        /// The method, or why it has no name.
        method: Result<MethodName, String>,
        /// JIT'd or precompiled.
        code: CodeKind,
        /// The method's first instruction.
        start: u64,
    },
    /// An explicit runtime Frame (`[InlinedCallFrame: addr]`).
    Explicit(ExplicitFrame),
    /// Native code: the module (file name) and the offset in it, when known.
    Native {
        /// Module file name.
        module: Option<String>,
        /// Offset from the module base.
        offset: u64,
    },
}

/// How a row was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Found {
    /// The thread's registers.
    Context,
    /// Unwind data (`UNWIND_INFO`, `.pdata`).
    Unwind,
    /// A frame-pointer chain link.
    FramePointer,
    /// An explicit runtime Frame.
    RuntimeFrame,
    /// A word of the stack that passed the call-site check.
    Scan,
}

/// One row: `Child SP`, `IP`, and what is there.
#[derive(Debug, Clone)]
pub struct Frame {
    /// The frame's stack pointer (for explicit Frames: their address).
    pub sp: u64,
    /// The instruction pointer (0 for explicit Frames).
    pub ip: u64,
    /// What the row is.
    pub kind: FrameKind,
    /// How it was found.
    pub found: Found,
    /// False when the unwinder is unsure (see `note`).
    pub certain: bool,
    /// Why a row is marked.
    pub note: Option<String>,
    /// The registers in this frame, as far as unwinding recovered them
    /// (managed frames; a register restored from nowhere is unknown).
    pub regs: Option<Regs>,
    /// The caller's SP (this frame's SP before its return address was
    /// pushed), when the frame was unwound through its unwind data.
    pub caller_sp: Option<u64>,
    /// Where the method's GC info is (managed frames, x64).
    pub gc_info: Option<GcInfoAt>,
    /// The frame runs a funclet (an exception handler's own function) of
    /// its method: the frames below its parent's are then already unwound.
    pub funclet: bool,
}

/// A walked stack.
#[derive(Debug, Clone)]
pub struct ThreadStack {
    /// OS thread id.
    pub os_id: u32,
    /// `[SP, end)` of the stack walked.
    pub range: (u64, u64),
    /// The rows, innermost first.
    pub frames: Vec<Frame>,
    /// Why the walk stopped, when not at the stack's end.
    pub stopped: Option<String>,
}

/// The stack walker of one runtime.
pub struct StackWalker<'c, 'm, 't, 'a> {
    pub(crate) rt: &'a Runtime<'a>,
    pub(crate) code: &'c CodeMap<'m, 't, 'a>,
    /// Frame types and their checks.
    pub frame_types: FrameTypes,
    native: NativeUnwind,
    pub(crate) x64: bool,
    pub(crate) windows: bool,
}

impl<'c, 'm, 't, 'a> StackWalker<'c, 'm, 't, 'a> {
    /// A walker over `code`'s runtime.
    pub fn new(code: &'c CodeMap<'m, 't, 'a>) -> Self {
        let rt = code.methods().types().runtime();
        StackWalker {
            rt,
            code,
            frame_types: FrameTypes::new(rt),
            native: NativeUnwind::with_dirs(
                rt.options.runtime_dirs.iter().chain(&rt.options.assembly_dirs).cloned().collect(),
            ),
            x64: rt.layout.ptr == 8,
            windows: rt.dump.system().os == OsFamily::Windows,
        }
    }

    /// `[SP, end)`: the stack the dump holds for `t` (its recorded stack,
    /// else the captured region holding SP, bounded).
    pub fn stack_range(&self, t: &ThreadRecord) -> Option<(u64, u64)> {
        let sp = t.context.as_ref()?.stack_pointer();
        let end = match t.stack {
            Some((lo, n)) if sp >= lo && sp < lo.saturating_add(n) => lo.saturating_add(n),
            _ => {
                let mem = self.rt.dump.memory();
                sp.saturating_add(mem.readable_len(sp).min(MAX_STACK))
            }
        };
        Some((sp, end))
    }

    /// Walks the stack of OS thread `t`; `thread` is its runtime `Thread`
    /// and `first_frame` its `m_pFrame`, when it is a managed thread.
    pub fn walk(&mut self, t: &ThreadRecord, thread: Option<(u64, u64)>) -> ThreadStack {
        let mut st = ThreadStack { os_id: t.id, range: (0, 0), frames: Vec::new(), stopped: None };
        let (Some(ctx), Some(range)) = (t.context.as_ref(), self.stack_range(t)) else {
            st.stopped = Some("no registers or stack in the dump".into());
            return st;
        };
        st.range = range;
        let explicit = match thread {
            Some((th, first)) => self.frame_types.chain(self.rt, th, first, range),
            None => Vec::new(),
        };
        let mut w = Walk {
            regs: Regs::from_context(ctx),
            certain: true,
            chain_certain: true,
            row_doubt: false,
            found: Found::Context,
            note: None,
        };
        let mut rows = Vec::new();
        let mut stopped = None;
        while rows.len() < MAX_FRAMES {
            let before = w.regs.sp;
            if w.regs.ip == 0 || before < range.0 || before >= range.1 {
                break;
            }
            match self.step(&mut w, &explicit, range, &mut rows) {
                Ok(()) => {}
                Err(why) => {
                    // Past the last runtime Frame there is only the thread's native start.
                    if explicit.iter().any(|f| f.address >= w.regs.sp) {
                        stopped = Some(why);
                    }
                    break;
                }
            }
            if w.regs.sp <= before {
                stopped = Some(format!("SP did not advance at {before:#x}"));
                break;
            }
        }
        if rows.len() >= MAX_FRAMES {
            stopped = Some(format!("more than {MAX_FRAMES} frames"));
        }
        // Explicit Frames go where their address puts them.
        for f in explicit.into_iter().filter(|f| f.name != Some("InlinedCallFrame") || f.resume.is_some()) {
            let at = rows.partition_point(|r: &Frame| r.sp <= f.address);
            let row = Frame {
                sp: f.address,
                ip: 0,
                kind: FrameKind::Explicit(f),
                found: Found::RuntimeFrame,
                certain: true,
                note: None,
                regs: None,
                caller_sp: None,
                gc_info: None,
                funclet: false,
            };
            rows.insert(at, row);
        }
        st.frames = rows;
        st.stopped = stopped;
        st
    }

    /// Emits the row for the current registers and moves them to the caller.
    fn step(
        &self,
        w: &mut Walk,
        explicit: &[ExplicitFrame],
        range: (u64, u64),
        rows: &mut Vec<Frame>,
    ) -> Result<(), String> {
        let mem = self.rt.dump.memory();
        let ip = w.regs.ip;
        if let Some(ci) = self.code.lookup(ip) {
            let mut note = w.note.take();
            if !ci.exact {
                w.certain = false;
                note.get_or_insert_with(|| {
                    "precompiled code outside a method entry (funclet or generic instantiation)".into()
                });
            }
            let kind = FrameKind::Managed { method: ci.method.clone(), code: ci.kind, start: ci.start };
            rows.push(Frame {
                sp: w.regs.sp,
                ip,
                kind,
                found: w.found,
                certain: w.certain,
                note,
                regs: Some(w.regs),
                caller_sp: None,
                gc_info: ci.gc_info,
                // Its own unwind entry, not the method's first: a funclet.
                funclet: ci.unwind.is_some_and(|u| u.base.wrapping_add(u64::from(u.begin)) != ci.start),
            });
            if self.x64 {
                let Some(rf) = ci.unwind else {
                    return self.bridge(w, explicit, range, "managed code without unwind data");
                };
                let step = x64::unwind(&mem, &self.info_reader(), &rf, &mut w.regs)?;
                if let Some(row) = rows.last_mut() {
                    row.caller_sp = Some(w.regs.sp);
                }
                w.regs.clobber_volatile(self.windows);
                if step.fp_inferred {
                    w.mark("frame register unknown: SP taken as after the prolog");
                }
                w.chain_certain = w.certain;
                w.found = Found::Unwind;
                return Ok(());
            }
            return self.x86_managed_step(w, explicit, range);
        }
        let module = self.rt.dump.modules().iter().find(|m| ip >= m.base && ip < m.end());
        let kind = FrameKind::Native {
            module: module.map(|m| m.file_name().to_string()),
            offset: module.map_or(ip, |m| ip - m.base),
        };
        rows.push(Frame {
            sp: w.regs.sp,
            ip,
            kind,
            found: w.found,
            certain: w.certain,
            note: w.note.take(),
            regs: None,
            caller_sp: None,
            gc_info: None,
            funclet: false,
        });
        if self.x64
            && self.windows
            && let Some(rf) = self.native.lookup(self.rt.dump, ip)
            && x64::unwind(&mem, &self.info_reader(), &rf, &mut w.regs).is_ok()
        {
            w.regs.clobber_volatile(true);
            w.found = Found::Unwind;
            return Ok(());
        }
        // Windows x64: a function without `.pdata` is a leaf, its return address at [SP];
        // trusted only for the innermost frame, where no caller's SP can be wrong.
        if self.x64
            && self.windows
            && w.found == Found::Context
            && let Ok(ret) = mem.u64(w.regs.sp)
            && self.is_code(ret)
            && is_return_address(&self.info_reader(), ret)
        {
            w.regs.ip = ret;
            w.regs.sp += 8;
            w.found = Found::Unwind;
            return Ok(());
        }
        // x86: a managed method without an EBP frame between this native
        // frame and the next link would be skipped by the link; its return
        // address is the first call site into managed code below the link.
        if !self.x64
            && let Some(fp) = w.regs.fp().filter(|&fp| fp >= w.regs.sp && fp < range.1)
            && mem.ptr(fp + 4).is_ok_and(|ret| self.code.is_managed(ret))
            && let Some(slot) = self.scan(w.regs.sp, fp + 4, true)
        {
            let ip = mem.ptr(slot).map_err(|e| e.to_string())?;
            w.regs = Regs::new(ip, slot + 4);
            w.regs.set(RBP, Some(fp));
            w.found = Found::Scan;
            w.mark("return address found by scanning (method without an EBP frame?)");
            w.row_doubt = true;
            return Ok(());
        }
        if !(self.x64 && self.windows) && self.fp_step(w, explicit, range) {
            return Ok(());
        }
        self.bridge(w, explicit, range, "native code without unwind data")
    }

    /// Reads code and unwind data: dump memory, else the image file of a
    /// ReadyToRun or native module whose pages the dump left out.
    pub(crate) fn info_reader(&self) -> impl Fn(u64, u32) -> Result<Vec<u8>, String> + '_ {
        move |at, len| {
            let mem = self.rt.dump.memory();
            mem.read(at, u64::from(len)).map(|c| c.into_owned()).or_else(|e| {
                self.code
                    .image_bytes(at, len)
                    .or_else(|| self.native.file_bytes(self.rt.dump, at, len))
                    .ok_or_else(|| e.to_string())
            })
        }
    }

    /// Follows the frame-pointer link: `[fp]` = caller's FP, `[fp+ptr]` = return address.
    fn fp_step(&self, w: &mut Walk, explicit: &[ExplicitFrame], range: (u64, u64)) -> bool {
        let before = w.regs.sp;
        let mem = self.rt.dump.memory();
        let p = self.rt.layout.ptr;
        let Some(fp) = w.regs.fp() else { return false };
        if fp < w.regs.sp || fp >= range.1 {
            return false;
        }
        let (Ok(saved), Ok(ret)) = (mem.ptr(fp), mem.ptr(fp + p)) else { return false };
        if !self.is_code(ret) || !is_return_address(&self.info_reader(), ret) {
            return false;
        }
        w.regs = Regs::new(ret, fp + 2 * p);
        w.regs.set(RBP, Some(saved));
        w.found = Found::FramePointer;
        if w.row_doubt {
            w.certain = w.chain_certain;
            w.row_doubt = false;
        }
        // A managed caller right above a runtime Frame is where the runtime
        // says managed code called native code: the chain is confirmed there.
        if self.code.is_managed(ret) && explicit_between(explicit, before, fp) {
            w.certain = true;
            w.chain_certain = true;
            w.note = None;
        }
        true
    }

    /// x86 managed code: the EBP chain, with the slots below its next link
    /// scanned for callers that keep no EBP frame (those rows are marked).
    fn x86_managed_step(
        &self,
        w: &mut Walk,
        explicit: &[ExplicitFrame],
        range: (u64, u64),
    ) -> Result<(), String> {
        let mem = self.rt.dump.memory();
        let fp = w.regs.fp().filter(|&fp| fp >= w.regs.sp && fp < range.1);
        let limit = fp.map_or(w.regs.sp.saturating_add(SCAN_LIMIT), |fp| fp + 4).min(range.1);
        // The current frame's own return address is the first call site above SP.
        if let Some(slot) = self.scan(w.regs.sp, limit, true) {
            if Some(slot) != fp.map(|f| f + 4) {
                let ip = mem.ptr(slot).map_err(|e| e.to_string())?;
                let ebp = w.regs.fp();
                w.regs = Regs::new(ip, slot + 4);
                w.regs.set(RBP, ebp);
                w.found = Found::Scan;
                w.mark("return address found by scanning (method without an EBP frame?)");
                w.row_doubt = true;
                return Ok(());
            }
        }
        if fp.is_some() && self.fp_step(w, explicit, range) {
            return Ok(());
        }
        Err("no EBP link and no return address above the managed frame".into())
    }
}

/// Whether a runtime Frame lies in `[lo, hi)`.
pub(crate) fn explicit_between(explicit: &[ExplicitFrame], lo: u64, hi: u64) -> bool {
    explicit.iter().any(|f| f.address >= lo && f.address < hi)
}

/// The walk's state between steps.
pub(crate) struct Walk {
    pub(crate) regs: Regs,
    /// The next row's certainty.
    pub(crate) certain: bool,
    /// Whether the frame-pointer value being followed is proven (a scanned
    /// return address does not change the FP, so it does not taint it).
    pub(crate) chain_certain: bool,
    /// The doubt is the row's own (a scanned return address on x86).
    pub(crate) row_doubt: bool,
    pub(crate) found: Found,
    pub(crate) note: Option<String>,
}

impl Walk {
    /// Marks this and every later frame as uncertain.
    pub(crate) fn mark(&mut self, why: &str) {
        self.certain = false;
        self.note = Some(why.to_string());
    }
}
