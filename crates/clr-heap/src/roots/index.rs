//! [`HeapIndex`]: every object start of the heap as one bit per heap word,
//! with a rank table so that an object's address maps to a dense index
//! (`0..objects`). The marking bitmap, the reverse edges and the path maps
//! are all indexed by it, so their memory is proportional to the number of
//! objects, and the index itself to the heap's size (one bit per word).

use crate::error::{ClrError, Result};
use crate::gc::heap::Segment;
use crate::gc::walk::{HeapItem, MtCache, WalkStats};
use crate::runtime::Runtime;

/// The largest heap indexed: 2^34 words (128 GiB of 64-bit heap) is a 2 GiB
/// bitmap; anything larger is refused rather than allocated.
const MAX_WORDS: u64 = 1 << 34;

/// One indexed segment: its address range, its first bit and its objects'
/// alignment (sizes of objects found through the index must round as the walk's do).
#[derive(Debug, Clone, Copy)]
struct Span {
    start: u64,
    end: u64,
    first_bit: u64,
    align: u64,
}

/// The bits of 64 heap words and the objects before them (the rank), side
/// by side: a lookup — the marking makes one per reference — touches one
/// cache line instead of one in each of two arrays. Three `u32`s: no padding.
#[derive(Debug, Clone, Copy, Default)]
#[repr(C)]
struct Word {
    lo: u32,
    hi: u32,
    before: u32,
}

impl Word {
    #[inline]
    fn bits(self) -> u64 {
        u64::from(self.lo) | (u64::from(self.hi) << 32)
    }

    fn set(&mut self, bit: u64) {
        let b = self.bits() | (1 << (bit % 64));
        (self.lo, self.hi) = (b as u32, (b >> 32) as u32);
    }
}

/// Object starts of the whole heap.
#[derive(Debug)]
pub struct HeapIndex {
    ptr: u64,
    /// log2 of the pointer size: addresses → words by shifting (the hot path divides nothing).
    shift: u32,
    /// The span the last lookup hit: references mostly stay in one segment.
    last: std::cell::Cell<usize>,
    spans: Vec<Span>,
    /// One bit per heap word, set where an object starts, with the rank table.
    words: Vec<Word>,
    objects: u32,
    /// Invalid objects the walk met (address, reason).
    pub invalid: Vec<(u64, String)>,
    /// The walk's counters.
    pub walk: WalkStats,
}

impl HeapIndex {
    /// Walks the heap once and records every object start.
    pub fn build(rt: &Runtime, cache: &mut MtCache) -> Result<HeapIndex> {
        let mut builder = IndexBuilder::new(rt)?;
        let mut invalid = Vec::new();
        let mut walk = rt.walk(cache)?;
        for item in walk.by_ref() {
            match item {
                HeapItem::Object(o) => builder.object(o.address),
                HeapItem::Invalid { address, reason, .. } => invalid.push((address, reason)),
            }
        }
        builder.finish(invalid, walk.stats.clone())
    }

    /// The bit of heap word `addr` (`None` outside the segments or unaligned).
    /// The fast path — the segment of the last lookup — is kept small
    /// enough to inline into the marking's per-reference step.
    #[inline(always)]
    fn bit(&self, addr: u64) -> Option<u64> {
        if addr & (self.ptr - 1) != 0 {
            return None;
        }
        match self.spans.get(self.last.get()) {
            Some(s) if addr >= s.start && addr < s.end => {
                Some(s.first_bit + ((addr - s.start) >> self.shift))
            }
            _ => self.bit_in_other_span(addr),
        }
    }

    /// [`HeapIndex::bit`] when `addr` is not in the last span hit.
    #[cold]
    #[inline(never)]
    fn bit_in_other_span(&self, addr: u64) -> Option<u64> {
        let i = self.spans.partition_point(|s| s.start <= addr).checked_sub(1)?;
        let s = self.spans.get(i).filter(|s| addr >= s.start && addr < s.end)?;
        self.last.set(i);
        Some(s.first_bit + ((addr - s.start) >> self.shift))
    }

