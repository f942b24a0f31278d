//! [`Refs`]: the references an object holds, read through its GC descriptor
//! (decoded once per MethodTable) from the segment's bytes.

use super::gcdesc::{GcDesc, Runs};
use crate::gc::stat::AddrMap;
use crate::gc::walk::{MtCache, size_with};
use crate::runtime::Runtime;
use crate::runtime::layout::Layout;
use dump_format::Memory;

/// The reference slots of one object ([`Refs::slots`]).
pub enum Slots<'a, 'm> {
    /// The object's type or length could not be read.
    Unreadable,
    /// Runs of slot offsets into `bytes`, the object's bytes from `obj` on.
    Borrowed {
        /// The object's address.
        obj: u64,
        /// Its bytes.
        bytes: &'m [u8],
        /// Its runs of reference slots (offsets from `obj`).
        runs: Runs<'a>,
    },
    /// The object is not within one captured segment: read its slots word
    /// by word from `mem`.
    Scattered {
        /// The object's address.
        obj: u64,
        /// The dump's address space.
        mem: Memory<'m>,
        /// Its runs of reference slots (offsets from `obj`).
        runs: Runs<'a>,
    },
}

/// Calls `f(slot, value)` for every non-zero pointer-sized word of
/// `bytes[from..to]` (`slot`: its address, `bytes` starting at `obj`).
#[inline(always)]
pub fn for_each_word(bytes: &[u8], obj: u64, from: u64, to: u64, ptr: u64, mut f: impl FnMut(u64, u64)) {
    let Some(run) = bytes.get(from as usize..to.max(from) as usize) else { return };
    let mut slot = obj + from;
    if ptr == 8 {
        for w in run.chunks_exact(8) {
            let v = u64::from_le_bytes([w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7]]);
            if v != 0 {
                f(slot, v);
            }
            slot += 8;
        }
    } else {
        for w in run.chunks_exact(4) {
            let v = u64::from(u32::from_le_bytes([w[0], w[1], w[2], w[3]]));
            if v != 0 {
                f(slot, v);
            }
            slot += 4;
        }
    }
}

/// Calls `f(slot, value)` for every non-zero pointer-sized word of the
/// runs of the object at `obj`, read one word at a time from `mem` (an
/// object across a capture gap: rare, so no borrowed slice).
pub fn for_each_scattered(mem: &Memory, obj: u64, runs: Runs, ptr: u64, mut f: impl FnMut(u64, u64)) {
    for (from, to) in runs {
        for o in (from..to).step_by(ptr as usize) {
            if let Some(v) = mem.ptr(obj + o).ok().filter(|&v| v != 0) {
                f(obj + o, v);
            }
        }
    }
}

/// The pointer-sized little-endian word at `at` in `b`.
#[inline(always)]
fn read_ptr(b: &[u8], at: u64, ptr: u64) -> Option<u64> {
    let at = usize::try_from(at).ok()?;
    if ptr == 8 {
        let w = b.get(at..at.checked_add(8)?)?;
        Some(u64::from_le_bytes([w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7]]))
    } else {
        let w = b.get(at..at.checked_add(4)?)?;
        Some(u64::from(u32::from_le_bytes([w[0], w[1], w[2], w[3]])))
    }
}

/// The heap size of an object: base size plus `count` (the low 32 bits of
/// the length word) elements of `comp` bytes.
fn object_size(base: u32, comp: u32, count: u64) -> u64 {
    u64::from(base).saturating_add((count & 0xFFFF_FFFF).saturating_mul(u64::from(comp)))
}

/// Reads the references of objects.
pub struct Refs<'m> {
    mem: Memory<'m>,
    layout: Layout,
    cache: MtCache,
    /// MethodTable → index into `list` (None: unreadable).
    descs: AddrMap<Option<u32>>,
    list: Vec<(GcDesc, u32, u32)>,
    last_mt: (u64, Option<u32>),
    /// Segment bytes `(start, bytes)` sorted by start: the fast path.
    chunks: Vec<(u64, &'m [u8])>,
    last_chunk: std::cell::Cell<usize>,
    /// MethodTables whose descriptor could not be read, with the reason.
    pub bad_descs: Vec<(u64, String)>,
}

