//! [`Refs`]: the references an object holds, read through its GC descriptor
//! (decoded once per MethodTable) from the segment's bytes.

use super::gcdesc::GcDesc;
use crate::gc::stat::AddrMap;
use crate::gc::walk::{MtCache, size_with};
use crate::runtime::Runtime;
use crate::runtime::layout::Layout;
use dump_format::Memory;

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
        let p = self.layout.ptr as usize;
        let hit = |c: &(u64, &[u8])| {
            let off = addr.wrapping_sub(c.0) as usize;
            let b = c.1.get(off..off.wrapping_add(p))?;
            Some(if p == 8 {
                u64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]])
            } else {
                u64::from(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            })
        };
        if let Some(v) = self.chunks.get(self.last_chunk.get()).and_then(hit) {
            return Some(v);
        }
        let i = self.chunks.partition_point(|c| c.0 <= addr).checked_sub(1);
        if let Some(v) = i.and_then(|i| self.chunks.get(i)).and_then(hit) {
            self.last_chunk.set(i.unwrap_or(0));
            return Some(v);
        }
        self.mem.ptr(addr).ok()
    }

    /// The index of `mt`'s descriptor, base size and component size.
    fn desc(&mut self, mt: u64) -> Option<u32> {
        if self.last_mt.0 == mt && mt != 0 {
            return self.last_mt.1;
        }
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
    pub fn for_each(&mut self, obj: u64, mut f: impl FnMut(u64, u64)) -> bool {
        let p = self.layout.ptr;
        let Some(mt) = self.mt_of(obj) else { return false };
        let Some(i) = self.desc(mt) else { return false };
        let Some((desc, base, comp)) = self.list.get(i as usize) else { return false };
        if matches!(desc, GcDesc::None) {
            return true;
        }
        let mut size = u64::from(*base);
        if *comp != 0 {
            let Some(count) = self.word(obj + p) else { return false };
            size = size.saturating_add((count & 0xFFFF_FFFF).saturating_mul(u64::from(*comp)));
        }
        // The object's bytes borrowed once: its slots are then plain loads
        // (the marking reads every slot of every live object).
        match self.bytes(obj, size) {
            Some(b) => desc.for_each_slot(p, size, |o| {
                let v = match b.get(o as usize..(o + p) as usize) {
                    Some(w) if p == 8 => u64::from_le_bytes([w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7]]),
                    Some(w) => u64::from(u32::from_le_bytes([w[0], w[1], w[2], w[3]])),
                    None => 0,
                };
                if v != 0 {
                    f(obj + o, v);
                }
            }),
            None => desc.for_each_slot(p, size, |o| {
                if let Some(v) = self.word(obj + o).filter(|&v| v != 0) {
                    f(obj + o, v);
                }
            }),
        }
        true
    }

    /// The `len` bytes at `addr` when one segment's captured bytes hold them.
    #[inline]
    fn bytes(&self, addr: u64, len: u64) -> Option<&'m [u8]> {
        let c = self.chunks.get(self.last_chunk.get())?;
        let off = addr.checked_sub(c.0)? as usize;
        c.1.get(off..off.checked_add(usize::try_from(len).ok()?)?)
    }
}