    /// The alignment of object sizes in the segment holding `addr` (the
    /// pointer size outside every segment).
    pub fn align_at(&self, addr: u64) -> u64 {
        self.bit(addr & !(self.ptr - 1))
            .and_then(|_| self.spans.get(self.last.get()))
            .map_or(self.ptr, |s| s.align)
    }

    /// The dense index of the object starting at `addr`, if one does.
    #[inline]
    pub fn index_of(&self, addr: u64) -> Option<u32> {
        let bit = self.bit(addr)?;
        let word = *self.words.get((bit / 64) as usize)?;
        let (w, m) = (word.bits(), 1u64 << (bit % 64));
        (w & m != 0).then(|| word.before + (w & (m - 1)).count_ones())
    }

    /// Whether an object starts at `addr`.
    pub fn is_object(&self, addr: u64) -> bool {
        self.start(addr).is_some()
    }

    /// The bitmap word and bit of the object starting at `addr`, if one does
    /// (no rank: what marking by address needs).
    #[inline(always)]
    pub fn start(&self, addr: u64) -> Option<Start> {
        let bit = self.bit(addr)?;
        let (word, mask) = ((bit / 64) as usize, 1u64 << (bit % 64));
        (self.words.get(word)?.bits() & mask != 0).then_some(Start { word, mask })
    }

    /// The dense index of the object at `s` (its rank among the objects).
    #[inline]
    pub fn rank(&self, s: Start) -> Option<u32> {
        let word = self.words.get(s.word)?;
        Some(word.before + (word.bits() & (s.mask - 1)).count_ones())
    }

    /// Clear [`Marks`] over this index's heap words.
    pub fn new_marks(&self) -> Marks {
        Marks(vec![0; self.words.len()])
    }

    /// Marks the object starting at `addr`: `None` if no object starts
    /// there, else whether it was unmarked. By address — no rank, no
    /// popcount: the marking makes one call per reference.
    #[inline(always)]
    pub fn mark(&self, marks: &mut Marks, addr: u64) -> Option<bool> {
        Some(marks.set(self.start(addr)?))
    }

    /// Whether the object at `addr` is marked (`None`: no object starts there).
    pub fn is_marked(&self, marks: &Marks, addr: u64) -> Option<bool> {
        Some(marks.get(self.start(addr)?))
    }

    /// `marks` as a bitmap over the dense object indices, in one pass over
    /// the index (the numbering the paths and the statistics use).
    pub fn dense(&self, marks: &Marks) -> Bits {
        let mut out = Bits::new(self.objects);
        for (word, &mark) in self.words.iter().zip(&marks.0) {
            let (starts, mut idx) = (word.bits(), word.before);
            let mark = mark & starts;
            if mark == starts {
                // Every object of the word marked (the common case of a leak): one run.
                out.set_run(idx, starts.count_ones());
                continue;
            }
            let mut bits = starts;
            while bits != 0 {
                let low = bits & bits.wrapping_neg();
                if mark & low != 0 {
                    out.set(idx);
                }
                idx += 1;
                bits &= bits - 1;
            }
        }
        out
    }

    /// The start of the object containing `addr` (an interior pointer).
    pub fn containing(&self, addr: u64) -> Option<u64> {
        let aligned = addr - addr % self.ptr;
        let bit = self.bit(aligned)?;
        let i = self.spans.partition_point(|s| s.start <= aligned).checked_sub(1)?;
        let span = self.spans.get(i)?;
        // Search back within the span, a bitmap word at a time (bounded by the span).
        let mut b = bit;
        loop {
            let w = self.words.get((b / 64) as usize)?.bits() & (u64::MAX >> (63 - b % 64));
            if w != 0 {
                let found = (b / 64) * 64 + 63 - u64::from(w.leading_zeros());
                return (found >= span.first_bit).then(|| span.start + (found - span.first_bit) * self.ptr);
            }
            let next = (b / 64) * 64;
            if next <= span.first_bit || next == 0 {
                return None;
            }
            b = next - 1;
        }
    }

