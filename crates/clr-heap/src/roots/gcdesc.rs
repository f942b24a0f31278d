//! GC descriptors: where an object's references are (reference §2.4).
//!
//! A MethodTable with `ContainsPointers` is preceded by a `CGCDesc` that
//! grows *down* from the MethodTable: the series count at `MT − ptr`, then
//! series of `{seriessize, startoffset}` below it, the highest at
//! `MT − 3·ptr`. A positive count lists runs of references: a run starts at
//! `object + startoffset` and is `seriessize + object size` bytes long (the
//! stored size is biased by minus the base size, so one series also covers
//! every element of a reference array). A negative count `−n` is the
//! repeating form of arrays of structs: one `startoffset` (at `MT − 2·ptr`)
//! and `n` items `{nptrs, skip}` (half-pointer-sized each; item 0 at
//! `MT − 3·ptr`, the next one pointer lower) applied per element until the
//! object's end. This is the GC's own `go_through_object`; the layout is
//! proven on each dump against FieldDesc reference offsets (`roots::check`).

use crate::runtime::layout::Layout;
use crate::types::method_table::{MethodTableInfo, MtFlags};
use dump_format::Memory;

/// More series than any real type has: a corrupt count must not allocate.
const MAX_SERIES: u64 = 4096;

/// The decoded descriptor of one MethodTable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GcDesc {
    /// No references (`ContainsPointers` clear).
    None,
    /// Runs of references: `(start offset, length bias)`; a run covers
    /// `[obj + offset, obj + offset + size + bias)`.
    Series(Vec<(u64, i64)>),
    /// Arrays of structs: from `obj + start`, repeat `(nptrs, skip bytes)` items.
    Repeat {
        /// Offset of the first reference.
        start: u64,
        /// `(references, bytes skipped after them)` per item.
        items: Vec<(u64, u64)>,
    },
}

impl GcDesc {
    /// Reads the descriptor in front of `mt`; `Err` says why it is not plausible.
    pub fn read(mem: &Memory, layout: &Layout, mt: &MethodTableInfo) -> Result<GcDesc, String> {
        if !mt.flags().contains(MtFlags::CONTAINS_POINTERS) {
            return Ok(GcDesc::None);
        }
        let p = layout.ptr;
        let a = mt.address;
        let count = signed(mem.ptr(a.wrapping_sub(p)).map_err(|e| e.to_string())?, p);
        let base = u64::from(mt.base_size);
        if count > 0 {
            if count as u64 > MAX_SERIES {
                return Err(format!("{count} series"));
            }
            let mut series = Vec::with_capacity(count as usize);
            for i in 0..count as u64 {
                let at = a.wrapping_sub(p * (3 + 2 * i));
                let size = signed(mem.ptr(at).map_err(|e| e.to_string())?, p);
                let offset = mem.ptr(at.wrapping_add(p)).map_err(|e| e.to_string())?;
                // A run starts inside the fixed part and, for a plain object,
                // ends inside it too (size + bias ≤ base size).
                if offset < p || offset >= base.max(p) + 0x10000 || size.unsigned_abs() > 1 << 32 {
                    return Err(format!("series {i}: offset {offset:#x}, size {size}"));
                }
                series.push((offset, size));
            }
            Ok(GcDesc::Series(series))
        } else if count < 0 {
            let n = count.unsigned_abs();
            if n > MAX_SERIES || mt.component_size() == 0 {
                return Err(format!("{n} repeating items on a type without components"));
            }
            let start = mem.ptr(a.wrapping_sub(2 * p)).map_err(|e| e.to_string())?;
            let mut items = Vec::with_capacity(n as usize);
            let mut per_element = 0u64;
            for i in 0..n {
                let w = mem.ptr(a.wrapping_sub(p * (3 + i))).map_err(|e| e.to_string())?;
                let half = p * 4;
                let (nptrs, skip) = (w & ((1 << half) - 1), w >> half);
                items.push((nptrs, skip));
                per_element += nptrs * p + skip;
            }
            // The items describe exactly one element.
            if per_element != u64::from(mt.component_size()) || start < p {
                return Err(format!(
                    "repeating items cover {per_element} bytes, element size is {}",
                    mt.component_size()
                ));
            }
            Ok(GcDesc::Repeat { start, items })
        } else {
            Err("ContainsPointers but 0 series".into())
        }
    }

    /// The runs of consecutive reference slots of an object of `size` bytes
    /// (the heap size, header included), as offsets `(from, to)`: slots at
    /// `from, from + ptr, …` below `to`. Runs, not slots: a reader borrows a
    /// run's bytes once and loops over them (a reference array is one run).
    /// Bounded by `size`.
    ///
    /// ```
    /// use clr_heap::roots::GcDesc;
    /// // One series from offset 8 covering the elements of a reference array:
    /// // the stored size is biased by minus the base size (24).
    /// let desc = GcDesc::Series(vec![(16, -24)]);
    /// // An array of 3 references: 24 + 3 * 8 bytes.
    /// assert_eq!(desc.runs(8, 48).collect::<Vec<_>>(), [(16, 40)]);
    /// ```
    #[inline]
    pub fn runs(&self, ptr: u64, size: u64) -> Runs<'_> {
        // The object's bytes end one header before `obj + size`.
        let end = size.saturating_sub(ptr);
        let state = match self {
            GcDesc::None => RunState::Done,
            GcDesc::Series(series) => RunState::Series(series.iter()),
            // Items without references would advance without producing anything.
            GcDesc::Repeat { items, .. } if items.iter().all(|i| i.0 == 0) => RunState::Done,
            GcDesc::Repeat { start, items } => RunState::Repeat { items, next: 0, at: *start },
        };
        Runs { ptr, size, end, state }
    }

    /// Calls `f(slot offset)` for every reference slot of an object of
    /// `size` bytes (the heap size, header included). Bounded by `size`.
    pub fn for_each_slot(&self, ptr: u64, size: u64, mut f: impl FnMut(u64)) {
        for (from, to) in self.runs(ptr, size) {
            let mut o = from;
            while o < to {
                f(o);
                o += ptr;
            }
        }
    }
}

