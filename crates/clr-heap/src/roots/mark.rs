//! [`Liveness`]: the one marking pass of a session. From every root, every
//! object reachable through references (and through dependent handles whose
//! primary is alive) is marked in a bitmap over the heap's objects — memory
//! proportional to the heap, whatever the number of roots or paths.
//! `dumpheap --live/--dead` and `gcroot` read it; nothing is traversed twice.

use super::Root;
use super::handles::Handle;
use super::index::{Bits, HeapIndex};
use super::refs::Refs;
use crate::runtime::Runtime;
use crate::runtime::diagnostics::Diagnostics;

/// Counters of the pass.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MarkStats {
    /// Roots given.
    pub roots: u64,
    /// Roots whose object is not an object start of the heap.
    pub roots_off_heap: u64,
    /// Objects on the heap.
    pub objects: u64,
    /// Objects marked live.
    pub live: u64,
    /// References followed.
    pub references: u64,
    /// References to something that is not an object start.
    pub bad_references: u64,
    /// Objects whose references could not be read (type or descriptor).
    pub unreadable_objects: u64,
    /// Dependent-handle secondaries kept alive by their primary.
    pub dependent_marked: u64,
}

/// The result of the marking pass.
pub struct Liveness<'m> {
    /// The heap's object index.
    pub index: HeapIndex,
    /// One bit per object: live.
    pub marked: Bits,
    /// Every root, in the order given.
    pub roots: Vec<Root>,
    /// Dependent handles `(primary, secondary)` (edges for the paths).
    pub dependents: Vec<(u64, u64)>,
    /// Reference reader (its descriptor cache is reused by the paths).
    pub refs: Refs<'m>,
    /// Counters.
    pub stats: MarkStats,
    /// The first references that did not land on an object: `(slot, value)`.
    pub bad_samples: Vec<(u64, u64)>,
    /// References to each object from live objects, counted during the pass
    /// when asked (`gcroot`: the reverse edges then need one pass, not two).
    pub indegree: Option<Vec<u32>>,
}