    /// Calls `f(index, address)` for every object, in address order.
    pub fn for_each_object(&self, mut f: impl FnMut(u32, u64)) {
        let mut idx = 0u32;
        for span in &self.spans {
            let words = (span.end - span.start).div_ceil(self.ptr);
            let (first, last) = (span.first_bit, span.first_bit + words);
            let mut w = first / 64;
            while w * 64 < last {
                let mut bits = self.words.get(w as usize).map_or(0, |x| x.bits());
                while bits != 0 {
                    let b = w * 64 + u64::from(bits.trailing_zeros());
                    bits &= bits - 1;
                    if b >= first && b < last {
                        f(idx, span.start + (b - first) * self.ptr);
                        idx += 1;
                    }
                }
                w += 1;
            }
        }
    }

    /// Calls `f(address)` for every object whose mark in `marks` is
    /// `marked`, in address order. Word by word: a word with none of the
    /// side asked for costs one test, so reading back the few dead objects
    /// of a leak (or the few live ones of a churning heap) skips the rest.
    pub fn for_each_marked(&self, marks: &Marks, marked: bool, mut f: impl FnMut(u64)) {
        for span in &self.spans {
            let words = (span.end - span.start).div_ceil(self.ptr);
            let (first, last) = (span.first_bit, span.first_bit + words);
            let mut w = first / 64;
            while w * 64 < last {
                let starts = self.words.get(w as usize).map_or(0, |x| x.bits());
                let m = marks.0.get(w as usize).copied().unwrap_or(0);
                let mut bits = starts & if marked { m } else { !m };
                while bits != 0 {
                    let b = w * 64 + u64::from(bits.trailing_zeros());
                    bits &= bits - 1;
                    if b >= first && b < last {
                        f(span.start + (b - first) * self.ptr);
                    }
                }
                w += 1;
            }
        }
    }

    /// The address of the object with dense index `idx` (a select on the rank table).
    pub fn address_of(&self, idx: u32) -> Option<u64> {
        if idx >= self.objects {
            return None;
        }
        let w = self.words.partition_point(|x| x.before <= idx).checked_sub(1)?;
        let word = *self.words.get(w)?;
        let mut bits = word.bits();
        for _ in 0..idx - word.before {
            bits &= bits.wrapping_sub(1);
        }
        if bits == 0 {
            return None;
        }
        let bit = w as u64 * 64 + u64::from(bits.trailing_zeros());
        let span = self.spans.iter().rev().find(|s| s.first_bit <= bit)?;
        Some(span.start + (bit - span.first_bit) * self.ptr)
    }

    /// Number of objects indexed.
    pub fn objects(&self) -> u32 {
        self.objects
    }

    /// Bytes this index holds (bitmap and rank table).
    pub fn memory_bytes(&self) -> u64 {
        (self.words.len() * std::mem::size_of::<Word>()) as u64
    }
}

/// A [`HeapIndex`] filled by a walk made for something else — the heap
/// statistics, a scan by type name — so that one walk serves both: the
/// caller hands it every object's address, in walk order.
pub struct IndexBuilder(HeapIndex);

impl IndexBuilder {
    /// An empty index over `rt`'s segments; refuses a heap too large to index.
    pub fn new(rt: &Runtime) -> Result<IndexBuilder> {
        let heap = rt.heap.as_ref().map_err(|e| ClrError::Unsupported(format!("GC heap: {e}")))?;
        let ptr = rt.layout.ptr;
        let mut spans = Vec::with_capacity(heap.segments.len());
        let mut words = 0u64;
        let mut segs: Vec<&Segment> = heap.segments.iter().collect();
        segs.sort_by_key(|s| s.start);
        for s in segs {
            if s.end <= s.start {
                continue;
            }
            let n = (s.end - s.start).div_ceil(ptr);
            spans.push(Span { start: s.start, end: s.end, first_bit: words, align: s.kind.alignment(ptr) });
            words += n;
            if words > MAX_WORDS {
                return Err(ClrError::Unsupported(format!(
                    "the GC heap has more than {MAX_WORDS} words; not indexed"
                )));
            }
        }
        Ok(IndexBuilder(HeapIndex {
            ptr,
            shift: ptr.trailing_zeros(),
            last: std::cell::Cell::new(0),
            spans,
            words: vec![Word::default(); words.div_ceil(64) as usize],
            objects: 0,
            invalid: Vec::new(),
            walk: WalkStats::default(),
        }))
    }

