//! The finalization queue (reference §8.2): per GC heap a `CFinalize`
//! `{Object** m_FillPointers[G+2]; Object** m_Array; Object** m_EndArray}`
//! where `G` is the number of generations (4 before .NET 5: gen0–2 and
//! LOH). Queue segment `s` spans `[s == 0 ? m_Array : fill[s−1], fill[s])`:
//! segments `0..G` hold objects registered for finalization (segment
//! `G−1−gen` for generation `gen`), `G` the critical and `G+1` the ordinary
//! *f-reachable* objects — dead objects whose finalizer has yet to run, kept
//! alive by the queue (GC roots).
//!
//! Proven on the dump: the pointers are ordered, aligned and the array is
//! readable; every entry must then be an object of the heap (`mark.rs`).

use crate::runtime::Runtime;
use crate::runtime::diagnostics::Diagnostics;

/// More entries than any process queues: a corrupt fill pointer must not allocate.
const MAX_ENTRIES: u64 = 1 << 26;

/// One entry of the queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FinalizerEntry {
    /// The slot in the queue's array.
    pub slot: u64,
    /// The object.
    pub object: u64,
    /// Ready for finalization (f-reachable): a GC root.
    pub ready: bool,
    /// The generation it was registered in (`None` when ready).
    pub generation: Option<u8>,
    /// The GC heap whose queue holds it.
    pub heap: usize,
}

/// Every entry of every heap's queue.
pub fn read_queue(rt: &Runtime, diag: &mut Diagnostics) -> Result<Vec<FinalizerEntry>, String> {
    let heap = rt.heap.as_ref().map_err(|e| e.clone())?;
    let mem = rt.dump.memory();
    let p = rt.layout.ptr;
    let gens = rt.gc_vars.as_ref().map_or(4, |v| v.total_generation_count);
    let fills = gens + 2;
    let mut out = Vec::new();
    for (hi, h) in heap.heaps.iter().enumerate() {
        if h.finalize_queue == 0 {
            continue;
        }
        let cf = h.finalize_queue;
        let read = |i: u64| mem.ptr(cf + i * p).map_err(|e| format!("CFinalize at {cf:#x}: {e}"));
        let mut ptrs = Vec::with_capacity(fills as usize + 2);
        for i in 0..fills {
            ptrs.push(read(i)?);
        }
        let array = read(fills)?;
        let end = read(fills + 1)?;
        let ordered = std::iter::once(array).chain(ptrs.iter().copied()).collect::<Vec<_>>();
        let ok = ordered.windows(2).all(|w| w[0] <= w[1])
            && ptrs.last().is_some_and(|&l| l <= end)
            && ordered.iter().all(|a| a % p == 0)
            && (end - array) / p <= MAX_ENTRIES;
        diag.check(
            "finalization queue: CFinalize fill pointers ordered inside [m_Array, m_EndArray]",
            ok,
            format!("heap {hi}: CFinalize {cf:#x}, array {array:#x}..{end:#x}, fill {ptrs:x?}"),
        );
        if !ok {
            return Err(format!("CFinalize at {cf:#x} does not have the expected shape"));
        }
        let mut start = array;
        for (s, &stop) in ptrs.iter().enumerate() {
            let s = s as u64;
            let ready = s >= gens;
            let generation = (!ready).then(|| (gens - 1 - s) as u8);
            let mut slot = start;
            while slot < stop {
                let object = mem.ptr(slot).map_err(|e| format!("finalization queue slot {slot:#x}: {e}"))?;
                if object != 0 {
                    out.push(FinalizerEntry { slot, object, ready, generation, heap: hi });
                }
                slot += p;
            }
            start = stop;
        }
    }
    Ok(out)
}
