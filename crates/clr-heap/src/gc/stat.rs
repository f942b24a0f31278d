//! Heap statistics: the aggregate behind `dumpheap -stat`, kept in the
//! library so tools and CI checks get the same numbers the CLI prints.

use super::walk::{HeapItem, MtCache, ObjectRef, WalkStats};
use crate::error::Result;
use crate::runtime::Runtime;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// A hasher for MethodTable addresses: they are distinct, well-spread
/// integers, so a multiply-shift is enough and far cheaper than SipHash in
/// the walk's inner loop.
#[derive(Default)]
pub struct AddrHasher(u64);

impl Hasher for AddrHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = (v ^ (v >> 29)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

/// A map keyed by address.
pub type AddrMap<V> = HashMap<u64, V, BuildHasherDefault<AddrHasher>>;

/// Count and bytes of one type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TypeStat {
    /// The MethodTable.
    pub mt: u64,
    /// Instances.
    pub count: u64,
    /// Bytes of all instances.
    pub total_size: u64,
}

/// A free block large enough to matter for fragmentation, and what follows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FreeBlock {
    /// The free object's address.
    pub address: u64,
    /// Its size.
    pub size: u64,
    /// The object right after it (None at a segment end).
    pub followed_by: Option<ObjectRef>,
}

/// The result of one pass over the heap.
#[derive(Debug, Clone, Default)]
pub struct HeapStat {
    /// Per type, in no particular order.
    pub types: Vec<TypeStat>,
    /// Objects counted (after the filter).
    pub objects: u64,
    /// Their bytes.
    pub bytes: u64,
    /// Invalid objects met: address and reason.
    pub invalid: Vec<(u64, String)>,
    /// Free blocks of at least `FRAGMENT_MIN` bytes.
    pub fragments: Vec<FreeBlock>,
    /// The walk's counters.
    pub walk: WalkStats,
}

/// SOS lists free blocks larger than 0.5 MB as fragmentation.
pub const FRAGMENT_MIN: u64 = 512 * 1024;

impl HeapStat {
    /// Walks the heap once. `keep` selects the objects counted; `progress`
    /// is called now and then with (bytes walked, total segment bytes).
    pub fn collect(
        rt: &Runtime,
        cache: &mut MtCache,
        mut keep: impl FnMut(&ObjectRef) -> bool,
        mut progress: impl FnMut(u64, u64),
    ) -> Result<HeapStat> {
        let total = rt.heap.as_ref().map(|h| h.total_size()).unwrap_or(0);
        let free_mt = cache.free_mt();
        let mut per: AddrMap<(u64, u64)> = AddrMap::default();
        let mut out = HeapStat::default();
        let mut pending_free: Option<(u64, u64)> = None;
        let mut done = 0u64;
        let mut tick = 0u32;
        let mut run: (u64, u64, u64) = (0, 0, 0);
        let mut walk = rt.walk(cache)?;
        for item in walk.by_ref() {
            match item {
                HeapItem::Object(o) => {
                    done += o.size;
                    if let Some((a, s)) = pending_free.take() {
                        // Only an object right after the block "follows" it (not one in the next segment).
                        let followed_by = (a + s == o.address).then_some(o);
                        out.fragments.push(FreeBlock { address: a, size: s, followed_by });
                    }
                    if Some(o.mt) == free_mt && o.size >= FRAGMENT_MIN {
                        pending_free = Some((o.address, o.size));
                    }
                    if keep(&o) {
                        // Objects of one type come in runs (a leak allocates thousands
                        // in a row): count the run locally, touch the map once per run.
                        if o.mt == run.0 {
                            run.1 += 1;
                            run.2 += o.size;
                        } else {
                            if run.1 > 0 {
                                let e = per.entry(run.0).or_insert((0, 0));
                                e.0 += run.1;
                                e.1 += run.2;
                            }
                            run = (o.mt, 1, o.size);
                        }
                        out.objects += 1;
                        out.bytes += o.size;
                    }
                }
                HeapItem::Invalid { address, reason, .. } => out.invalid.push((address, reason)),
            }
            tick = tick.wrapping_add(1);
            if tick % (1 << 18) == 0 {
                progress(done, total);
            }
        }
        if run.1 > 0 {
            let e = per.entry(run.0).or_insert((0, 0));
            e.0 += run.1;
            e.1 += run.2;
        }
        out.walk = walk.stats.clone();
        if let Some((a, s)) = pending_free {
            out.fragments.push(FreeBlock { address: a, size: s, followed_by: None });
        }
        out.types =
            per.into_iter().map(|(mt, (count, total_size))| TypeStat { mt, count, total_size }).collect();
        progress(total, total);
        Ok(out)
    }
}
