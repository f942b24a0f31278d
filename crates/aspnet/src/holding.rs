//! Which request holds the memory: objects of a type reachable from a
//! request thread's stack.
//!
//! The roots module does the work, so a request's answer and `gcroot`'s
//! agree: the thread's roots are `clr_stack::stack_roots::precise_thread_roots`
//! ([`Marker::reach_from`]: precise for the x64 managed frames whose GC info
//! decodes, conservative for the rest of the stack — there a dead slot
//! counts too, so counts are an upper bound of what the live frames hold;
//! [`Marker::reach`] is the conservative rule alone), and the marking is
//! `clr_heap::roots::mark_from` (GC descriptors, fresh marks, a bit per heap
//! word: memory bounded by the heap, each object visited once).

use clr_heap::Runtime;
use clr_heap::roots::mark::{MarkStats, Marking, mark_from};
use clr_heap::roots::{HeapIndex, Refs, Root};
use clr_stack::roots::thread_roots;
use std::collections::HashMap;

/// What one thread's stack keeps alive.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Holding {
    /// Per MethodTable: objects reachable from the stack and their bytes.
    pub by_type: HashMap<u64, (u64, u64)>,
    /// All objects reachable from the stack.
    pub reached: u64,
    /// Their bytes.
    pub reached_bytes: u64,
    /// Distinct root objects found on the stack and in registers.
    pub roots: u64,
    /// Stack bytes scanned.
    pub stack_bytes: u64,
    /// References that led nowhere valid (damaged or stale slots).
    pub bad_references: u64,
}

impl Holding {
    /// Objects and bytes of the MethodTables `mts`.
    pub fn of(&self, mts: &[u64]) -> (u64, u64) {
        mts.iter().filter_map(|m| self.by_type.get(m)).fold((0, 0), |(c, b), (c2, b2)| (c + c2, b + b2))
    }

    /// The `n` MethodTables holding the most bytes: (mt, objects, bytes).
    pub fn top(&self, n: usize) -> Vec<(u64, u64, u64)> {
        let mut v: Vec<(u64, u64, u64)> = self.by_type.iter().map(|(&m, &(c, b))| (m, c, b)).collect();
        v.sort_by(|a, b| b.2.cmp(&a.2).then(a.0.cmp(&b.0)));
        v.truncate(n);
        v
    }
}

/// Marks what request threads reach, one thread at a time.
pub struct Marker<'x, 'm> {
    rt: &'x Runtime<'m>,
    index: &'x HeapIndex,
    /// Reused across threads: its descriptor cache is filled once.
    refs: Refs<'m>,
}

impl<'x, 'm> Marker<'x, 'm> {
    /// A marker over the object starts in `index`.
    pub fn new(rt: &'x Runtime<'m>, index: &'x HeapIndex) -> Self {
        Marker { rt, index, refs: Refs::new(rt) }
    }

    /// Everything reachable from OS thread `os_id`'s registers and stack,
    /// counted per MethodTable. `Err` when the dump lacks the thread or its stack.
    pub fn reach(&mut self, os_id: u32, managed_id: Option<u32>) -> Result<Holding, String> {
        let (rt, index) = (self.rt, self.index);
        let d = rt
            .dump
            .threads()
            .iter()
            .find(|t| t.id == os_id)
            .ok_or(format!("no OS thread {os_id:#x} in the dump"))?;
        let mut roots = Vec::new();
        let scanned = thread_roots(rt, d, os_id, managed_id, index, &mut roots);
        self.reach_from(os_id, &roots, scanned)
    }

    /// Everything reachable from `roots`, the roots of OS thread `os_id`
    /// whose stack had `scanned` bytes read — from
    /// `clr_stack::stack_roots::precise_thread_roots`, the rule `gcroot` uses.
    pub fn reach_from(&mut self, os_id: u32, roots: &[Root], scanned: u64) -> Result<Holding, String> {
        let index = self.index;
        if scanned == 0 && roots.is_empty() {
            return Err(format!("thread {os_id:#x}: its stack is not captured"));
        }
        let mut h = Holding { stack_bytes: scanned, ..Holding::default() };
        // Fresh marks per thread (one bit per heap word): each thread counted on its own.
        let mut marks = index.new_marks();
        let mut stack = Vec::new();
        for r in roots {
            if index.mark(&mut marks, r.object) == Some(true) {
                h.roots += 1;
                stack.push(r.object);
            }
        }
        let mut stats = MarkStats::default();
        let mut m = Marking { index, refs: &mut self.refs, marks: &mut marks, stats: &mut stats };
        let mut no_size = 0;
        let tally = |refs: &mut Refs, obj: u64| match refs.mt_and_size(obj, index.align_at(obj)) {
            Some((mt, size)) => {
                h.reached += 1;
                h.reached_bytes += size;
                let e = h.by_type.entry(mt).or_default();
                e.0 += 1;
                e.1 += size;
            }
            None => no_size += 1,
        };
        mark_from(&mut m, &mut stack, tally, |_, _, _| {});
        h.bad_references = stats.bad_references + no_size;
        Ok(h)
    }
}
