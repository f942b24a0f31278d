//! A JIT code heap and its nibble map (reference §7.1, nibble map v1, every
//! runtime up to .NET 9): code address → the first instruction of the
//! method containing it.
//!
//! The heap's `HeapList` header is `{hpNext, pHeap, startAddress,
//! endAddress, mapBase, pHdrMap, …}`; the map has one 4-bit nibble per
//! 32-byte bucket of code, 8 per `u32`, most significant first: 0 = no
//! method starts in the bucket, v = a method starts at `bucket + (v-1)*4`.

use dump_format::Memory;

/// Bytes of code covered by one nibble.
const BUCKET: u64 = 32;
/// Longest method searched backwards through the map (bytes of code).
const MAX_METHOD: u64 = 4 << 20;

/// The fields of a `HeapList` the lookup needs, read and checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeapList {
    /// `startAddress`: the first byte of code.
    pub start: u64,
    /// `endAddress`: the end of the used code.
    pub end: u64,
    /// `mapBase`: what the map's buckets count from.
    pub map_base: u64,
    /// `pHdrMap`: the nibble map.
    pub map: u64,
}

impl HeapList {
    /// Reads the `HeapList` at `at`; `None` unless `mapBase` is
    /// `startAddress` rounded down to a page and the bounds are ordered.
    pub fn read(mem: &Memory, ptr: u64, at: u64) -> Option<HeapList> {
        let f = |i: u64| mem.ptr(at.wrapping_add(i * ptr)).ok();
        let h = HeapList { start: f(2)?, end: f(3)?, map_base: f(4)?, map: f(5)? };
        let ok = h.start >= at && h.end >= h.start && h.map_base == h.start & !0xFFF && h.map != 0;
        (ok && mem.u32(h.map).is_ok()).then_some(h)
    }

    /// The start of the method whose code contains `pc`.
    pub fn method_start(&self, mem: &Memory, pc: u64) -> Option<u64> {
        if pc < self.start || pc >= self.end {
            return None;
        }
        let delta = pc - self.map_base;
        let pos = delta / BUCKET;
        let word = |i: u64| mem.u32(self.map.wrapping_add(i * 4)).ok();
        let nibble = |w: u32, j: u64| u64::from((w >> (28 - 4 * j)) & 0xF);
        let (mut wi, j) = (pos / 8, pos % 8);
        let w = word(wi)?;
        // A method starting in pc's own bucket counts only if it starts at or before pc.
        let n = nibble(w, j);
        if n != 0 && n - 1 <= (delta % BUCKET) / 4 {
            return Some(self.map_base + pos * BUCKET + (n - 1) * 4);
        }
        for k in (0..j).rev() {
            let n = nibble(w, k);
            if n != 0 {
                return Some(self.map_base + (wi * 8 + k) * BUCKET + (n - 1) * 4);
            }
        }
        let floor = wi.saturating_sub(MAX_METHOD / (BUCKET * 8));
        while wi > floor {
            wi -= 1;
            let w = word(wi)?;
            if w != 0 {
                let k = (0..8).rev().find(|&k| nibble(w, k) != 0)?;
                return Some(self.map_base + (wi * 8 + k) * BUCKET + (nibble(w, k) - 1) * 4);
            }
        }
        None
    }
}
