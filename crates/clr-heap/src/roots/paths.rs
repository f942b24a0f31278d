//! [`RootPaths`]: which roots reach an object, and the shortest chain from
//! each. The live objects' references are inverted once per session into a
//! compact reverse-edge table (CSR: one `u32` per live reference, one per
//! object); a query is then a breadth-first search *backwards* from the
//! target that keeps, only for the objects it reaches (those that lead to
//! the target), the next hop towards it. Every root whose object was reached
//! gets its shortest path by following those hops.

use super::mark::Liveness;
use crate::gc::stat::AddrMap;
use std::collections::VecDeque;

/// One root's chain to the target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RootPath {
    /// Index into [`Liveness::roots`].
    pub root: usize,
    /// The objects from the root's object to the target, both included.
    pub chain: Vec<u64>,
}

/// The reverse edges of the live heap.
pub struct RootPaths {
    /// `sources[offsets[i]..offsets[i+1]]`: the objects referencing object `i`.
    offsets: Vec<u32>,
    sources: Vec<u32>,
}

impl RootPaths {
    /// Inverts the references of every live object: counts (taken from the
    /// marking pass when it counted them), prefix sums, one filling pass.
    pub fn build(l: &mut Liveness) -> RootPaths {
        let n = l.index.objects() as usize;
        let mut offsets = vec![0u32; n + 1];
        match l.indegree.take() {
            Some(counts) => {
                for (i, c) in counts.into_iter().enumerate() {
                    offsets[i + 1] = c;
                }
                let Liveness { index, dependents, marked, marks, .. } = &*l;
                let marked = super::mark::dense(marked, index, marks);
                for &(p, s) in dependents.iter() {
                    if let (Some(pi), Some(si)) = (index.index_of(p), index.index_of(s)) {
                        if marked.get(pi) {
                            offsets[si as usize + 1] = offsets[si as usize + 1].saturating_add(1);
                        }
                    }
                }
            }
            None => Self::each_edge(l, |_, t| {
                if let Some(c) = offsets.get_mut(t as usize + 1) {
                    *c = c.saturating_add(1);
                }
            }),
        }
        for i in 0..n {
            offsets[i + 1] = offsets[i + 1].saturating_add(offsets[i]);
        }
        let mut fill: Vec<u32> = offsets[..n].to_vec();
        let mut edges = vec![0u32; offsets[n] as usize];
        Self::each_edge(l, |s, t| {
            if let Some(f) = fill.get_mut(t as usize) {
                if let Some(e) = edges.get_mut(*f as usize) {
                    *e = s;
                }
                *f += 1;
            }
        });
        RootPaths { offsets, sources: edges }
    }

    /// Every edge `(source, target)` between live objects, as dense indices,
    /// dependent handles included (primary → secondary).
    fn each_edge(l: &mut Liveness, mut f: impl FnMut(u32, u32)) {
        let Liveness { index, marked, marks, refs, dependents, .. } = l;
        let marked = super::mark::dense(marked, index, marks);
        index.for_each_object(|i, addr| {
            if !marked.get(i) {
                return;
            }
            refs.for_each(addr, |_, target| {
                if let Some(t) = index.index_of(target) {
                    f(i, t);
                }
            });
        });
        for &(p, s) in dependents.iter() {
            if let (Some(pi), Some(si)) = (index.index_of(p), index.index_of(s)) {
                if marked.get(pi) {
                    f(pi, si);
                }
            }
        }
    }

    /// Bytes held by the reverse edges.
    pub fn memory_bytes(&self) -> u64 {
        (self.offsets.len() * 4 + self.sources.len() * 4) as u64
    }

    /// For every root of `l` that reaches `target`, its shortest chain; in
    /// root order. Empty when `target` is not a live object.
    pub fn paths_to(&self, l: &Liveness, target: u64) -> Vec<RootPath> {
        let Some(t) = l.index.index_of(target).filter(|&t| l.marked().get(t)) else { return Vec::new() };
        // next hop towards the target, only for objects that lead to it.
        let mut next: AddrMap<u32> = AddrMap::default();
        next.insert(u64::from(t), t);
        let mut queue = VecDeque::from([t]);
        while let Some(v) = queue.pop_front() {
            let (a, b) = (self.offsets[v as usize] as usize, self.offsets[v as usize + 1] as usize);
            for &u in self.sources.get(a..b).unwrap_or(&[]) {
                if let std::collections::hash_map::Entry::Vacant(e) = next.entry(u64::from(u)) {
                    e.insert(v);
                    queue.push_back(u);
                }
            }
        }
        let mut out = Vec::new();
        for (ri, r) in l.roots.iter().enumerate() {
            let Some(mut i) = l.index.index_of(r.object) else { continue };
            if !next.contains_key(&u64::from(i)) {
                continue;
            }
            let mut chain = Vec::new();
            // Each hop is one BFS level closer: at most `next.len()` hops.
            for _ in 0..=next.len() {
                chain.push(l.index.address_of(i).unwrap_or(0));
                if i == t {
                    break;
                }
                match next.get(&u64::from(i)) {
                    Some(&n) => i = n,
                    None => break,
                }
            }
            out.push(RootPath { root: ri, chain });
        }
        out
    }
}
