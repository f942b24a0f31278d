//! Walking the objects of the GC heap (reference §5.6).
//!
//! Objects are contiguous within a segment: the next one starts where the
//! previous one ends, its size taken from its MethodTable. Three things
//! interrupt that chain, and each is handled explicitly and counted:
//!
//! * an **allocation context** (memory handed to a thread but not yet used):
//!   a known one is skipped from its pointer to its limit plus the reserved
//!   minimum object; an unknown one shows as zero-filled words (a MethodTable
//!   pointer is never zero) and is skipped to the next non-zero word, which
//!   must then be a valid object — otherwise the next rule applies;
//! * an **invalid object** (a MethodTable that fails validation): reported
//!   with its address and reason, then the walk resynchronises at the next
//!   word holding an already-validated MethodTable whose object fits;
//! * **memory missing from the dump**: reported, and the walk resumes at the
//!   next captured address inside the segment.
//!
//! The walk never reads past a segment's end and every step advances, so it
//! always terminates.

use super::heap::{GcHeap, Segment, SegmentKind};
use super::stat::AddrMap;
use crate::runtime::layout::Layout;
use crate::types::method_table::{MethodTableInfo, round_trip};
use dump_format::Memory;

/// One object on the heap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ObjectRef {
    /// Its address (that of its MethodTable pointer).
    pub address: u64,
    /// Its MethodTable (mark bits masked).
    pub mt: u64,
    /// Its size on the heap, aligned.
    pub size: u64,
    /// Its generation (0–2; 3 LOH; 4 POH).
    pub generation: u8,
}

/// What the walk yields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeapItem {
    /// A valid object.
    Object(ObjectRef),
    /// Something that is not an object where one should be.
    Invalid {
        /// Where.
        address: u64,
        /// Why.
        reason: String,
        /// Where the walk resumed (None: at the segment's end).
        resumed_at: Option<u64>,
    },
}

/// Counters of one walk, for diagnostics and tests.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WalkStats {
    /// Valid objects.
    pub objects: u64,
    /// Invalid objects reported.
    pub invalid: u64,
    /// Known allocation contexts skipped.
    pub alloc_contexts_skipped: u64,
    /// Zero-filled gaps skipped (presumed unknown allocation contexts).
    pub zero_gaps: u64,
    /// Bytes in those gaps.
    pub zero_gap_bytes: u64,
    /// Segments whose walk ended exactly at the segment end.
    pub segments_exact: u64,
    /// Segments whose walk did not.
    pub segments_inexact: u64,
}

/// A cache of validated MethodTables: `None` marks one that failed.
#[derive(Debug, Default)]
pub struct MtCache {
    map: AddrMap<Option<MethodTableInfo>>,
    free_mt: Option<u64>,
    /// The last MethodTable looked up: runs of same-typed objects are common.
    last: Option<(u64, Option<MethodTableInfo>)>,
}

impl MtCache {
    /// A cache that knows the runtime's free-space MethodTable (from the globals, when found).
    pub fn new(free_mt: Option<u64>) -> Self {
        MtCache { map: AddrMap::default(), free_mt, last: None }
    }

    /// The validated MethodTable at `mt`, reading and checking it the first time.
    pub fn get(&mut self, mem: &Memory, layout: &Layout, mt: u64) -> Option<MethodTableInfo> {
        if let Some((m, v)) = self.last {
            if m == mt {
                return v;
            }
        }
        if let Some(v) = self.map.get(&mt) {
            self.last = Some((mt, *v));
            return *v;
        }
        let v = MethodTableInfo::read(mem, layout, mt).filter(|i| {
            i.plausible(layout)
                && if i.ee_class == 0 {
                    // Only the free type has no EEClass.
                    self.free_mt.map_or(i.looks_free(layout), |f| f == mt)
                } else {
                    round_trip(mem, layout, i)
                }
        });
        self.map.insert(mt, v);
        self.last = Some((mt, v));
        v
    }

    /// Whether `mt` was validated already.
    pub fn known_valid(&self, mt: u64) -> bool {
        matches!(self.map.get(&mt), Some(Some(_)))
    }

    /// The free-space MethodTable.
    pub fn free_mt(&self) -> Option<u64> {
        self.free_mt
    }

    /// Every MethodTable validated so far.
    pub fn valid(&self) -> impl Iterator<Item = &MethodTableInfo> {
        self.map.values().flatten()
    }
}

