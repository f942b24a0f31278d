//! [`Liveness`]: the one marking pass of a session. From every root, every
//! object reachable through references (and through dependent handles whose
//! primary is alive) is marked in a bitmap over the heap's objects — memory
//! proportional to the heap, whatever the number of roots or paths.
//! `dumpheap --live/--dead` and `gcroot` read it; nothing is traversed twice.

use super::Root;
use super::handles::Handle;
use super::index::{Bits, HeapIndex, Marks, Start};
use super::refs::{Refs, Slots, for_each_scattered, for_each_word};
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
    /// The marks, one bit per heap word (set only on object starts).
    pub marks: Marks,
    /// The marks as one bit per object (dense index), made on first use
    /// ([`Liveness::marked`]): the paths need it, the statistics do not.
    pub(crate) marked: std::cell::OnceCell<Bits>,
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
        Self::compute_with_progress(rt, index, roots, handles, count_edges, diag, &mut |_| {})
    }

    /// As [`Liveness::compute`], calling `progress(objects marked so far)`
    /// every [`PROGRESS_EVERY`] objects taken (and once at the end).
    pub fn compute_with_progress(
        rt: &Runtime<'m>,
        index: HeapIndex,
        roots: Vec<Root>,
        handles: &[Handle],
        count_edges: bool,
        diag: &mut Diagnostics,
        progress: &mut dyn FnMut(u64),
    ) -> Liveness<'m> {
        let dependents: Vec<(u64, u64)> = handles
            .iter()
            .filter(|h| h.kind == super::HandleKind::Dependent && h.secondary != 0)
            .map(|h| (h.object, h.secondary))
            .collect();
        let index_objects = index.objects();
        let mut marks = index.new_marks();
        let mut l = Liveness {
            marks: Marks::default(),
            marked: std::cell::OnceCell::new(),
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
            match l.index.mark(&mut marks, r.object) {
                Some(true) => stack.push(r.object),
                Some(false) => {}
                None => l.stats.roots_off_heap += 1,
            }
        }
        l.drain(&mut marks, &mut stack, progress);
        // Dependent handles: a secondary lives while its primary does; marking
        // one may make another primary live, so repeat until nothing changes
        // (at most once per handle).
        for _ in 0..=l.dependents.len() {
            let mut changed = false;
            for k in 0..l.dependents.len() {
                let (primary, secondary) = l.dependents[k];
                let live = l.index.is_marked(&marks, primary) == Some(true);
                if live && l.index.mark(&mut marks, secondary) == Some(true) {
                    l.stats.dependent_marked += 1;
                    stack.push(secondary);
                    changed = true;
                }
            }
            l.drain(&mut marks, &mut stack, progress);
            if !changed {
                break;
            }
        }
        l.stats.live = marks.count();
        progress(l.stats.live);
        l.marks = marks;
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
    fn drain(&mut self, marks: &mut Marks, stack: &mut Vec<u64>, progress: &mut dyn FnMut(u64)) {
        let (index, refs, stats, bad) = (&self.index, &mut self.refs, &mut self.stats, &mut self.bad_samples);
        let mut m = Marking { index, refs, marks, stats };
        // Objects taken so far (the roots' were marked before): a counter and
        // a rarely taken branch per object.
        let mut taken = 0u64;
        let on_object = |_: &mut Refs, _| {
            taken += 1;
            if taken % PROGRESS_EVERY == 0 {
                progress(taken);
            }
        };
        let mut sample = |slot, target| {
            if bad.len() < 8 {
                bad.push((slot, target));
            }
        };
        match self.indegree.as_deref_mut() {
            // Only `gcroot` counts incoming references: the rank lookup stays
            // off the plain marking, whose per-reference callback is then empty.
            Some(indegree) => {
                let on_ref = |slot, target, start: Option<Start>| match start {
                    // The rank from the word the mark already found.
                    Some(s) => {
                        if let Some(c) = index.rank(s).and_then(|t| indegree.get_mut(t as usize)) {
                            *c = c.saturating_add(1);
                        }
                    }
                    None => sample(slot, target),
                };
                mark_from(&mut m, stack, on_object, on_ref);
            }
            None => {
                let on_ref = |slot, target, start: Option<Start>| {
                    if start.is_none() {
                        sample(slot, target);
                    }
                };
                mark_from(&mut m, stack, on_object, on_ref);
            }
        }
    }

    /// Whether the object at `addr` is live (`None`: not an object start).
    pub fn is_live(&self, addr: u64) -> Option<bool> {
        self.index.is_marked(&self.marks, addr)
    }

    /// The marks as one bit per object, by dense index ([`HeapIndex::index_of`]).
    pub fn marked(&self) -> &Bits {
        dense(&self.marked, &self.index, &self.marks)
    }
}