impl Runs<'_> {
    /// Skips ahead towards offset `at`: runs wholly before it may still
    /// follow (the caller drops them), but an array of structs restarts at
    /// the element holding `at` instead of at its first one, so resuming a
    /// large object costs no more than its rest.
    pub fn resume_at(&mut self, at: u64) {
        if let RunState::Repeat { items, next, at: pos } = &mut self.state {
            let element: u64 =
                items.iter().map(|&(n, skip)| n.saturating_mul(self.ptr).saturating_add(skip)).sum();
            if element > 0 && at > *pos {
                *pos += (at - *pos) / element * element;
                *next = 0;
            }
        }
    }
}

/// The runs of reference slots of one object: [`GcDesc::runs`].
#[derive(Debug, Clone)]
pub struct Runs<'a> {
    ptr: u64,
    size: u64,
    end: u64,
    state: RunState<'a>,
}

#[derive(Debug, Clone)]
enum RunState<'a> {
    Done,
    Series(std::slice::Iter<'a, (u64, i64)>),
    /// Item `next` of `items` starts at offset `at`.
    Repeat {
        items: &'a [(u64, u64)],
        next: usize,
        at: u64,
    },
}

impl Iterator for Runs<'_> {
    type Item = (u64, u64);

    #[inline]
    fn next(&mut self) -> Option<(u64, u64)> {
        match &mut self.state {
            RunState::Done => None,
            RunState::Series(series) => {
                for &(offset, bias) in series.by_ref() {
                    let stop = (self.size as i64).saturating_add(bias).saturating_add(offset as i64);
                    let stop = (stop.max(0) as u64).min(self.end);
                    if offset < stop {
                        return Some((offset, stop));
                    }
                }
                None
            }
            RunState::Repeat { items, next, at } => {
                // Every element advances `at` by the element size — some item
                // has references, so by at least one slot — up to the end.
                while *at < self.end {
                    let (nptrs, skip) = *items.get(*next)?;
                    *next = (*next + 1) % items.len();
                    let from = *at;
                    let to = from.saturating_add(nptrs.saturating_mul(self.ptr));
                    *at = to.saturating_add(skip);
                    if nptrs > 0 {
                        return Some((from, to.min(self.end)));
                    }
                }
                None
            }
        }
    }
}

/// A pointer-sized word as a signed number.
fn signed(v: u64, ptr: u64) -> i64 {
    if ptr == 4 { v as u32 as i32 as i64 } else { v as i64 }
}

#[cfg(test)]
mod tests {
    use super::GcDesc;

    #[test]
    fn series_runs_of_a_plain_object_and_a_reference_array() {
        // A plain object of 40 bytes with references at 8 and 16: one series
        // of 16 bytes, stored as 16 - 40.
        let plain = GcDesc::Series(vec![(8, 16 - 40)]);
        assert_eq!(plain.runs(8, 40).collect::<Vec<_>>(), [(8, 24)]);
        let mut slots = Vec::new();
        plain.for_each_slot(8, 40, |o| slots.push(o));
        assert_eq!(slots, [8, 16]);
        // A reference array (base 24, elements from 16): every element.
        let array = GcDesc::Series(vec![(16, -24)]);
        assert_eq!(array.runs(8, 24 + 5 * 8).collect::<Vec<_>>(), [(16, 56)]);
        assert_eq!(array.runs(8, 24).count(), 0, "an empty array has no slots");
    }

    #[test]
    fn repeat_runs_cover_each_element_and_stop_at_the_end() {
        // Elements of 24 bytes: 1 reference, 8 bytes skipped, 1 reference.
        let desc = GcDesc::Repeat { start: 16, items: vec![(1, 8), (1, 0)] };
        let size = 24 + 2 * 24;
        assert_eq!(desc.runs(8, size).collect::<Vec<_>>(), [(16, 24), (32, 40), (40, 48), (56, 64)]);
        // Resuming in the second element starts at that element.
        let mut runs = desc.runs(8, size);
        runs.resume_at(44);
        assert_eq!(runs.collect::<Vec<_>>(), [(40, 48), (56, 64)]);
        // A hostile length: runs stay inside the object, end at its end, and
        // the number of runs is bounded by the size over the element size.
        let huge = desc.runs(8, u64::MAX);
        assert!(huge.take(1000).all(|(from, to)| from < to && to <= u64::MAX - 8));
        let series = GcDesc::Series(vec![(8, i64::MAX), (u64::MAX - 4, i64::MIN), (16, -1 << 40)]);
        assert!(series.runs(8, 1 << 20).all(|(from, to)| from < to && to <= (1 << 20) - 8));
        // Items without references produce nothing (and do not loop).
        let none = GcDesc::Repeat { start: 16, items: vec![(0, 0)] };
        assert_eq!(none.runs(8, 1 << 40).count(), 0);
    }
}