impl<'m> Liveness<'m> {
    /// Marks everything reachable from `roots`; `handles` supplies the
    /// dependent handles; `count_edges` also counts each object's incoming
    /// references (for [`super::RootPaths`]). Checks go to `diag`.
    pub fn compute(
        rt: &Runtime<'m>,
        index: HeapIndex,
        roots: Vec<Root>,
        handles: &[Handle],
        count_edges: bool,
        diag: &mut Diagnostics,
    ) -> Liveness<'m> {
        let dependents: Vec<(u64, u64)> = handles
            .iter()
            .filter(|h| h.kind == super::HandleKind::Dependent && h.secondary != 0)
            .map(|h| (h.object, h.secondary))
            .collect();
        let index_objects = index.objects();
        let mut l = Liveness {
            marked: Bits::new(index.objects()),
            index,
            roots,
            dependents,
            refs: Refs::new(rt),
            stats: MarkStats::default(),
            bad_samples: Vec::new(),
            indegree: count_edges.then(|| vec![0u32; index_objects as usize]),
        };
        l.stats.objects = u64::from(l.index.objects());
        l.stats.roots = l.roots.len() as u64;
        let mut stack: Vec<u64> = Vec::new();
        for r in &l.roots {
            match l.index.index_of(r.object) {
                Some(i) => {
                    if l.marked.set(i) {
                        stack.push(r.object);
                    }
                }
                None => l.stats.roots_off_heap += 1,
            }
        }
        l.drain(&mut stack);
        // Dependent handles: a secondary lives while its primary does; marking
        // one may make another primary live, so repeat until nothing changes
        // (at most once per handle).
        for _ in 0..=l.dependents.len() {
            let mut changed = false;
            for k in 0..l.dependents.len() {
                let (primary, secondary) = l.dependents[k];
                let live = l.index.index_of(primary).is_some_and(|i| l.marked.get(i));
                if let (true, Some(s)) = (live, l.index.index_of(secondary)) {
                    if l.marked.set(s) {
                        l.stats.dependent_marked += 1;
                        stack.push(secondary);
                        changed = true;
                    }
                }
            }
            l.drain(&mut stack);
            if !changed {
                break;
            }
        }
        l.stats.live = l.marked.count();
        let s = &l.stats;
        diag.check(
            "marking: every reference read through the GC descriptors lands on an object start",
            s.bad_references == 0,
            format!(
                "{} references followed from {} live objects, {} not on an object start{}",
                s.references,
                s.live,
                s.bad_references,
                l.bad_samples
                    .first()
                    .map(|(a, v)| format!(" (first: slot {a:#x} holds {v:#x})"))
                    .unwrap_or_default()
            ),
        );
        diag.check(
            "marking: every live object's type and GC descriptor readable",
            s.unreadable_objects == 0 && l.refs.bad_descs.is_empty(),
            format!(
                "{} objects unreadable; descriptors refused: {:x?}",
                s.unreadable_objects,
                l.refs.bad_descs.iter().take(4).collect::<Vec<_>>()
            ),
        );
        l
    }

    /// Marks what the objects on `stack` reach, counting incoming references
    /// and keeping the first bad ones as samples.
    fn drain(&mut self, stack: &mut Vec<u64>) {
        let (index, marked, refs, stats, bad) =
            (&self.index, &mut self.marked, &mut self.refs, &mut self.stats, &mut self.bad_samples);
        let mut indegree = self.indegree.as_deref_mut();
        let on_ref = |slot, target, t: Option<u32>| match t {
            Some(t) => {
                if let Some(c) = indegree.as_deref_mut().and_then(|d| d.get_mut(t as usize)) {
                    *c = c.saturating_add(1);
                }
            }
            None => {
                if bad.len() < 8 {
                    bad.push((slot, target));
                }
            }
        };
        mark_from(&mut Marking { index, refs, marked, stats }, stack, |_, _| {}, on_ref);
    }

    /// Whether the object at `addr` is live (`None`: not an object start).
    pub fn is_live(&self, addr: u64) -> Option<bool> {
        self.index.index_of(addr).map(|i| self.marked.get(i))
    }
}

/// What [`mark_from`] marks with: the object index, the reference reader,
/// the bitmap (one bit per object) and the counters it adds to.
pub struct Marking<'a, 'm> {
    /// Object starts of the heap.
    pub index: &'a HeapIndex,
    /// Reference reader.
    pub refs: &'a mut Refs<'m>,
    /// Marked objects.
    pub marked: &'a mut Bits,
    /// Counters (references, bad references, unreadable objects).
    pub stats: &'a mut MarkStats,
}

/// Marks everything the objects on `stack` (already marked) reach, with an
/// explicit stack (no recursion): every object is taken once, so the pass is
/// bounded by the heap. `on_object(refs, obj)` sees each object taken;
/// `on_ref(slot, target, index)` each reference, `index` `None` when it is
/// not an object start. Shared by the session's marking and by callers
/// that mark from a subset of the roots (a request's stack).
pub fn mark_from(
    m: &mut Marking,
    stack: &mut Vec<u64>,
    mut on_object: impl FnMut(&mut Refs, u64),
    mut on_ref: impl FnMut(u64, u64, Option<u32>),
) {
    let Marking { index, refs, marked, stats } = m;
    while let Some(obj) = stack.pop() {
        on_object(refs, obj);
        let ok = refs.for_each(obj, |slot, target| {
            stats.references += 1;
            let t = index.index_of(target);
            match t {
                Some(t) => {
                    if marked.set(t) {
                        stack.push(target);
                    }
                }
                None => stats.bad_references += 1,
            }
            on_ref(slot, target, t);
        });
        if !ok {
            stats.unreadable_objects += 1;
        }
    }
}
