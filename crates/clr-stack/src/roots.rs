//! Roots that need threads, and the whole root set of a session.
//!
//! Stack roots are **precise** for each x64 managed frame whose GC info
//! decodes and checks out ([`crate::stack_roots`]), and **conservative**
//! for the rest of the stack: every pointer-aligned word from the stack
//! pointer to the end of the capture, and every general-purpose register,
//! that holds the address of an object start is a root, marked
//! `conservative` (a dead slot or an integer that happens to look like an
//! object address keeps its object "alive" there, never the reverse: no
//! live object is missed for want of GC info). [`thread_roots`] is that
//! conservative rule alone — SOS's `!dso` rule, used by `requests --holding`.
//!
//! [`RootSet::collect`] gathers every kind — stacks, strong handles, the
//! f-reachable queue, statics — and runs the one marking pass
//! ([`Liveness`]) that `gcroot` and `dumpheap --live/--dead` share.

use crate::code_map::CodeMap;
use crate::method::Methods;
use crate::stack::StackWalker;
use crate::stack_roots::{PreciseStats, precise_thread_roots};
use crate::threads::Threads;
use clr_heap::Result;
use clr_heap::gc::stat::HeapStat;
use clr_heap::roots::finalize::{FinalizerEntry, read_queue};
use clr_heap::roots::handles::{Handle, read_handles};
use clr_heap::roots::index::IndexBuilder;
use clr_heap::roots::statics::{StaticsScan, static_roots};
use clr_heap::roots::{HeapIndex, Liveness, Root, RootKind, RootPaths};
use clr_heap::runtime::{Diagnostics, Runtime};
use clr_heap::types::TypeSystem;
use dump_format::model::ThreadRecord;

/// Longest stack scanned per thread (bytes): a corrupt range must stay bounded.
const MAX_STACK: u64 = 64 << 20;

/// The roots of a dump and the marking pass over them.
pub struct RootSet<'m> {
    /// The marking pass (object index, live bits, the roots in section order).
    pub liveness: Liveness<'m>,
    /// Every handle in use (weak ones included), or why the table could not be read.
    pub handles: std::result::Result<Vec<Handle>, String>,
    /// The finalization queue, or why it could not be read.
    pub finalizer_queue: std::result::Result<Vec<FinalizerEntry>, String>,
    /// What the statics scan covered.
    pub statics: StaticsScan,
    /// Every object of the heap per MethodTable, from the index's walk.
    pub heap_stat: HeapStat,
    /// How the stack roots were found (precise and conservative frames).
    pub stack: PreciseStats,
    /// Every check and finding.
    pub diagnostics: Diagnostics,
    /// Wall time of each phase (heap index, roots, marking, reverse edges), for benchmarks.
    pub timings: Vec<(&'static str, std::time::Duration)>,
    paths: Option<RootPaths>,
}

