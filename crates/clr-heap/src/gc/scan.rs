//! Route without any table: find GC heap segments by their signature in
//! memory (reference §5.7 (d)), and recognise the well-known MethodTables by
//! their shape. It serves as a check on what the runtime's own tables said,
//! and as the way in when no table is reachable.
//!
//! A `heap_segment` header sits one page before its first object: `mem ==
//! address + 0x1000`, with `mem ≤ allocated ≤ committed ≤ reserved`, and the
//! first object must carry a MethodTable that passes the EEClass round trip.
//! A page that merely looks like this (a stale copy, a coincidence) is
//! rejected by the MethodTable check; a segment that is missed shows up as a
//! disagreement with the tables, never as a silent gap.

use super::walk::MtCache;
use crate::runtime::layout::Layout;
use dump_format::Memory;

/// Distance from a segment header to its first object: the header occupies
/// the first OS page of the reservation.
const HEADER_PAGE: u64 = 0x1000;

/// A segment found by its signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScannedSegment {
    /// Header address.
    pub address: u64,
    /// First object.
    pub start: u64,
    /// `allocated`.
    pub allocated: u64,
    /// `committed`.
    pub committed: u64,
    /// `reserved`.
    pub reserved: u64,
    /// `flags` (8 = large object heap).
    pub flags: u64,
    /// `used`: the segment's high-water mark.
    pub used: u64,
    /// `next`: the following segment of the same chain (0 at its tail).
    pub next: u64,
}

/// Scans every captured page for segment headers.
pub fn scan_segments(mem: &Memory, layout: &Layout, cache: &mut MtCache) -> Vec<ScannedSegment> {
    let g = &layout.gc;
    let mut out = Vec::new();
    for r in mem.regions() {
        let end = r.start.saturating_add(r.file_len.min(r.mem_len));
        let mut page = (r.start + HEADER_PAGE - 1) & !(HEADER_PAGE - 1);
        while page + 8 * layout.ptr <= end {
            if let Some(s) = check_header(mem, layout, cache, page, g) {
                out.push(s);
            }
            page += HEADER_PAGE;
        }
    }
    out
}

/// Whether the header at `at` has a segment's signature.
pub fn has_signature(mem: &Memory, layout: &Layout, cache: &mut MtCache, at: u64) -> bool {
    check_header(mem, layout, cache, at, &layout.gc).is_some()
}

fn check_header(
    mem: &Memory,
    layout: &Layout,
    cache: &mut MtCache,
    at: u64,
    g: &crate::runtime::layout::GcLayout,
) -> Option<ScannedSegment> {
    let rd = |o: u64| mem.ptr(at + o).ok();
    let start = rd(g.seg_mem)?;
    if start != at + HEADER_PAGE {
        return None;
    }
    let (allocated, committed, reserved, flags, used) =
        (rd(g.seg_allocated)?, rd(g.seg_committed)?, rd(g.seg_reserved)?, rd(g.seg_flags)?, rd(g.seg_used)?);
    let next = rd(g.seg_next)?;
    let ordered = start <= allocated && allocated <= committed && committed <= reserved;
    // A reservation is at most a few hundred GB even on the largest servers.
    if !ordered || reserved - at > (1 << 40) {
        return None;
    }
    if allocated > start {
        let mt = mem.ptr(start).ok()? & layout.mt_mask();
        cache.get(mem, layout, mt)?;
    }
    Some(ScannedSegment { address: at, start, allocated, committed, reserved, flags, used, next })
}
