//! `dumpheap --live/--dead --stat` without a second heap walk: the object
//! index's walk already tallied every object per MethodTable
//! ([`crate::gc::stat::HeapStat::collect`]); after the marking, only the smaller
//! side — the marked objects or the unmarked ones — is read again, through
//! the index (MethodTable word and length only), and the other side is the
//! difference. A leak makes nearly everything live and a churning heap
//! nearly everything dead, so this reads few objects in both cases, and at
//! most half of them.

use super::mark::Liveness;
use crate::gc::stat::{AddrMap, HeapStat, TypeStat};

impl Liveness<'_> {
    /// The statistics of the live objects (`live`) or of the dead ones, free
    /// space excluded from both (it is neither), from `all`: the statistics
    /// of every object of the walk that built this pass's index.
    /// Fragmentation, invalid objects and the walk's counters are `all`'s.
    pub fn stat(&mut self, all: &HeapStat, free_mt: Option<u64>, live: bool) -> HeapStat {
        let objects = u64::from(self.index.objects());
        let marked_count = self.stats.live;
        let read_marked = marked_count.saturating_mul(2) <= objects;
        let side = self.tally_side(read_marked);
        let mut out = HeapStat {
            invalid: all.invalid.clone(),
            fragments: all.fragments.clone(),
            walk: all.walk.clone(),
            ..HeapStat::default()
        };
        for t in &all.types {
            if Some(t.mt) == free_mt {
                continue;
            }
            let read = side.get(&t.mt).copied().unwrap_or((0, 0));
            // The side not read is the difference from the whole.
            let other = (t.count.saturating_sub(read.0), t.total_size.saturating_sub(read.1));
            let (count, total_size) = if live == read_marked { read } else { other };
            if count > 0 {
                out.types.push(TypeStat { mt: t.mt, count, total_size });
                out.objects += count;
                out.bytes += total_size;
            }
        }
        out
    }

    /// Count and bytes per MethodTable of the marked objects (`marked`) or of
    /// the unmarked ones, read through the index in address order.
    fn tally_side(&mut self, marked: bool) -> AddrMap<(u64, u64)> {
        let (index, marks, refs) = (&self.index, &self.marks, &mut self.refs);
        let mut per: AddrMap<(u64, u64)> = AddrMap::default();
        // Runs of one type are common (a leak allocates them in a row): the map once per run.
        let mut run = (0u64, 0u64, 0u64);
        index.for_each_marked(marks, marked, |addr| {
            // Every indexed object's type was validated by the walk; one
            // that cannot be sized now is left out rather than guessed.
            let Some((mt, size)) = refs.mt_and_size(addr, index.align_at(addr)) else { return };
            if mt == run.0 {
                run.1 += 1;
                run.2 += size;
            } else {
                if run.1 > 0 {
                    let e = per.entry(run.0).or_default();
                    e.0 += run.1;
                    e.1 += run.2;
                }
                run = (mt, 1, size);
            }
        });
        if run.1 > 0 {
            let e = per.entry(run.0).or_default();
            e.0 += run.1;
            e.1 += run.2;
        }
        per
    }
}
