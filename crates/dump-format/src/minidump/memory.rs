//! The MemoryList and Memory64List streams: where captured process memory
//! lies in the file.

use super::{Location, Minidump, StreamType, counted_list};
use crate::error::{Error, Result};
use crate::read::Bytes;

/// Size of `MINIDUMP_MEMORY_DESCRIPTOR`.
const DESCRIPTOR_SIZE: usize = 16;
/// Size of `MINIDUMP_MEMORY_DESCRIPTOR64`.
const DESCRIPTOR64_SIZE: usize = 16;

/// `MINIDUMP_MEMORY_DESCRIPTOR`: a virtual range and where its bytes are.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MemoryDescriptor {
    /// `StartOfMemoryRange`.
    pub start: u64,
    /// `Memory`: size and file offset of the bytes.
    pub memory: Location,
}

impl MemoryDescriptor {
    pub(crate) fn read(b: &Bytes<'_>, off: usize) -> Result<MemoryDescriptor> {
        Ok(MemoryDescriptor { start: b.u64(off)?, memory: Location::read(b, off + 8)? })
    }
}

/// One range of a Memory64List, with the file offset computed from
/// `BaseRva` (the ranges' bytes follow each other from there).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemoryRange64 {
    /// `StartOfMemoryRange`.
    pub start: u64,
    /// `DataSize`.
    pub size: u64,
    /// File offset of the range's bytes.
    pub file_offset: u64,
}

impl<'a> Minidump<'a> {
    /// The MemoryList stream's descriptors (each with its own RVA).
    pub fn memory_list(&self) -> Result<Vec<MemoryDescriptor>> {
        let s = self.stream_checked(StreamType::MEMORY_LIST)?;
        let (count, e) = counted_list(s, DESCRIPTOR_SIZE)?;
        (0..count as usize).map(|i| MemoryDescriptor::read(&e, i * DESCRIPTOR_SIZE)).collect()
    }

    /// The Memory64List stream's ranges. Their bytes are consecutive from
    /// `BaseRva`; an offset that would overflow is an error.
    pub fn memory64_list(&self) -> Result<Vec<MemoryRange64>> {
        let s = self.stream_checked(StreamType::MEMORY64_LIST)?;
        let count = s.u64(0)?;
        let base_rva = s.u64(8)?;
        let e = s.array(16, count, DESCRIPTOR64_SIZE)?;
        let mut out = Vec::with_capacity(count as usize);
        let mut offset = base_rva;
        for i in 0..count as usize {
            let o = i * DESCRIPTOR64_SIZE;
            let size = e.u64(o + 8)?;
            out.push(MemoryRange64 { start: e.u64(o)?, size, file_offset: offset });
            offset = offset.checked_add(size).ok_or_else(|| {
                Error::corrupt("Memory64List stream", e.file_offset(o), "the ranges' file offsets overflow")
            })?;
        }
        Ok(out)
    }
}
