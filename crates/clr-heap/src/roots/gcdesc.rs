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

    /// Calls `f(slot offset)` for every reference slot of an object of
    /// `size` bytes (the heap size, header included). Bounded by `size`.
    pub fn for_each_slot(&self, ptr: u64, size: u64, mut f: impl FnMut(u64)) {
        // The object's bytes end one header before `obj + size`.
        let end = size.saturating_sub(ptr);
        match self {
            GcDesc::None => {}
            GcDesc::Series(series) => {
                for &(offset, bias) in series {
                    let stop = (size as i64).saturating_add(bias).saturating_add(offset as i64);
                    let stop = (stop.max(0) as u64).min(end);
                    let mut o = offset;
                    while o < stop {
                        f(o);
                        o += ptr;
                    }
                }
            }
            GcDesc::Repeat { start, items } => {
                let mut o = *start;
                'outer: while o < end {
                    for &(nptrs, skip) in items {
                        for _ in 0..nptrs {
                            if o >= end {
                                break 'outer;
                            }
                            f(o);
                            o += ptr;
                        }
                        o += skip;
                    }
                    if items.iter().all(|i| i.0 == 0 && i.1 == 0) {
                        break;
                    }
                }
            }
        }
    }
}

/// A pointer-sized word as a signed number.
fn signed(v: u64, ptr: u64) -> i64 {
    if ptr == 4 { v as u32 as i32 as i64 } else { v as i64 }
}