impl<'m> RootSet<'m> {
    /// Collects every root of `types`' runtime and marks the live heap.
    pub fn collect(types: &TypeSystem<'m>, threads: &Threads) -> Result<RootSet<'m>> {
        Self::collect_with(types, threads, false)
    }

    /// As [`RootSet::collect`]; `for_paths` also counts incoming references
    /// during the marking, which halves the cost of the first path query.
    pub fn collect_with(types: &TypeSystem<'m>, threads: &Threads, for_paths: bool) -> Result<RootSet<'m>> {
        Self::collect_with_progress(types, threads, for_paths, &mut |_, _, _| {})
    }

    /// As [`RootSet::collect_with`], reporting how far the long phases are:
    /// `progress(phase, done, total)` — the heap walk in bytes of heap,
    /// the marking in objects marked (`total` 0: only a count, as how many
    /// objects are live is what the marking finds out). Called a few
    /// hundred times per phase at most, never per object.
    pub fn collect_with_progress(
        types: &TypeSystem<'m>,
        threads: &Threads,
        for_paths: bool,
        progress: &mut dyn FnMut(&'static str, u64, u64),
    ) -> Result<RootSet<'m>> {
        let rt = types.runtime();
        let mut diag = Diagnostics::default();
        let mut timings = Vec::new();
        let mut t = std::time::Instant::now();
        let mut lap = |name, timings: &mut Vec<_>| {
            timings.push((name, t.elapsed()));
            t = std::time::Instant::now();
        };
        let mut cache = rt.mt_cache();
        // The index's walk also tallies every object: live/dead statistics
        // then need no walk of their own (`Liveness::stat`).
        let mut builder = IndexBuilder::new(rt)?;
        let heap_stat = HeapStat::collect(
            rt,
            &mut cache,
            |o| {
                builder.object(o.address);
                true
            },
            |done, total| progress("walking the GC heap", done, total),
        )?;
        let index = builder.finish(heap_stat.invalid.clone(), heap_stat.walk.clone())?;
        lap("heap index", &mut timings);
        let (mut roots, stack) = stack_roots(types, threads, &index);
        diag.found(
            format!(
                "{} stack and register roots: {} managed frames precise from their GC info, {} already \
                 unwound by exception handling, {} scanned conservatively",
                roots.len(),
                stack.precise,
                stack.unwound,
                stack.conservative
            ),
            "GC info of each managed frame at its call site; every other word of each managed thread's \
             captured stack from its SP, and its registers, conservatively",
        );
        let handles = read_handles(rt, &mut diag);
        if let Ok(hs) = &handles {
            roots.extend(hs.iter().filter(|h| h.kind.is_strong()).map(|h| Root {
                kind: RootKind::Handle(h.kind),
                address: h.address,
                object: h.object,
            }));
        }
        let finalizer_queue = read_queue(rt, &mut diag);
        if let Ok(q) = &finalizer_queue {
            roots.extend(q.iter().filter(|e| e.ready).map(|e| Root {
                kind: RootKind::FinalizerQueue,
                address: e.slot,
                object: e.object,
            }));
        }
        let modules: Vec<u64> = cache.valid().map(|m| m.loader_module).collect();
        let (statics, scan) = static_roots(types, modules);
        roots.extend(statics);
        lap("roots", &mut timings);
        let none: Vec<Handle> = Vec::new();
        let liveness = Liveness::compute_with_progress(
            rt,
            index,
            roots,
            handles.as_ref().unwrap_or(&none),
            for_paths,
            &mut diag,
            &mut |marked| progress("marking", marked, 0),
        );
        lap("marking", &mut timings);
        Ok(RootSet {
            liveness,
            handles,
            finalizer_queue,
            statics: scan,
            stack,
            heap_stat,
            diagnostics: diag,
            timings,
            paths: None,
        })
    }

    /// `dumpheap --live --stat` (`live`) or `--dead --stat`: from the index's
    /// walk and the marks, without walking the heap again.
    pub fn stat(&mut self, free_mt: Option<u64>, live: bool) -> HeapStat {
        self.liveness.stat(&self.heap_stat, free_mt, live)
    }

    /// The reverse edges for path queries, built on first use and kept.
    pub fn paths(&mut self) -> &RootPaths {
        let Self { paths, liveness, timings, .. } = self;
        paths.get_or_insert_with(|| {
            let t = std::time::Instant::now();
            let p = RootPaths::build(liveness);
            timings.push(("reverse edges", t.elapsed()));
            p
        })
    }

    /// Every root reaching `target` with its shortest chain (see [`RootPaths::paths_to`]).
    pub fn paths_to(&mut self, target: u64) -> Vec<clr_heap::roots::RootPath> {
        self.paths();
        match &self.paths {
            Some(p) => p.paths_to(&self.liveness, target),
            None => Vec::new(),
        }
    }
}

/// The part of a dump thread's captured stack to scan: from its stack
/// pointer to the end of the capture — cut at the first GC heap segment
/// above the stack pointer, because a core's memory region may merge a
/// thread's stack with the mappings above it (seen: a thread-pool stack
/// region running on into the GC heap).
pub fn active_stack(rt: &Runtime, d: &ThreadRecord) -> Option<(u64, u64)> {
    let p = rt.layout.ptr;
    let (lo, len) = d.stack?;
    let mut hi = lo.saturating_add(len.min(MAX_STACK));
    let sp = d.context.map(|c| c.stack_pointer()).filter(|&sp| sp >= lo && sp < hi).unwrap_or(lo);
    if let Ok(heap) = &rt.heap {
        for s in &heap.segments {
            if s.address > sp && s.address < hi {
                hi = s.address;
            }
        }
    }
    Some((sp.next_multiple_of(p), hi))
}

/// The stack roots of every managed thread that has an OS thread in the
/// dump: precise for the frames whose GC info decodes (x64), conservative
/// for the rest of each stack ([`crate::stack_roots`]).
pub fn stack_roots(types: &TypeSystem, threads: &Threads, index: &HeapIndex) -> (Vec<Root>, PreciseStats) {
    let dump = types.runtime().dump;
    let methods = Methods::new(types);
    let code = CodeMap::new(&methods);
    let mut walker = StackWalker::new(&code);
    let (mut roots, mut stats) = (Vec::new(), PreciseStats::default());
    for t in &threads.threads {
        let (Some(d), Some(os_id)) = (t.dump_thread.and_then(|i| dump.threads().get(i)), t.os_id) else {
            continue;
        };
        precise_thread_roots(&code, &mut walker, d, t, os_id, index, &mut roots, &mut stats);
    }
    (roots, stats)
}

/// Conservative roots of one dump thread (OS id `os_id`, managed id
/// `managed_id` when known): its registers, then its active stack's slots
/// from the stack pointer up, each an object start of `index`. Returns the
/// stack bytes read (0: the dump holds none of its stack).
pub fn thread_roots(
    rt: &Runtime,
    d: &ThreadRecord,
    os_id: u32,
    managed_id: Option<u32>,
    index: &HeapIndex,
    roots: &mut Vec<Root>,
) -> u64 {
    let mem = rt.dump.memory();
    let p = mem.pointer_size() as u64;
    let kind = |register| RootKind::Stack { os_id, managed_id, register, conservative: true };
    if let Some(ctx) = &d.context {
        for (name, v) in ctx.registers() {
            if index.is_object(v) {
                roots.push(Root { kind: kind(Some(name)), address: 0, object: v });
            }
        }
    }
    let Some((mut a, hi)) = active_stack(rt, d) else { return 0 };
    let mut scanned = 0;
    // Contiguous captured bytes at a time; gaps jump to the next region.
    while a + p <= hi {
        let n = mem.readable_len(a).min(hi - a);
        let n = n - n % p;
        if n == 0 {
            match mem.regions().iter().find(|r| r.start > a) {
                Some(r) => a = r.start.next_multiple_of(p),
                None => break,
            }
            continue;
        }
        let Ok(bytes) = mem.read(a, n) else { break };
        scanned += n;
        for (k, w) in bytes.chunks_exact(p as usize).enumerate() {
            let mut b = [0u8; 8];
            b[..w.len()].copy_from_slice(w);
            let v = u64::from_le_bytes(b);
            if index.is_object(v) {
                roots.push(Root { kind: kind(None), address: a + k as u64 * p, object: v });
            }
        }
        a += n;
    }
    scanned
}
