//! Which request holds the memory: objects of a type reachable from a
//! request thread's stack.
//!
//! Roots are found conservatively — every pointer-sized word of the
//! thread's stack from its stack pointer to the stack's base, and every
//! register, that is exactly the start of a heap object (checked against
//! the object-start index of a full heap walk) — because precise stack
//! roots need GC info decoding that is not committed yet. A conservative
//! root may be a dead slot: counts are an upper bound of what the live
//! frames hold. From the roots, a marking pass follows every reference
//! slot (GC descriptors) with a visited bitmap over the heap: memory is
//! bounded by the heap's size, each object is visited once.

use crate::gcdesc::GcDesc;
use crate::index::ObjectIndex;
use clr_heap::types::TypeSystem;
use std::collections::HashMap;
use std::rc::Rc;

/// Most stack bytes scanned per thread (real stacks are at most a few MiB).
const MAX_STACK: u64 = 64 << 20;
/// Bytes read per step of the stack scan.
const CHUNK: u64 = 64 << 10;

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

/// The candidate root words of OS thread `os_id`: its registers and its
/// stack from the stack pointer up. `Err` when the dump lacks the thread or
/// its stack.
pub fn stack_words(dump: &dump_format::Dump, os_id: u32) -> Result<(Vec<u64>, u64), String> {
    let t = dump
        .threads()
        .iter()
        .find(|t| t.id == os_id)
        .ok_or(format!("no OS thread {os_id:#x} in the dump"))?;
    let mem = dump.memory();
    let ptr = dump.arch().pointer_size() as u64;
    let ctx = t.context.as_ref();
    let mut words: Vec<u64> =
        ctx.map(|c| c.registers().into_iter().map(|(_, v)| v).collect()).unwrap_or_default();
    let sp = ctx.map(|c| c.stack_pointer());
    let (lo, hi) = match (t.stack, sp) {
        (Some((base, size)), Some(sp)) if sp >= base && sp < base.saturating_add(size) => (sp, base + size),
        (Some((base, size)), _) => (base, base.saturating_add(size)),
        (None, Some(sp)) => {
            let r = mem
                .region_of(sp)
                .ok_or(format!("thread {os_id:#x}: its stack at {sp:#x} is not captured"))?;
            (sp, r.end())
        }
        (None, None) => return Err(format!("thread {os_id:#x}: no stack pointer and no stack range")),
    };
    let lo = lo & !(ptr - 1);
    let hi = hi.min(lo.saturating_add(MAX_STACK));
    let mut at = lo;
    let mut scanned = 0;
    while at < hi {
        let len = (hi - at).min(CHUNK).min(mem.readable_len(at).max(ptr));
        if let Ok(bytes) = mem.read(at, len) {
            scanned += len;
            words.extend(bytes.chunks_exact(ptr as usize).map(|c| {
                let mut b = [0u8; 8];
                b[..c.len()].copy_from_slice(c);
                u64::from_le_bytes(b)
            }));
        }
        at += len;
    }
    if scanned == 0 {
        return Err(format!("thread {os_id:#x}: its stack {lo:#x}..{hi:#x} is not captured"));
    }
    Ok((words, scanned))
}

/// A marking pass over the heap, reusable across threads.
pub struct Marker<'x, 't, 'a> {
    types: &'t TypeSystem<'a>,
    index: &'x ObjectIndex,
    visited: ObjectIndex,
    descs: HashMap<u64, Option<Rc<GcDesc>>>,
}

impl<'x, 't, 'a> Marker<'x, 't, 'a> {
    /// A marker over the object starts in `index`.
    pub fn new(types: &'t TypeSystem<'a>, index: &'x ObjectIndex) -> Self {
        Marker { types, index, visited: index.empty_like(), descs: HashMap::new() }
    }

    /// Marks everything reachable from the root candidates `words`, counting
    /// objects and bytes per MethodTable.
    pub fn reach(&mut self, words: &[u64]) -> Holding {
        self.visited.clear();
        let mut h = Holding::default();
        let mut todo: Vec<u64> = Vec::new();
        for &w in words {
            if self.index.contains(w) && self.visited.insert(w) {
                h.roots += 1;
                todo.push(w);
            }
        }
        let rt = self.types.runtime();
        let mem = rt.dump.memory();
        let ptr = rt.layout.ptr;
        while let Some(obj) = todo.pop() {
            let Some((mt, size)) = self.mt_and_size(obj) else {
                h.bad_references += 1;
                continue;
            };
            h.reached += 1;
            h.reached_bytes += size;
            let e = h.by_type.entry(mt).or_default();
            e.0 += 1;
            e.1 += size;
            let desc = self.desc(mt);
            let Some(desc) = desc.as_ref() else { continue };
            let Ok(bytes) = mem.read(obj, size) else {
                h.bad_references += 1;
                continue;
            };
            desc.slots(size, ptr, |off| {
                let Some(c) = bytes.get(off as usize..(off + ptr) as usize) else { return };
                let mut b = [0u8; 8];
                b[..c.len()].copy_from_slice(c);
                let r = u64::from_le_bytes(b);
                if r == 0 {
                    return;
                }
                if !self.index.contains(r) {
                    h.bad_references += 1;
                } else if self.visited.insert(r) {
                    todo.push(r);
                }
            });
        }
        h
    }

    fn mt_and_size(&self, obj: u64) -> Option<(u64, u64)> {
        let rt = self.types.runtime();
        let mt = self.types.object_mt(obj).ok()?;
        let info = self.types.method_table(mt).ok()?;
        let align =
            rt.heap.as_ref().ok()?.segment_of(obj).map_or(rt.layout.ptr, |s| s.kind.alignment(rt.layout.ptr));
        let size = clr_heap::gc::walk::object_size(&rt.dump.memory(), &rt.layout, &info, obj, align).ok()?;
        Some((mt, size))
    }

    fn desc(&mut self, mt: u64) -> Option<Rc<GcDesc>> {
        if let Some(d) = self.descs.get(&mt) {
            return d.clone();
        }
        let rt = self.types.runtime();
        let d = self
            .types
            .method_table(mt)
            .ok()
            .and_then(|info| GcDesc::read(&rt.dump.memory(), rt.layout.ptr, &info).ok())
            .map(Rc::new);
        self.descs.insert(mt, d.clone());
        d
    }
}
