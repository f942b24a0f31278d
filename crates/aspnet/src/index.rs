//! Object starts as one bit per heap word, per segment: the exact answer to
//! "is this word the start of an object?" that a conservative stack scan
//! needs (x86 heaps keep stale copies of moved objects in free space, so a
//! MethodTable-looking word proves nothing), and the same geometry again as
//! a visited set for a marking pass. Memory: heap size / 64 (8-byte words)
//! or / 32 (4-byte words) per bitmap.

/// One segment's bitmap.
#[derive(Debug, Clone)]
struct SegBits {
    start: u64,
    end: u64,
    bits: Vec<u64>,
}

/// A set of heap addresses, one bit per pointer-sized word.
#[derive(Debug, Clone)]
pub struct ObjectIndex {
    word: u64,
    segs: Vec<SegBits>,
    count: u64,
}

impl ObjectIndex {
    /// An empty set over the segments `[start, end)` (word = pointer size).
    pub fn new(word: u64, mut ranges: Vec<(u64, u64)>) -> Self {
        let word = word.max(4);
        ranges.retain(|(s, e)| e > s);
        ranges.sort_unstable();
        let segs = ranges
            .into_iter()
            .map(|(start, end)| {
                let words = (end - start).div_ceil(word);
                SegBits { start, end, bits: vec![0; words.div_ceil(64) as usize] }
            })
            .collect();
        ObjectIndex { word, segs, count: 0 }
    }

    /// The same segments, nothing set.
    pub fn empty_like(&self) -> Self {
        let segs =
            self.segs.iter().map(|s| SegBits { start: s.start, end: s.end, bits: vec![0; s.bits.len()] });
        ObjectIndex { word: self.word, segs: segs.collect(), count: 0 }
    }

    /// How many addresses are set.
    pub fn len(&self) -> u64 {
        self.count
    }

    /// Whether nothing is set.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    fn slot(&self, addr: u64) -> Option<(usize, usize, u64)> {
        if addr % self.word != 0 {
            return None;
        }
        let i = self.segs.partition_point(|s| s.start <= addr).checked_sub(1)?;
        let s = &self.segs[i];
        if addr >= s.end {
            return None;
        }
        let w = (addr - s.start) / self.word;
        Some((i, (w / 64) as usize, 1u64 << (w % 64)))
    }

    /// Whether `addr` is set.
    pub fn contains(&self, addr: u64) -> bool {
        self.slot(addr).is_some_and(|(i, j, bit)| self.segs[i].bits.get(j).is_some_and(|b| b & bit != 0))
    }

    /// Sets `addr`; true when it was not set before (false also when it lies
    /// outside every segment).
    pub fn insert(&mut self, addr: u64) -> bool {
        let Some((i, j, bit)) = self.slot(addr) else { return false };
        let Some(b) = self.segs[i].bits.get_mut(j) else { return false };
        let fresh = *b & bit == 0;
        *b |= bit;
        self.count += u64::from(fresh);
        fresh
    }

    /// Clears everything (keeps the memory).
    pub fn clear(&mut self) {
        for s in &mut self.segs {
            s.bits.iter_mut().for_each(|b| *b = 0);
        }
        self.count = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::ObjectIndex;

    #[test]
    fn set_membership_per_segment() {
        let mut ix = ObjectIndex::new(8, vec![(0x2000, 0x3000), (0x1000, 0x1100)]);
        assert!(ix.insert(0x1008));
        assert!(!ix.insert(0x1008));
        assert!(ix.insert(0x2ff8));
        assert!(!ix.insert(0x3000), "end is exclusive");
        assert!(!ix.insert(0x1104), "misaligned");
        assert!(!ix.insert(0x500), "outside");
        assert!(ix.contains(0x1008) && ix.contains(0x2ff8) && !ix.contains(0x1010));
        assert_eq!(ix.len(), 2);
        let mut v = ix.empty_like();
        assert!(v.is_empty() && !v.contains(0x1008));
        v.insert(0x2000);
        v.clear();
        assert!(v.is_empty() && !v.contains(0x2000));
    }
}
