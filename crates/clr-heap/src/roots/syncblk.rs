//! The sync block table (reference §1.1): `g_pSyncTable` → array of
//! `SyncTableEntry {SyncBlock* m_SyncBlock; Object* m_Object}`; an object
//! whose header word has `BIT_SBLK_IS_HASH_OR_SYNCBLKINDEX` set and
//! `BIT_SBLK_IS_HASHCODE` clear owns entry `header & 0x03FFFFFF`.
//! Entries are weak (the GC clears dead objects' entries): they are listed,
//! never roots.
//!
//! An entry is accepted only when its object's header names that entry
//! back. The monitor (`AwareLock`, first member of `SyncBlock`) is read at
//! candidate offsets from its declaration — `u32 m_lockState`, `u32
//! m_Recursion`, `Thread* m_HoldingThread`, `i32 m_TransientPrecious`, `u32
//! m_dwSyncIndex` — and `m_dwSyncIndex` (top bit: the "precious" flag)
//! must equal the entry's index on
//! every entry; the holding thread is proven against the thread list by
//! `clr-stack` (`clr_stack::roots`).

use super::index::HeapIndex;
use crate::runtime::Runtime;
use crate::runtime::diagnostics::Diagnostics;

const IS_HASH_OR_INDEX: u32 = 0x0800_0000;
const IS_HASHCODE: u32 = 0x0400_0000;
const INDEX_MASK: u32 = 0x03FF_FFFF;
/// `LockState`: bit 0 locked; waiter count from bit 6 (CoreCLR 2.1+).
const LOCKED: u32 = 1;
const WAITER_SHIFT: u32 = 6;
/// `m_dwSyncIndex`'s flag bit: the block must survive its object's collection.
const PRECIOUS: u32 = 0x8000_0000;
/// Entries scanned at most (the index has 26 bits).
const MAX_ENTRIES: u64 = 1 << 26;

/// One sync block in use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyncBlockInfo {
    /// Index in the sync table (what the object header holds).
    pub index: u32,
    /// The `SyncBlock`.
    pub address: u64,
    /// The object it belongs to.
    pub object: u64,
    /// `m_lockState` raw.
    pub lock_state: u32,
    /// `m_Recursion`.
    pub recursion: u32,
    /// `m_HoldingThread` (native `Thread*`, 0 when free).
    pub holding_thread: u64,
}

impl SyncBlockInfo {
    /// Locked bit of the lock state.
    pub fn locked(&self) -> bool {
        self.lock_state & LOCKED != 0
    }

    /// Threads counted as waiting to enter (the lock state's waiter count).
    pub fn waiter_count(&self) -> u32 {
        self.lock_state >> WAITER_SHIFT
    }

    /// SOS's `MonitorHeld`: 1 when locked plus 2 per waiter.
    pub fn monitor_held(&self) -> u32 {
        (self.lock_state & LOCKED) + (self.waiter_count() << 1)
    }
}

/// The sync table's blocks in use.
#[derive(Debug, Clone, Default)]
pub struct SyncTable {
    /// Address of the entry array.
    pub table: u64,
    /// Blocks in use, by index.
    pub blocks: Vec<SyncBlockInfo>,
    /// Entries below the last block in use that are not in use.
    pub free_entries: u64,
}

impl SyncTable {
    /// Reads the table; `index` decides what is an object.
    pub fn read(rt: &Runtime, index: &HeapIndex, diag: &mut Diagnostics) -> Result<SyncTable, String> {
        let mem = rt.dump.memory();
        let p = rt.layout.ptr;
        let var =
            rt.globals.address("g_pSyncTable").ok_or("g_pSyncTable is not among the runtime's globals")?;
        let table = mem.ptr(var).map_err(|e| format!("g_pSyncTable at {var:#x}: {e}"))?;
        if table == 0 {
            return Ok(SyncTable::default());
        }
        let n = (mem.readable_len(table) / (2 * p)).min(MAX_ENTRIES);
        let mut out = SyncTable { table, ..Default::default() };
        let mut back = (0u32, 0u32);
        let mut last = 0u64;
        // Entry 0 is never used; the table is followed while it is readable
        // and each accepted entry is proven by its object's header.
        for i in 1..n {
            let e = table + i * 2 * p;
            let (Ok(sb), Ok(obj)) = (mem.ptr(e), mem.ptr(e + p)) else { break };
            if sb == 0 || obj & 1 != 0 || !index.is_object(obj) {
                out.free_entries += 1;
                continue;
            }
            let Ok(header) = mem.u32(obj.wrapping_sub(4)) else { continue };
            if header & (IS_HASH_OR_INDEX | IS_HASHCODE) != IS_HASH_OR_INDEX
                || u64::from(header & INDEX_MASK) != i
            {
                out.free_entries += 1;
                continue;
            }
            let lock_state = mem.u32(sb).unwrap_or(0);
            let recursion = mem.u32(sb + 4).unwrap_or(0);
            let holding_thread = mem.ptr(sb + 8).unwrap_or(0);
            let sync_index = mem.u32(sb + 8 + p + 4).unwrap_or(u32::MAX);
            back.0 += 1;
            // The top bit is the "precious" flag (`SyncBlockPrecious`), not index.
            if u64::from(sync_index & !PRECIOUS) == i {
                back.1 += 1;
            }
            last = i;
            out.blocks.push(SyncBlockInfo {
                index: i as u32,
                address: sb,
                object: obj,
                lock_state,
                recursion,
                holding_thread,
            });
        }
        // Readable memory past the table is not the table: count free entries below the last used one.
        out.free_entries = last.saturating_sub(out.blocks.len() as u64);
        diag.check(
            "sync blocks: AwareLock.m_dwSyncIndex names the entry back",
            back.0 == back.1,
            format!("{} of {} blocks (offset {:#x})", back.1, back.0, 8 + p + 4),
        );
        if back.0 != back.1 {
            return Err(format!(
                "the AwareLock layout does not hold on this dump: m_dwSyncIndex matches {} of {} blocks",
                back.1, back.0
            ));
        }
        Ok(out)
    }
}