    /// Records an object start (outside every segment: ignored).
    #[inline]
    pub fn object(&mut self, addr: u64) {
        let ix = &mut self.0;
        let Some(bit) = ix.bit(addr) else { return };
        if let Some(w) = ix.words.get_mut((bit / 64) as usize) {
            w.set(bit);
        }
    }

    /// The index, with the rank table; `invalid` and `walk` are the walk's.
    pub fn finish(self, invalid: Vec<(u64, String)>, walk: WalkStats) -> Result<HeapIndex> {
        let mut index = self.0;
        let mut total = 0u64;
        for w in &mut index.words {
            // Saturates only past u32::MAX objects, which is refused just below.
            w.before = total.min(u64::from(u32::MAX)) as u32;
            total += u64::from(w.bits().count_ones());
        }
        if total > u64::from(u32::MAX) {
            return Err(ClrError::Unsupported(format!("{total} objects: more than the index holds")));
        }
        index.objects = total as u32;
        index.invalid = invalid;
        index.walk = walk;
        Ok(index)
    }
}

/// Marks by heap word, over the geometry of one [`HeapIndex`] (made by
/// [`HeapIndex::new_marks`]): a bit is only ever set where an object
/// starts. Sized by the heap (one bit per word), like the index.
#[derive(Debug, Clone, Default)]
pub struct Marks(Vec<u64>);

/// Where an object starts in a [`HeapIndex`]: its bitmap word and bit
/// ([`HeapIndex::start`]); what [`Marks`] and [`HeapIndex::rank`] take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Start {
    word: usize,
    mask: u64,
}

impl Marks {
    /// Marks the object at `s`; returns whether it was unmarked (false also
    /// for a `Start` of another index, beyond these marks).
    #[inline(always)]
    pub fn set(&mut self, s: Start) -> bool {
        match self.0.get_mut(s.word) {
            Some(w) if *w & s.mask == 0 => {
                *w |= s.mask;
                true
            }
            _ => false,
        }
    }

    /// Whether the object at `s` is marked.
    #[inline]
    pub fn get(&self, s: Start) -> bool {
        self.0.get(s.word).is_some_and(|w| w & s.mask != 0)
    }

    /// Bytes these marks hold (one bit per heap word).
    pub fn memory_bytes(&self) -> u64 {
        (self.0.len() * 8) as u64
    }

    /// Marked objects.
    pub fn count(&self) -> u64 {
        self.0.iter().map(|w| u64::from(w.count_ones())).sum()
    }
}

/// A fixed-size bitmap over object indices.
#[derive(Debug, Clone)]
pub struct Bits(Vec<u64>);

impl Bits {
    /// `n` clear bits.
    pub fn new(n: u32) -> Bits {
        Bits(vec![0; (n as usize).div_ceil(64)])
    }

    /// Sets bit `i`; returns whether it was clear.
    #[inline]
    pub fn set(&mut self, i: u32) -> bool {
        let (w, m) = ((i / 64) as usize, 1u64 << (i % 64));
        match self.0.get_mut(w) {
            Some(word) if *word & m == 0 => {
                *word |= m;
                true
            }
            _ => false,
        }
    }

    /// Sets the `n` bits from `i` (clipped to the bitmap).
    pub fn set_run(&mut self, i: u32, n: u32) {
        let (mut i, end) = (i as usize, (i as usize + n as usize).min(self.0.len() * 64));
        while i < end {
            let (w, b) = (i / 64, i % 64);
            let take = (64 - b).min(end - i);
            let m = if take == 64 { u64::MAX } else { ((1u64 << take) - 1) << b };
            if let Some(word) = self.0.get_mut(w) {
                *word |= m;
            }
            i += take;
        }
    }

    /// Whether bit `i` is set.
    #[inline]
    pub fn get(&self, i: u32) -> bool {
        self.0.get((i / 64) as usize).is_some_and(|w| w & (1 << (i % 64)) != 0)
    }

    /// Set bits.
    pub fn count(&self) -> u64 {
        self.0.iter().map(|w| u64::from(w.count_ones())).sum()
    }
}