/// The dense marks of a pass, made once from its marks by heap word.
pub(crate) fn dense<'a>(cell: &'a std::cell::OnceCell<Bits>, index: &HeapIndex, marks: &Marks) -> &'a Bits {
    cell.get_or_init(|| index.dense(marks))
}

/// How many objects the marking takes between two progress reports.
pub const PROGRESS_EVERY: u64 = 1 << 16;

/// What [`mark_from`] marks with: the object index, the reference reader,
/// the marks (by heap word, from [`HeapIndex::new_marks`]) and the counters it adds to.
pub struct Marking<'a, 'm> {
    /// Object starts of the heap.
    pub index: &'a HeapIndex,
    /// Reference reader.
    pub refs: &'a mut Refs<'m>,
    /// Marked objects.
    pub marks: &'a mut Marks,
    /// Counters (references, bad references, unreadable objects).
    pub stats: &'a mut MarkStats,
}

/// Marks everything the objects on `stack` (already marked) reach, with an
/// explicit stack (no recursion): every object is taken once, so the pass is
/// bounded by the heap. `on_object(refs, obj)` sees each object taken;
/// `on_ref(slot, target, start)` each reference, `start` `None` when it is
/// not an object start. Shared by the session's marking and by callers
/// that mark from a subset of the roots (a request's stack).
pub fn mark_from(
    m: &mut Marking,
    stack: &mut Vec<u64>,
    mut on_object: impl FnMut(&mut Refs, u64),
    mut on_ref: impl FnMut(u64, u64, Option<Start>),
) {
    let Marking { index, refs, marks, stats } = m;
    let p = refs.ptr();
    let mut n = Counts::default();
    // Large objects partly read: (object, offset to go on from).
    let mut pending: Vec<(u64, u64)> = Vec::new();
    loop {
        let (obj, resume) = match stack.pop() {
            Some(obj) => {
                on_object(refs, obj);
                (obj, 0)
            }
            None => match pending.pop() {
                Some(next) => next,
                None => break,
            },
        };
        let limit = resume.saturating_add(PIECE);
        match refs.slots(obj) {
            Slots::Unreadable => stats.unreadable_objects += 1,
            Slots::Borrowed { obj, bytes, mut runs } => {
                runs.resume_at(resume);
                for (from, to) in runs {
                    if to <= resume {
                        continue;
                    }
                    let from = from.max(resume);
                    if from >= limit {
                        pending.push((obj, from));
                        break;
                    }
                    // Stop at the first slot past the limit (on this run's grid).
                    let stop = if to <= limit {
                        to
                    } else {
                        // Rounded up to whole slots (`p` is 4 or 8): no division per run.
                        to.min(from.saturating_add((limit - from).saturating_add(p - 1) & !(p - 1)))
                    };
                    for_each_word(bytes, obj, from, stop, p, |slot, v| {
                        mark_one(index, marks, stack, &mut n, &mut on_ref, slot, v)
                    });
                    if stop < to {
                        pending.push((obj, stop));
                        break;
                    }
                }
            }
            // Rare (an object across a capture gap): read whole, word by word.
            Slots::Scattered { obj, mem, runs } => {
                if resume == 0 {
                    for_each_scattered(&mem, obj, runs, p, |slot, v| {
                        mark_one(index, marks, stack, &mut n, &mut on_ref, slot, v)
                    });
                }
            }
        }
    }
    stats.references += n.references;
    stats.bad_references += n.bad;
}

/// Bytes of references [`mark_from`] reads of one object before it marks
/// what they reach: a 10-million-element array is read 32,768 slots at a
/// time, so the stack holds at most a piece's worth of its elements. A stack
/// of every element would be tens of MB of fresh memory, whose page faults
/// cost more than the marking itself; much smaller pieces lose the memory
/// prefetcher at every turn (measured on the large fixture: 4 KiB pieces
/// 177 ms, 256 KiB 157 ms, unbounded 185 ms).
const PIECE: u64 = 262144;

/// Counters [`mark_one`] keeps in registers (added to [`MarkStats`] once).
#[derive(Default)]
struct Counts {
    references: u64,
    bad: u64,
}

/// One reference of the marking: marks its target and queues it when newly
/// marked. Always inlined: the pass makes one per reference, tens of millions.
#[inline(always)]
fn mark_one(
    index: &HeapIndex,
    marks: &mut Marks,
    stack: &mut Vec<u64>,
    n: &mut Counts,
    on_ref: &mut impl FnMut(u64, u64, Option<Start>),
    slot: u64,
    target: u64,
) {
    n.references += 1;
    let start = index.start(target);
    match start {
        Some(s) => {
            if marks.set(s) {
                stack.push(target);
            }
        }
        None => n.bad += 1,
    }
    on_ref(slot, target, start);
}
