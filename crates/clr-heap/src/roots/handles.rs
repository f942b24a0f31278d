//! The GC handle table (reference §8.1): `g_HandleTableMap` → buckets →
//! one `HandleTable` per slot (server GC: per heap) → 64 KB `TableSegment`s
//! → blocks of 64 handles, each block typed by `rgBlockType`.
//!
//! The segment header offsets are computed from the header's declaration
//! (counts derive from the pointer size) and proven on the dump: every
//! segment's `pHandleTable` must point back to the table that lists it and
//! every `rgBlockType` byte must be a handle type or free. The offset of
//! `pSegmentList` inside `HandleTable` is not taken from anywhere: it is the
//! one word of the table that points to a 64 KB-aligned segment pointing back.

use crate::runtime::Runtime;
use crate::runtime::diagnostics::Diagnostics;
use dump_format::Memory;
use std::collections::HashSet;

const SEGMENT_SIZE: u64 = 0x10000;
const HEADER_SIZE: u64 = 0x1000;
const PER_BLOCK: u64 = 64;
const MAX_TYPES: u64 = 12;
/// Bounds on chains read from the dump.
const MAX_MAPS: usize = 64;
const MAX_BUCKETS: u64 = 4096;
const MAX_SLOTS: u64 = 1024;
const MAX_SEGMENTS: usize = 100_000;
/// How far into `HandleTable` the segment list is looked for (bytes).
const TABLE_SCAN: u64 = 0x400;
/// `rgBlockType` of a free block.
const FREE_BLOCK: u8 = 0xFF;

/// A handle's type (`HNDTYPE_*`, reference §8.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum HandleKind {
    /// `HNDTYPE_WEAK_SHORT` (0): `GCHandleType.Weak`.
    WeakShort,
    /// `HNDTYPE_WEAK_LONG` (1): `GCHandleType.WeakTrackResurrection`.
    WeakLong,
    /// `HNDTYPE_STRONG` (2): `GCHandleType.Normal`.
    Strong,
    /// `HNDTYPE_PINNED` (3).
    Pinned,
    /// `HNDTYPE_VARIABLE` (4): type kept in user data.
    Variable,
    /// `HNDTYPE_REFCOUNTED` (5): COM reference-counted.
    RefCounted,
    /// `HNDTYPE_DEPENDENT` (6): secondary alive while primary is.
    Dependent,
    /// `HNDTYPE_ASYNCPINNED` (7).
    AsyncPinned,
    /// `HNDTYPE_SIZEDREF` (8).
    SizedRef,
    /// `HNDTYPE_WEAK_WINRT` (9).
    WeakWinRt,
}

impl HandleKind {
    /// From `rgBlockType`; `None` for data blocks and unknown values.
    pub fn from_block_type(t: u8) -> Option<HandleKind> {
        use HandleKind::*;
        Some(match t {
            0 => WeakShort,
            1 => WeakLong,
            2 => Strong,
            3 => Pinned,
            4 => Variable,
            5 => RefCounted,
            6 => Dependent,
            7 => AsyncPinned,
            8 => SizedRef,
            9 => WeakWinRt,
            _ => return None,
        })
    }

    /// SOS's name (`gchandles`, `gcroot`).
    pub fn name(self) -> &'static str {
        use HandleKind::*;
        match self {
            WeakShort => "weak short",
            WeakLong => "weak long",
            Strong => "strong",
            Pinned => "pinned",
            Variable => "variable",
            RefCounted => "ref counted",
            Dependent => "dependent",
            AsyncPinned => "async pinned",
            SizedRef => "sized ref",
            WeakWinRt => "weak WinRT",
        }
    }

    /// Whether the handle keeps its target alive. Ref-counted handles are
    /// strong while their count is above zero (the count is not read: taken
    /// as strong, as the GC does for a live COM object); variable handles
    /// are taken as strong (their dynamic type is not read).
    pub fn is_strong(self) -> bool {
        use HandleKind::*;
        matches!(self, Strong | Pinned | AsyncPinned | SizedRef | RefCounted | Variable)
    }
}

/// One handle in use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Handle {
    /// The handle: the address of its slot.
    pub address: u64,
    /// Its type.
    pub kind: HandleKind,
    /// The object in the slot.
    pub object: u64,
    /// Dependent handles: the secondary object (0 when none).
    pub secondary: u64,
    /// Index of the handle table (slot) it belongs to.
    pub table: u32,
}

/// `TableSegment` header offsets for a pointer size (computed, then proven).
#[derive(Debug, Clone, Copy)]
struct SegmentLayout {
    blocks: u64,
    block_type: u64,
    user_data: u64,
    next: u64,
    table: u64,
}

impl SegmentLayout {
    fn new(ptr: u64) -> SegmentLayout {
        let handles = (SEGMENT_SIZE - HEADER_SIZE) / ptr;
        let blocks = handles / PER_BLOCK;
        // rgGeneration[blocks·4], rgAllocation[blocks], rgFreeMask[handles/32] (u32),
        // rgBlockType, rgUserData, rgLocks [blocks each], rgTail, rgHint [12], rgFreeCount[12] (u32).
        let block_type = blocks * 4 + blocks + handles / 32 * 4;
        let user_data = block_type + blocks;
        let free_count = user_data + 2 * blocks + 2 * MAX_TYPES;
        let next = (free_count + 4 * MAX_TYPES).next_multiple_of(ptr);
        SegmentLayout { blocks, block_type, user_data, next, table: next + ptr }
    }
}

