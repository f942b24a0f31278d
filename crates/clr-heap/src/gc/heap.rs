//! GC heaps, segments and generations (reference §5.3–5.5), read from
//! `GcDacVars` and validated segment by segment.

use super::dacvars::GcDacVars;
use crate::error::{ClrError, ReadContext, Result};
use crate::runtime::diagnostics::Diagnostics;
use crate::runtime::layout::Layout;
use dump_format::Memory;
use std::collections::HashSet;

/// The generation of an object whose generation the dump does not tell
/// (a heap found by signature scan knows no generation boundaries).
pub const UNKNOWN_GENERATION: u8 = u8::MAX;

/// Longest segment chain followed: a corrupt `next` loop must end.
const MAX_SEGMENTS: usize = 100_000;

/// Which part of the heap a segment belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SegmentKind {
    /// The ephemeral segment: gen0 and gen1 (and the youngest gen2 objects).
    Ephemeral,
    /// A small-object segment holding only gen2 objects.
    Gen2,
    /// Large object heap.
    Large,
    /// Pinned object heap (.NET 5+).
    Pinned,
}

impl SegmentKind {
    /// Name as `eeheap` prints it.
    pub fn name(self) -> &'static str {
        match self {
            SegmentKind::Ephemeral => "ephemeral",
            SegmentKind::Gen2 => "gen2",
            SegmentKind::Large => "LOH",
            SegmentKind::Pinned => "POH",
        }
    }

    /// Objects on LOH and POH are 8-byte aligned; elsewhere pointer-aligned.
    pub fn alignment(self, ptr: u64) -> u64 {
        match self {
            SegmentKind::Large | SegmentKind::Pinned => 8,
            _ => ptr,
        }
    }
}

/// One heap segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    /// Address of the `heap_segment` header.
    pub address: u64,
    /// Index of the heap (server GC) it belongs to.
    pub heap: usize,
    /// What it holds.
    pub kind: SegmentKind,
    /// First object (`mem`).
    pub start: u64,
    /// End of objects (`allocated`, or the heap's `alloc_allocated` for the ephemeral segment).
    pub end: u64,
    /// End of committed memory.
    pub committed: u64,
    /// End of the reservation.
    pub reserved: u64,
    /// `heap_segment.flags`.
    pub flags: u64,
    /// On the ephemeral segment: where gen1 and gen0 start.
    pub gen1_start: Option<u64>,
    /// See `gen1_start`.
    pub gen0_start: Option<u64>,
}

impl Segment {
    /// The generation an object at `addr` in this segment belongs to
    /// (0, 1, 2; 3 = LOH, 4 = POH).
    pub fn generation_of(&self, addr: u64) -> u8 {
        match self.kind {
            SegmentKind::Large => 3,
            SegmentKind::Pinned => 4,
            SegmentKind::Gen2 => 2,
            SegmentKind::Ephemeral => match (self.gen1_start, self.gen0_start) {
                (None, None) => UNKNOWN_GENERATION,
                (_, Some(g0)) if addr >= g0 => 0,
                (Some(g1), _) if addr >= g1 => 1,
                _ => 2,
            },
        }
    }

    /// Bytes of objects in the segment.
    pub fn len(&self) -> u64 {
        self.end.saturating_sub(self.start)
    }

    /// True for an empty segment.
    pub fn is_empty(&self) -> bool {
        self.end <= self.start
    }
}

/// One GC heap (one for workstation GC, one per core for server GC).
#[derive(Debug, Clone)]
pub struct HeapDesc {
    /// `gc_heap*` (server GC only).
    pub address: Option<u64>,
    /// `alloc_allocated`: end of the ephemeral segment's objects.
    pub alloc_allocated: u64,
    /// The ephemeral segment.
    pub ephemeral_segment: u64,
    /// `generation_table` address.
    pub generation_table: u64,
    /// `finalize_queue` (CFinalize*).
    pub finalize_queue: u64,
}

/// The whole GC heap.
#[derive(Debug, Clone)]
pub struct GcHeap {
    /// Server GC.
    pub server: bool,
    /// `max_gen` (2).
    pub max_generation: u32,
    /// The heaps.
    pub heaps: Vec<HeapDesc>,
    /// Every segment, sorted by start address.
    pub segments: Vec<Segment>,
    /// Allocation contexts known so far `(alloc_ptr, alloc_limit)`: memory in
    /// them holds no objects yet.
    pub alloc_contexts: Vec<(u64, u64)>,
}

