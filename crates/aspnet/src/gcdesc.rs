//! An object's reference slots from the GC descriptor (`CGCDesc`) the
//! runtime stores just below each MethodTable whose `ContainsPointers`
//! flag is set (as ClrMD's `GCDesc` reads it):
//!
//! * `MT − ptr`: the series count `n` (signed);
//! * `n > 0`: series `i` (highest first) has its size at `MT − (3 + 2i)·ptr`
//!   (stored minus the object's size) and its start offset at
//!   `MT − (2 + 2i)·ptr`: the slots `[obj + offset, obj + offset + size + objsize)`;
//! * `n < 0` (arrays of structs with references): the start offset at
//!   `MT − 2·ptr`, then `−n` half-word pairs `{nptrs, skip}` going down from
//!   `MT − 3·ptr`, repeated over the array's data up to `obj + objsize − ptr`.

use clr_heap::types::MethodTableInfo;
use clr_heap::types::MtFlags;
use dump_format::Memory;

/// More series than any type has fields: a damaged descriptor.
const MAX_SERIES: i64 = 4096;

/// The reference layout of one MethodTable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GcDesc {
    /// No references.
    Empty,
    /// Runs of reference slots: (size relative to the object's size, start offset).
    Series(Vec<(i64, u64)>),
    /// A repeating pattern over array elements: start offset and `(nptrs, skip bytes)` pairs.
    Repeat(u64, Vec<(u64, u64)>),
}

impl GcDesc {
    /// Reads the descriptor of `info` (the MethodTable at `info.address`).
    pub fn read(mem: &Memory, ptr: u64, info: &MethodTableInfo) -> Result<GcDesc, String> {
        if !info.flags().contains(MtFlags::CONTAINS_POINTERS) {
            return Ok(GcDesc::Empty);
        }
        let mt = info.address;
        let word = |k: u64| -> Result<u64, String> {
            mem.ptr(mt.wrapping_sub(k * ptr)).map_err(|e| format!("GC descriptor of {mt:#x}: {e}"))
        };
        let signed = |v: u64| if ptr == 4 { i64::from(v as u32 as i32) } else { v as i64 };
        let n = signed(word(1)?);
        if n == 0 || !(-MAX_SERIES..=MAX_SERIES).contains(&n) {
            return Err(format!("GC descriptor of {mt:#x} has {n} series"));
        }
        if n > 0 {
            let series = (0..n as u64)
                .map(|i| Ok((signed(word(3 + 2 * i)?), word(2 + 2 * i)?)))
                .collect::<Result<Vec<_>, String>>()?;
            return Ok(GcDesc::Series(series));
        }
        let start = word(2)?;
        let half = ptr * 4; // bits in half a pointer
        let mask = (1u64 << half) - 1;
        let pattern = (0..(-n) as u64)
            .map(|j| word(3 + j).map(|w| (w & mask, (w >> half) & mask)))
            .collect::<Result<Vec<_>, String>>()?;
        Ok(GcDesc::Repeat(start, pattern))
    }

    /// The offsets (from the object's address) of its reference slots, for
    /// an object of `size` bytes; slots outside the object are dropped.
    pub fn slots(&self, size: u64, ptr: u64, mut each: impl FnMut(u64)) {
        let limit = size.saturating_sub(ptr);
        match self {
            GcDesc::Empty => {}
            GcDesc::Series(series) => {
                for &(rel, off) in series {
                    let end = (size as i64).saturating_add(rel).saturating_add(off as i64);
                    let end = u64::try_from(end).unwrap_or(0).min(limit);
                    let mut o = off;
                    while o < end {
                        each(o);
                        o += ptr;
                    }
                }
            }
            GcDesc::Repeat(start, pattern) => {
                let mut o = *start;
                while o < limit {
                    let before = o;
                    for &(n, skip) in pattern {
                        for _ in 0..n {
                            if o >= limit {
                                return;
                            }
                            each(o);
                            o += ptr;
                        }
                        o = o.saturating_add(skip);
                    }
                    if o == before {
                        return; // a pattern that does not advance
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::GcDesc;

    fn offsets(d: &GcDesc, size: u64) -> Vec<u64> {
        let mut v = Vec::new();
        d.slots(size, 8, |o| v.push(o));
        v
    }

    #[test]
    fn series_cover_fields_and_reference_arrays() {
        // class { object a; object b; long c; }: base size 40, one series of 2 slots at 8.
        assert_eq!(offsets(&GcDesc::Series(vec![(16 - 40, 8)]), 40), vec![8, 16]);
        // object[3]: 24 + 3*8 = 48 bytes, series size = -(base size 24) and start 16.
        assert_eq!(offsets(&GcDesc::Series(vec![(-24, 16)]), 48), vec![16, 24, 32]);
    }

    #[test]
    fn repeat_walks_struct_elements() {
        // struct { object r; long v; }[2]: data at 16, per element 1 pointer then skip 8.
        assert_eq!(offsets(&GcDesc::Repeat(16, vec![(1, 8)]), 16 + 32 + 8), vec![16, 32]);
        assert!(offsets(&GcDesc::Repeat(16, vec![(0, 0)]), 64).is_empty());
    }
}