/// Every handle in use, or why the table cannot be read; checks go to `diag`.
pub fn read_handles(rt: &Runtime, diag: &mut Diagnostics) -> Result<Vec<Handle>, String> {
    let mem = rt.dump.memory();
    let p = rt.layout.ptr;
    let map = rt
        .gc_vars
        .as_ref()
        .and_then(|v| v.var("handle_table_map"))
        .or_else(|| rt.globals.address("g_HandleTableMap"))
        .ok_or("neither GcDacVars.handle_table_map nor g_HandleTableMap is known")?;
    let slots = match &rt.heap {
        Ok(h) if h.server => h.heaps.len() as u64,
        _ => 1,
    };
    let seg = SegmentLayout::new(p);
    let mut tables = Vec::new();
    let (mut m, mut prev_max) = (map, 0u64);
    for _ in 0..MAX_MAPS {
        let buckets = mem.ptr(m).map_err(|e| format!("HandleTableMap at {m:#x}: {e}"))?;
        let next = mem.ptr(m + p).map_err(|e| e.to_string())?;
        let max = u64::from(mem.u32(m + 2 * p).map_err(|e| e.to_string())?);
        let n = max.saturating_sub(prev_max).min(MAX_BUCKETS);
        for b in 0..n {
            let Ok(bucket) = mem.ptr(buckets + b * p) else { continue };
            if bucket == 0 {
                continue;
            }
            let Ok(array) = mem.ptr(bucket) else { continue };
            for s in 0..slots.min(MAX_SLOTS) {
                if let Ok(t) = mem.ptr(array + s * p) {
                    if t != 0 {
                        tables.push(t);
                    }
                }
            }
        }
        prev_max = max;
        if next == 0 || next == m {
            break;
        }
        m = next;
    }
    if tables.is_empty() {
        return Err(format!("HandleTableMap at {map:#x} lists no handle table"));
    }
    let mut out = Vec::new();
    let mut bad_types = 0usize;
    let mut segments = 0usize;
    let mut seen = HashSet::new();
    for (ti, &table) in tables.iter().enumerate() {
        let Some(first) = find_segment_list(&mem, &seg, table) else {
            diag.check(
                "handle table: segment list found by back pointer",
                false,
                format!("no word of HandleTable {table:#x} points to a segment pointing back"),
            );
            continue;
        };
        let mut s = first;
        while s != 0 && seen.insert(s) && seen.len() <= MAX_SEGMENTS {
            if mem.ptr(s + seg.table).ok() != Some(table) {
                diag.check(
                    "handle table: segment pHandleTable points back",
                    false,
                    format!("segment {s:#x} of table {table:#x}"),
                );
                break;
            }
            segments += 1;
            let Ok(types) = mem.read(s + seg.block_type, seg.blocks) else { break };
            let user = mem.read(s + seg.user_data, seg.blocks).ok();
            for (b, &t) in types.iter().enumerate() {
                if t == FREE_BLOCK {
                    continue;
                }
                let Some(kind) = HandleKind::from_block_type(t) else {
                    if u64::from(t) >= MAX_TYPES {
                        bad_types += 1;
                    }
                    continue;
                };
                let b = b as u64;
                for i in 0..PER_BLOCK {
                    let slot = s + HEADER_SIZE + (b * PER_BLOCK + i) * p;
                    let Ok(object) = mem.ptr(slot) else { continue };
                    if object == 0 {
                        continue;
                    }
                    let secondary = match (kind, user.as_ref().and_then(|u| u.get(b as usize).copied())) {
                        (HandleKind::Dependent, Some(d)) if d != FREE_BLOCK && u64::from(d) < seg.blocks => {
                            mem.ptr(s + HEADER_SIZE + (u64::from(d) * PER_BLOCK + i) * p).unwrap_or(0)
                        }
                        _ => 0,
                    };
                    out.push(Handle { address: slot, kind, object, secondary, table: ti as u32 });
                }
            }
            s = mem.ptr(s + seg.next).unwrap_or(0);
        }
    }
    diag.check(
        "handle table: block types are handle types or free",
        bad_types == 0,
        format!("{segments} segments in {} tables, {bad_types} unknown block types", tables.len()),
    );
    Ok(out)
}

/// The first segment of `table`: a word of the table that points to a
/// 64 KB-aligned block whose `pHandleTable` is `table`.
fn find_segment_list(mem: &Memory, seg: &SegmentLayout, table: u64) -> Option<u64> {
    let p = mem.pointer_size() as u64;
    (0..TABLE_SCAN / p).find_map(|k| {
        let s = mem.ptr(table + k * p).ok()?;
        (s != 0 && s % SEGMENT_SIZE == 0 && mem.ptr(s + seg.table).ok() == Some(table)).then_some(s)
    })
}

#[cfg(test)]
mod tests {
    use super::SegmentLayout;

    #[test]
    fn segment_offsets_match_the_reference() {
        let x64 = SegmentLayout::new(8);
        assert_eq!((x64.block_type, x64.user_data, x64.next, x64.table), (0x618, 0x690, 0x7C8, 0x7D0));
        let x86 = SegmentLayout::new(4);
        assert_eq!((x86.block_type, x86.user_data, x86.next, x86.table), (0xC30, 0xD20, 0xF48, 0xF4C));
    }
}