impl<'m> Refs<'m> {
    /// A reader for the objects of `rt`'s heap.
    pub fn new(rt: &Runtime<'m>) -> Refs<'m> {
        let mem = rt.dump.memory();
        let mut chunks: Vec<(u64, &'m [u8])> = match &rt.heap {
            Ok(h) => h
                .segments
                .iter()
                .filter_map(|s| mem.slice(s.start, s.end.saturating_sub(s.start)).ok().map(|b| (s.start, b)))
                .collect(),
            Err(_) => Vec::new(),
        };
        chunks.sort_by_key(|c| c.0);
        Refs {
            mem,
            layout: rt.layout,
            cache: rt.mt_cache(),
            descs: AddrMap::default(),
            list: Vec::new(),
            last_mt: (0, None),
            chunks,
            last_chunk: std::cell::Cell::new(0),
            bad_descs: Vec::new(),
        }
    }

    /// A pointer-sized word, from the segment bytes when possible.
    #[inline]
    pub fn word(&self, addr: u64) -> Option<u64> {
        match self.rest(addr).and_then(|b| read_ptr(b, 0, self.layout.ptr)) {
            Some(v) => Some(v),
            None => self.mem.ptr(addr).ok(),
        }
    }

    /// The index of `mt`'s descriptor, base size and component size.
    /// Inline: objects of one type come in runs, so this is mostly one compare.
    #[inline(always)]
    fn desc(&mut self, mt: u64) -> Option<u32> {
        if self.last_mt.0 == mt && mt != 0 {
            return self.last_mt.1;
        }
        self.desc_of_other_type(mt)
    }

    /// [`Refs::desc`] when `mt` is not the last type asked for.
    #[inline(never)]
    fn desc_of_other_type(&mut self, mt: u64) -> Option<u32> {
        let v = match self.descs.get(&mt) {
            Some(v) => *v,
            None => {
                let v = self.cache.get(&self.mem, &self.layout, mt).and_then(|info| {
                    match GcDesc::read(&self.mem, &self.layout, &info) {
                        Ok(d) => {
                            self.list.push((d, info.base_size, info.component_size()));
                            Some(self.list.len() as u32 - 1)
                        }
                        Err(e) => {
                            if self.bad_descs.len() < 16 {
                                self.bad_descs.push((mt, e));
                            }
                            None
                        }
                    }
                });
                self.descs.insert(mt, v);
                v
            }
        };
        self.last_mt = (mt, v);
        v
    }

    /// The pointer size of the dump's process.
    pub fn ptr(&self) -> u64 {
        self.layout.ptr
    }

    /// The MethodTable of the object at `obj` (mark bits masked).
    pub fn mt_of(&self, obj: u64) -> Option<u64> {
        self.word(obj).map(|w| w & self.layout.mt_mask())
    }

    /// The MethodTable and heap size of the object at `obj`, by the walk's
    /// size rule (`align`: its segment's, [`super::HeapIndex::align_at`]);
    /// `None` when its type or length cannot be read.
    pub fn mt_and_size(&mut self, obj: u64, align: u64) -> Option<(u64, u64)> {
        let mt = self.mt_of(obj)?;
        let info = self.cache.get(&self.mem, &self.layout, mt)?;
        let p = self.layout.ptr;
        let size = size_with(&self.layout, &info, align, |wide| {
            // Little-endian: a 32-bit length is the low half of the word after the MethodTable.
            let w = self.word(obj + p).ok_or_else(|| "length not captured".to_string())?;
            Ok(if wide { w } else { w & 0xFFFF_FFFF })
        });
        Some((mt, size.ok()?))
    }

    /// Calls `f(slot, value)` for every non-null reference of the object at
    /// `obj`; returns false when the object's type cannot be read.
    #[inline]
    pub fn for_each(&mut self, obj: u64, mut f: impl FnMut(u64, u64)) -> bool {
        let p = self.layout.ptr;
        match self.slots(obj) {
            Slots::Unreadable => return false,
            Slots::Borrowed { obj, bytes, runs } => {
                for (from, to) in runs {
                    for_each_word(bytes, obj, from, to, p, &mut f);
                }
            }
            Slots::Scattered { obj, mem, runs } => for_each_scattered(&mem, obj, runs, p, f),
        }
        true
    }

    /// The reference slots of the object at `obj`: its runs of slots, with
    /// its bytes borrowed from the dump when one segment holds them all.
    /// The marking loops over these itself (no call per reference).
    #[inline]
    pub fn slots(&mut self, obj: u64) -> Slots<'_, 'm> {
        let p = self.layout.ptr;
        // The bytes from `obj` to its segment's end: one lookup serves the
        // MethodTable, the length and the slots.
        let Some(rest) = self.rest(obj) else { return self.slots_scattered(obj) };
        let Some(mt) = read_ptr(rest, 0, p) else { return Slots::Unreadable };
        let Some(i) = self.desc(mt & self.layout.mt_mask()) else { return Slots::Unreadable };
        let Some((desc, base, comp)) = self.list.get(i as usize) else { return Slots::Unreadable };
        if matches!(desc, GcDesc::None) {
            return Slots::Borrowed { obj, bytes: &[], runs: desc.runs(p, 0) };
        }
        let count = if *comp == 0 { Some(0) } else { read_ptr(rest, p, p) };
        let Some(size) = count.map(|c| object_size(*base, *comp, c)) else { return Slots::Unreadable };
        match usize::try_from(size).ok().and_then(|n| rest.get(..n)) {
            Some(bytes) => Slots::Borrowed { obj, bytes, runs: desc.runs(p, size) },
            None => Slots::Scattered { obj, mem: self.mem, runs: desc.runs(p, size) },
        }
    }

    /// [`Refs::slots`] of an object outside the segments' captured bytes.
    #[cold]
    fn slots_scattered(&mut self, obj: u64) -> Slots<'_, 'm> {
        let p = self.layout.ptr;
        let Some(mt) = self.mt_of(obj) else { return Slots::Unreadable };
        let Some(i) = self.desc(mt) else { return Slots::Unreadable };
        let Some((desc, base, comp)) = self.list.get(i as usize) else { return Slots::Unreadable };
        let count = if *comp == 0 { Some(0) } else { self.word(obj + p) };
        let Some(size) = count.map(|c| object_size(*base, *comp, c)) else { return Slots::Unreadable };
        Slots::Scattered { obj, mem: self.mem, runs: desc.runs(p, size) }
    }

    /// The captured bytes from `addr` to the end of its segment.
    #[inline]
    fn rest(&self, addr: u64) -> Option<&'m [u8]> {
        let hit = |c: &(u64, &'m [u8])| c.1.get(usize::try_from(addr.checked_sub(c.0)?).ok()?..);
        if let Some(b) = self.chunks.get(self.last_chunk.get()).and_then(hit).filter(|b| !b.is_empty()) {
            return Some(b);
        }
        let i = self.chunks.partition_point(|c| c.0 <= addr).checked_sub(1)?;
        let b = self.chunks.get(i).and_then(hit).filter(|b| !b.is_empty())?;
        self.last_chunk.set(i);
        Some(b)
    }
}