impl GcHeap {
    /// Reads the heap described by `vars`.
    pub fn read(mem: &Memory, layout: &Layout, vars: &GcDacVars, diag: &mut Diagnostics) -> Result<GcHeap> {
        let p = layout.ptr;
        let need = |name: &str| {
            vars.var(name).ok_or_else(|| ClrError::Invalid {
                what: "GcDacVars",
                address: vars.address,
                reason: format!("no {name} entry"),
            })
        };
        let max_generation = mem.u32(need("max_gen")?).what(|| "max_gen".into())?;
        let server = vars.var("n_heaps").is_some() && vars.var("g_heaps").is_some();
        let mut heaps = Vec::new();
        if server {
            let n = mem.u32(need("n_heaps")?).what(|| "n_heaps".into())?;
            if n == 0 || n > 1024 {
                return Err(ClrError::Invalid {
                    what: "SVR::gc_heap::n_heaps",
                    address: need("n_heaps")?,
                    reason: format!("{n} heaps"),
                });
            }
            let array = mem.ptr(need("g_heaps")?).what(|| "g_heaps".into())?;
            for i in 0..u64::from(n) {
                let gh = mem.ptr(array + i * p).what(|| format!("g_heaps[{i}]"))?;
                // dac_gc_heap prefix (asserted by the runtime's own build): alloc_allocated,
                // ephemeral_heap_segment, finalize_queue.
                let alloc_allocated = mem.ptr(gh).what(|| format!("gc_heap {gh:#x}"))?;
                let ephemeral_segment = mem.ptr(gh + p).what(|| format!("gc_heap {gh:#x}"))?;
                let finalize_queue = mem.ptr(gh + 2 * p).what(|| format!("gc_heap {gh:#x}"))?;
                let generation_table =
                    calibrate_generation_table(mem, layout, vars, gh, ephemeral_segment, diag)?;
                heaps.push(HeapDesc {
                    address: Some(gh),
                    alloc_allocated,
                    ephemeral_segment,
                    generation_table,
                    finalize_queue,
                });
            }
        } else {
            let rd = |name: &str| -> Result<u64> { mem.ptr(need(name)?).what(|| name.to_string()) };
            heaps.push(HeapDesc {
                address: None,
                alloc_allocated: rd("alloc_allocated")?,
                ephemeral_segment: rd("ephemeral_heap_segment")?,
                generation_table: need("generation_table")?,
                finalize_queue: rd("finalize_queue").unwrap_or(0),
            });
        }
        diag.found(
            format!("{} GC with {} heap(s)", if server { "server" } else { "workstation" }, heaps.len()),
            format!("GcDacVars v{}.{} at {:#x}", vars.major, vars.minor, vars.address),
        );

        let mut segments = Vec::new();
        let mut seen = HashSet::new();
        let mut alloc_contexts = Vec::new();
        for (hi, h) in heaps.iter().enumerate() {
            let gen_field = |g: u64, off: u64| mem.ptr(h.generation_table + g * vars.generation_size + off);
            let gl = &layout.gc;
            let gen1_start = gen_field(1, gl.gen_allocation_start).ok();
            let gen0_start = gen_field(0, gl.gen_allocation_start).ok();
            if let (Ok(ap), Ok(al)) = (gen_field(0, gl.gen_alloc_ptr), gen_field(0, gl.gen_alloc_limit)) {
                if ap != 0 && al > ap {
                    alloc_contexts.push((ap, al));
                }
            }
            let mut chains = vec![(2u64, SegmentKind::Gen2), (3, SegmentKind::Large)];
            if vars.total_generation_count > 4 {
                chains.push((4, SegmentKind::Pinned));
            }
            for (g, kind) in chains {
                let mut seg =
                    gen_field(g, gl.gen_start_segment).what(|| format!("generation {g} of heap {hi}"))?;
                let mut n = 0;
                while seg != 0 && n < MAX_SEGMENTS && seen.insert(seg) {
                    n += 1;
                    let s = read_segment(mem, layout, seg, hi, kind, h, gen1_start, gen0_start)?;
                    seg = mem.ptr(seg + gl.seg_next).what(|| format!("heap_segment {seg:#x}"))?;
                    segments.push(s);
                }
            }
            let eph_found = segments.iter().any(|s| s.address == h.ephemeral_segment);
            diag.check(
                format!("heap {hi}: the ephemeral segment is on the gen2 chain"),
                eph_found,
                format!("ephemeral_heap_segment {:#x}", h.ephemeral_segment),
            );
        }
        segments.sort_by_key(|s| s.start);
        for w in segments.windows(2) {
            if w[0].reserved > w[1].address && w[0].address < w[1].address {
                diag.check(
                    "segments do not overlap",
                    false,
                    format!("{:#x} overlaps {:#x}", w[0].address, w[1].address),
                );
            }
        }
        diag.found(format!("{} heap segments", segments.len()), "generation_table start_segment chains");
        Ok(GcHeap { server, max_generation, heaps, segments, alloc_contexts })
    }