/// The size of the object at `addr` of type `mt`, or why it has none.
pub fn object_size(
    mem: &Memory,
    layout: &Layout,
    mt: &MethodTableInfo,
    addr: u64,
    align: u64,
) -> Result<u64, String> {
    size_with(layout, mt, align, |wide| {
        if wide { mem.u64(addr + layout.ptr) } else { mem.u32(addr + layout.ptr).map(u64::from) }
            .map_err(|e| e.to_string())
    })
}

/// The size rule, with the component count read by `count(wide)` (`wide`:
/// the free object's length is written pointer-sized on 64-bit, reference §1.6).
#[inline]
pub(crate) fn size_with(
    layout: &Layout,
    mt: &MethodTableInfo,
    align: u64,
    count: impl FnOnce(bool) -> Result<u64, String>,
) -> Result<u64, String> {
    let mut size = u64::from(mt.base_size);
    let comp = u64::from(mt.component_size());
    if comp != 0 {
        let count = count(mt.component_size() == 1 && layout.ptr == 8 && mt.ee_class == 0)?;
        size =
            count.checked_mul(comp).and_then(|c| c.checked_add(size)).ok_or("component count overflows")?;
    }
    let size = size.checked_add(align - 1).ok_or("size overflows")? & !(align - 1);
    Ok(size.max(layout.min_object))
}

/// Walks every segment of `heap` in address order.
pub struct HeapWalk<'h, 'm> {
    mem: Memory<'m>,
    layout: &'h Layout,
    heap: &'h GcHeap,
    cache: &'h mut MtCache,
    seg: usize,
    pos: u64,
    /// The current segment's bytes when the dump holds them contiguously:
    /// the fast path reads from this slice instead of searching regions.
    chunk: &'m [u8],
    chunk_base: u64,
    /// Allocation contexts sorted by start, and the next one not yet passed.
    contexts: Vec<(u64, u64)>,
    next_context: usize,
    /// Counters so far.
    pub stats: WalkStats,
}

impl<'h, 'm> HeapWalk<'h, 'm> {
    /// Starts a walk.
    pub fn new(mem: Memory<'m>, layout: &'h Layout, heap: &'h GcHeap, cache: &'h mut MtCache) -> Self {
        let mut contexts = heap.alloc_contexts.clone();
        contexts.sort_unstable();
        let mut w = HeapWalk {
            mem,
            layout,
            heap,
            cache,
            seg: 0,
            pos: 0,
            chunk: &[],
            chunk_base: 0,
            contexts,
            next_context: 0,
            stats: WalkStats::default(),
        };
        w.enter_segment();
        w
    }

    /// Positions the walk at the start of the current segment.
    fn enter_segment(&mut self) {
        let Some(seg) = self.segment() else { return };
        self.pos = seg.start;
        self.chunk_base = seg.start;
        self.chunk = self.mem.slice(seg.start, seg.end - seg.start).unwrap_or(&[]);
        self.next_context = self.contexts.partition_point(|c| c.1 <= seg.start);
    }

    /// A pointer-sized word at `addr`, from the segment slice when possible.
    #[inline]
    fn word(&self, addr: u64) -> Result<u64, dump_format::ReadError> {
        let off = addr.wrapping_sub(self.chunk_base) as usize;
        let p = self.layout.ptr as usize;
        match self.chunk.get(off..off.wrapping_add(p)) {
            Some(b) if p == 8 => Ok(u64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]])),
            Some(b) => Ok(u64::from(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))),
            None => self.mem.ptr(addr),
        }
    }

    /// A u32 at `addr`, from the segment slice when possible.
    #[inline]
    fn dword(&self, addr: u64) -> Result<u32, dump_format::ReadError> {
        let off = addr.wrapping_sub(self.chunk_base) as usize;
        match self.chunk.get(off..off.wrapping_add(4)) {
            Some(b) => Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]])),
            None => self.mem.u32(addr),
        }
    }

    fn segment(&self) -> Option<&'h Segment> {
        self.heap.segments.get(self.seg)
    }

    fn next_segment(&mut self, exact: bool) {
        if exact {
            self.stats.segments_exact += 1;
        } else {
            self.stats.segments_inexact += 1;
        }
        self.seg += 1;
        self.enter_segment();
    }

    /// Skips a known allocation context starting at `pos`, if there is one.
    fn skip_alloc_context(&mut self, seg: &Segment) -> bool {
        if !matches!(seg.kind, SegmentKind::Ephemeral | SegmentKind::Gen2) {
            return false;
        }
        let pos = self.pos;
        while self.contexts.get(self.next_context).is_some_and(|c| c.1 <= pos) {
            self.next_context += 1;
        }
        match self.contexts.get(self.next_context) {
            Some(&(start, limit)) if pos >= start => {
                // The GC keeps room for a minimum object after the limit.
                let min = (self.layout.min_object + self.layout.ptr - 1) & !(self.layout.ptr - 1);
                self.pos = limit + min;
                self.stats.alloc_contexts_skipped += 1;
                true
            }
            _ => false,
        }
    }

    /// Scans forward from `from` for the next word holding an already
    /// validated MethodTable whose object fits in the segment.
    fn resync(&mut self, seg: &Segment, from: u64) -> Option<u64> {
        let p = self.layout.ptr;
        let mut a = from;
        while a + self.layout.min_object <= seg.end {
            if let Ok(w) = self.mem.ptr(a) {
                let mt = w & self.layout.mt_mask();
                if w != 0 && self.cache.known_valid(mt) {
                    if let Some(info) = self.cache.get(&self.mem, self.layout, mt) {
                        if let Ok(sz) = object_size(&self.mem, self.layout, &info, a, seg.kind.alignment(p)) {
                            if a + sz <= seg.end {
                                return Some(a);
                            }
                        }
                    }
                }
                a += p;
            } else {
                // Not captured: jump to the next captured byte in the segment.
                let next = self.mem.regions().iter().find(|r| r.start > a).map(|r| r.start)?;
                a = (next + p - 1) & !(p - 1);
            }
        }
        None
    }
}

