//! Explicit runtime Frames (reference §7.4): the chain from `Thread::m_pFrame`
//! of stack-allocated `Frame` objects `{vtable, m_Next, …}` ending at
//! `FRAME_TOP` (all ones). They mark where managed code called native code
//! (`InlinedCallFrame` for P/Invoke, `HelperMethodFrame` for runtime helpers,
//! …) and let a walk step over native code it cannot unwind.
//!
//! A Frame's type is its C++ vtable, named by the DAC table's vtable list
//! (`VPTR_CLASS` entries; the runtime fills them on every OS). The chain is
//! accepted link by link only while each Frame lies above the previous one
//! inside the thread's stack.
//!
//! `InlinedCallFrame` fields (`m_pCallSiteSP`, `m_pCallerReturnAddress`,
//! `m_pCalleeSavedFP`, `m_pThread`) are candidates from `frames.h`, accepted
//! only when `m_pThread` is the thread that owns the chain.

use clr_heap::Runtime;
use clr_heap::globals::dac_table::read_dac_table;
use clr_heap::globals::elf_symbols;
use clr_heap::runtime::Diagnostics;
use std::collections::HashMap;

/// Longest Frame chain followed.
const MAX_FRAMES: usize = 1024;

/// One explicit Frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExplicitFrame {
    /// Address of the Frame (on the stack).
    pub address: u64,
    /// Its vtable.
    pub vtable: u64,
    /// The Frame class, when the vtable is a known one.
    pub name: Option<&'static str>,
    /// For an active `InlinedCallFrame`: where the managed caller resumes.
    pub resume: Option<Resume>,
}

impl ExplicitFrame {
    /// `InlinedCallFrame`, `HelperMethodFrame`, … or `Frame` when unknown.
    pub fn label(&self) -> &str {
        self.name.unwrap_or("Frame")
    }
}

/// The managed caller's registers saved by an `InlinedCallFrame`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resume {
    /// `m_pCallerReturnAddress`.
    pub ip: u64,
    /// `m_pCallSiteSP`.
    pub sp: u64,
    /// `m_pCalleeSavedFP`.
    pub fp: u64,
}

/// Frame vtables → class names, and the `InlinedCallFrame` layout.
pub struct FrameTypes {
    names: HashMap<u64, &'static str>,
    ptr: u64,
    /// What was found and checked.
    pub diagnostics: Diagnostics,
}

impl FrameTypes {
    /// Reads the vtable list of the runtime's DAC table.
    pub fn new(rt: &Runtime) -> Self {
        let mut diagnostics = Diagnostics::default();
        let file = elf_symbols::candidates(&rt.module.module, &rt.options.runtime_dirs)
            .into_iter()
            .find(|p| p.is_file());
        let names = match read_dac_table(rt.dump, &rt.module.module, file.as_deref()) {
            Ok(t) => {
                let names: HashMap<u64, &'static str> =
                    t.vtables.iter().filter(|v| v.rva != 0).map(|v| (v.address, v.name)).collect();
                diagnostics.found(format!("{} Frame vtables", names.len()), "DAC table vtable list");
                names
            }
            Err(e) => {
                diagnostics.check("Frame vtables from the DAC table", false, e.to_string());
                HashMap::new()
            }
        };
        FrameTypes { names, ptr: rt.layout.ptr, diagnostics }
    }

    /// The class whose vtable is `vtable`.
    pub fn name(&self, vtable: u64) -> Option<&'static str> {
        self.names.get(&vtable).copied()
    }

    /// The chain starting at `first` (`Thread::m_pFrame`) of the thread at
    /// `thread`, whose stack is `[lo, hi)`.
    pub fn chain(
        &mut self,
        rt: &Runtime,
        thread: u64,
        first: u64,
        (lo, hi): (u64, u64),
    ) -> Vec<ExplicitFrame> {
        let mem = rt.dump.memory();
        let p = self.ptr;
        let top = if p == 8 { u64::MAX } else { u64::from(u32::MAX) };
        let mut out: Vec<ExplicitFrame> = Vec::new();
        let mut cur = first;
        while cur != top && cur != 0 && out.len() < MAX_FRAMES {
            if cur < lo || cur >= hi || out.last().is_some_and(|f| cur <= f.address) {
                self.diagnostics.check(
                    "Frame chain stays inside the stack, ascending",
                    false,
                    format!("thread {thread:#x}: Frame {cur:#x} outside [{lo:#x}, {hi:#x}) or not above its predecessor"),
                );
                break;
            }
            let (Ok(vtable), Ok(next)) = (mem.ptr(cur), mem.ptr(cur.wrapping_add(p))) else { break };
            let name = self.name(vtable);
            let resume = if name == Some("InlinedCallFrame") { self.inlined(rt, thread, cur) } else { None };
            out.push(ExplicitFrame { address: cur, vtable, name, resume });
            cur = next;
        }
        out
    }

    /// An active `InlinedCallFrame`'s saved caller state: x64 `{…, m_Datum,
    /// m_StubSecretArg, m_pCallSiteSP, m_pCallerReturnAddress,
    /// m_pCalleeSavedFP, m_pThread}`, x86 the same without the secret arg.
    fn inlined(&mut self, rt: &Runtime, thread: u64, f: u64) -> Option<Resume> {
        let mem = rt.dump.memory();
        let p = self.ptr;
        let first = if p == 8 { 4 } else { 3 };
        let rd = |i: u64| mem.ptr(f.wrapping_add(i * p)).ok();
        let (sp, ip, fp, owner) = (rd(first)?, rd(first + 1)?, rd(first + 2)?, rd(first + 3)?);
        let proven = owner == thread;
        self.diagnostics.check(
            "InlinedCallFrame.m_pThread is its thread",
            proven,
            format!("Frame {f:#x}: m_pThread {owner:#x}, thread {thread:#x}"),
        );
        (proven && ip != 0).then_some(Resume { ip, sp, fp })
    }
}
