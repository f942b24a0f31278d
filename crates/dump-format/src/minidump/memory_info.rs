//! The MemoryInfoList stream: `MINIDUMP_MEMORY_INFO`, the process's memory
//! map (like `VirtualQuery` over the whole address space).

use super::{Minidump, StreamType, sized_list};
use crate::error::Result;

/// Fields of `MINIDUMP_MEMORY_INFO` this reader knows.
const INFO_SIZE: usize = 48;

/// `MEM_COMMIT`.
pub const MEM_COMMIT: u32 = 0x1000;

/// One `MINIDUMP_MEMORY_INFO`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemoryInfo {
    /// `BaseAddress`.
    pub base_address: u64,
    /// `AllocationBase`.
    pub allocation_base: u64,
    /// `AllocationProtect` (`PAGE_*`).
    pub allocation_protect: u32,
    /// `RegionSize`.
    pub region_size: u64,
    /// `State` (`MEM_COMMIT`, `MEM_RESERVE`, `MEM_FREE`).
    pub state: u32,
    /// `Protect` (`PAGE_*`).
    pub protect: u32,
    /// `Type` (`MEM_IMAGE`, `MEM_MAPPED`, `MEM_PRIVATE`).
    pub kind: u32,
}

impl<'a> Minidump<'a> {
    /// The MemoryInfoList stream.
    pub fn memory_info_list(&self) -> Result<Vec<MemoryInfo>> {
        let what = "MemoryInfoList stream";
        let s = self.stream_checked(StreamType::MEMORY_INFO_LIST)?;
        let (hsize, esize, count) = (s.u32(0)?, s.u32(4)?, s.u64(8)?);
        let e = sized_list(s, what, hsize, esize, count, INFO_SIZE)?;
        let mut out = Vec::with_capacity(count as usize);
        for i in 0..count as usize {
            let o = i * esize as usize;
            out.push(MemoryInfo {
                base_address: e.u64(o)?,
                allocation_base: e.u64(o + 8)?,
                allocation_protect: e.u32(o + 16)?,
                region_size: e.u64(o + 24)?,
                state: e.u32(o + 32)?,
                protect: e.u32(o + 36)?,
                kind: e.u32(o + 40)?,
            });
        }
        Ok(out)
    }
}