impl Iterator for HeapWalk<'_, '_> {
    type Item = HeapItem;

    fn next(&mut self) -> Option<HeapItem> {
        let p = self.layout.ptr;
        loop {
            let seg = self.segment()?;
            if self.pos >= seg.end {
                let exact = self.pos == seg.end;
                self.next_segment(exact);
                continue;
            }
            if seg.end - self.pos < self.layout.min_object
                && matches!(seg.kind, SegmentKind::Ephemeral | SegmentKind::Gen2)
            {
                // No object is smaller than the minimum object, so these last
                // bytes are the tail of an allocation context (the GC keeps a
                // minimum object's room after each context's limit), not an object.
                self.stats.zero_gaps += 1;
                self.stats.zero_gap_bytes += seg.end - self.pos;
                self.pos = seg.end;
                continue;
            }
            if self.skip_alloc_context(seg) {
                continue;
            }
            let addr = self.pos;
            let word = match self.word(addr) {
                Ok(w) => w,
                Err(e) => {
                    let resumed = self.resync(seg, addr + p);
                    self.stats.invalid += 1;
                    self.pos = resumed.unwrap_or(seg.end + 1);
                    return Some(HeapItem::Invalid {
                        address: addr,
                        reason: e.to_string(),
                        resumed_at: resumed,
                    });
                }
            };
            if word == 0 && matches!(seg.kind, SegmentKind::Ephemeral | SegmentKind::Gen2) {
                // An allocation context we were not told about: zero-filled.
                let mut a = addr;
                while a < seg.end && self.word(a).is_ok_and(|w| w == 0) {
                    a += p;
                }
                self.stats.zero_gaps += 1;
                self.stats.zero_gap_bytes += a - addr;
                self.pos = a;
                continue;
            }
            let mt = word & self.layout.mt_mask();
            let info = self.cache.get(&self.mem, self.layout, mt);
            let sized = info
                .ok_or_else(|| format!("{mt:#x} is not a valid MethodTable"))
                .and_then(|i| {
                    size_with(self.layout, &i, seg.kind.alignment(p), |wide| {
                        if wide { self.word(addr + p) } else { self.dword(addr + p).map(u64::from) }
                            .map_err(|e| e.to_string())
                    })
                })
                .and_then(|sz| {
                    if addr + sz <= seg.end {
                        Ok(sz)
                    } else {
                        Err(format!("size {sz:#x} runs past the segment end {:#x}", seg.end))
                    }
                });
            match sized {
                Ok(size) => {
                    self.pos = addr + size;
                    self.stats.objects += 1;
                    let generation = seg.generation_of(addr);
                    return Some(HeapItem::Object(ObjectRef { address: addr, mt, size, generation }));
                }
                Err(reason) => {
                    let resumed = self.resync(seg, addr + p);
                    self.stats.invalid += 1;
                    self.pos = resumed.unwrap_or(seg.end + 1);
                    return Some(HeapItem::Invalid { address: addr, reason, resumed_at: resumed });
                }
            }
        }
    }
}