    /// A heap rebuilt from segment headers found by their signature, for
    /// when no table of the runtime is reachable (or `ignore_tables`). In
    /// segments mode the ephemeral segment is the tail of its heap's
    /// small-object chain (`next == 0`); its `allocated` is stale, so its end
    /// is found by walking valid objects past it, up to its `used` mark.
    pub fn from_scan(
        mem: &Memory,
        layout: &Layout,
        scanned: &[super::scan::ScannedSegment],
        cache: &mut super::walk::MtCache,
        diag: &mut Diagnostics,
    ) -> Result<GcHeap> {
        let mut segments: Vec<Segment> = Vec::new();
        for sc in scanned {
            let large = sc.flags & 8 != 0;
            let mut seg = Segment {
                address: sc.address,
                heap: 0,
                kind: if large { SegmentKind::Large } else { SegmentKind::Gen2 },
                start: sc.start,
                end: sc.allocated,
                committed: sc.committed,
                reserved: sc.reserved,
                flags: sc.flags,
                gen1_start: None,
                gen0_start: None,
            };
            if !large && sc.next == 0 {
                if let Some(end) = extend_past_allocated(mem, layout, cache, sc) {
                    diag.found(
                        format!(
                            "ephemeral segment {:#x}: objects continue {:#x} bytes past its allocated mark",
                            sc.address,
                            end - sc.allocated
                        ),
                        "walking valid objects past the stale end",
                    );
                    seg.kind = SegmentKind::Ephemeral;
                    seg.end = end;
                }
            }
            if seg.end > seg.start {
                segments.push(seg);
            }
        }
        if segments.is_empty() {
            return Err(ClrError::Invalid {
                what: "GC heap",
                address: 0,
                reason: "no heap segment found by signature scan".into(),
            });
        }
        segments.sort_by_key(|s| s.start);
        let eph = segments.iter().filter(|s| s.kind == SegmentKind::Ephemeral).count();
        diag.check(
            "signature scan: an ephemeral segment was found",
            eph >= 1,
            format!("{eph} segments hold objects past their allocated mark"),
        );
        diag.found(
            format!("{} heap segments", segments.len()),
            "segment signature scan (no runtime table used)",
        );
        Ok(GcHeap {
            server: false,
            max_generation: 2,
            heaps: Vec::new(),
            segments,
            alloc_contexts: Vec::new(),
        })
    }

    /// The segment containing `addr`.
    pub fn segment_of(&self, addr: u64) -> Option<&Segment> {
        let i = self.segments.partition_point(|s| s.start <= addr).checked_sub(1)?;
        let s = &self.segments[i];
        (addr < s.end).then_some(s)
    }

    /// Total bytes in segments, per kind.
    pub fn total_size(&self) -> u64 {
        self.segments.iter().fold(0u64, |a, s| a.saturating_add(s.len()))
    }
}

#[allow(clippy::too_many_arguments)]
fn read_segment(
    mem: &Memory,
    layout: &Layout,
    seg: u64,
    heap: usize,
    chain_kind: SegmentKind,
    h: &HeapDesc,
    gen1_start: Option<u64>,
    gen0_start: Option<u64>,
) -> Result<Segment> {
    let g = &layout.gc;
    let rd = |off: u64| mem.ptr(seg + off).what(|| format!("heap_segment {seg:#x}"));
    let (allocated, committed, reserved, start, flags) =
        (rd(g.seg_allocated)?, rd(g.seg_committed)?, rd(g.seg_reserved)?, rd(g.seg_mem)?, rd(g.seg_flags)?);
    let ephemeral = seg == h.ephemeral_segment;
    let end = if ephemeral { h.alloc_allocated } else { allocated };
    // The invariant every segment keeps (reference §5.3).
    let ok =
        start > seg && start <= end && end <= committed.max(end) && committed <= reserved && reserved > seg;
    if !ok {
        return Err(ClrError::Invalid {
            what: "heap_segment",
            address: seg,
            reason: format!(
                "mem {start:#x}, end {end:#x}, committed {committed:#x}, reserved {reserved:#x} are not ordered"
            ),
        });
    }
    let kind = if ephemeral { SegmentKind::Ephemeral } else { chain_kind };
    Ok(Segment {
        address: seg,
        heap,
        kind,
        start,
        end,
        committed,
        reserved,
        flags,
        gen1_start: if ephemeral { gen1_start.filter(|&a| a >= start && a <= end) } else { None },
        gen0_start: if ephemeral { gen0_start.filter(|&a| a >= start && a <= end) } else { None },
    })
}

/// Finds the generation table inside a server `gc_heap`: the derived offset
/// first, then a scan for the offset where gen0 and gen1 start on the
/// ephemeral segment and the LOH starts on a segment flagged as LOH.
fn calibrate_generation_table(
    mem: &Memory,
    layout: &Layout,
    vars: &GcDacVars,
    gc_heap: u64,
    ephemeral: u64,
    diag: &mut Diagnostics,
) -> Result<u64> {
    let p = layout.ptr;
    let derived = if p == 8 { 0x158 } else { 0xAC };
    let gs = vars.generation_size;
    let g = &layout.gc;
    let fits = |off: u64| -> bool {
        let t = gc_heap + off;
        let start = |n: u64| mem.ptr(t + n * gs + g.gen_start_segment).ok();
        let (Some(s0), Some(s1), Some(s2), Some(s3)) = (start(0), start(1), start(2), start(3)) else {
            return false;
        };
        let loh_flag = mem.ptr(s3 + g.seg_flags).map(|f| f & 8 != 0).unwrap_or(false);
        s0 == ephemeral && s1 == ephemeral && s2 != 0 && loh_flag
    };
    let candidates = std::iter::once(derived).chain((0x40..0x1000).step_by(p as usize));
    for off in candidates {
        if fits(off) {
            diag.check(
                format!("server gc_heap {gc_heap:#x}: generation_table offset"),
                off == derived,
                if off == derived {
                    format!("derived offset {off:#x} holds")
                } else {
                    format!("derived {derived:#x} failed; calibrated to {off:#x}")
                },
            );
            return Ok(gc_heap + off);
        }
    }
    Err(ClrError::Invalid {
        what: "gc_heap",
        address: gc_heap,
        reason: "no generation table found in the first 4 KiB".into(),
    })
}

/// Walks valid objects from a segment's allocated mark onwards; returns the
/// end of the last one when at least one valid object lies there (the mark
/// is stale: this is the ephemeral segment).
fn extend_past_allocated(
    mem: &Memory,
    layout: &Layout,
    cache: &mut super::walk::MtCache,
    sc: &super::scan::ScannedSegment,
) -> Option<u64> {
    let p = layout.ptr;
    let mut pos = sc.allocated;
    let mut last_end = None;
    // Objects never lie past the segment's high-water mark `used` (+ one
    // pointer: the mark trails the allocation end by the object header);
    // stale copies a compacting GC left behind may, so the walk stops there.
    let limit = sc.committed.min(sc.used.saturating_add(p));
    while pos + layout.min_object <= limit {
        let Ok(w) = mem.ptr(pos) else { break };
        if w == 0 {
            // An allocation context or the unused tail: skip the zeros; the
            // loop stops if nothing valid follows.
            let mut a = pos;
            while a < limit && mem.ptr(a).is_ok_and(|v| v == 0) {
                a += p;
            }
            pos = a;
            continue;
        }
        let Some(info) = cache.get(mem, layout, w & layout.mt_mask()) else { break };
        let Ok(size) = super::walk::object_size(mem, layout, &info, pos, p) else { break };
        if pos + size > limit {
            break;
        }
        pos += size;
        last_end = Some(pos);
    }
    last_end
}
