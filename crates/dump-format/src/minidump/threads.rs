//! The ThreadList stream: `MINIDUMP_THREAD` entries.

use super::{Location, MemoryDescriptor, Minidump, StreamType, counted_list};
use crate::error::Result;

/// Size of one `MINIDUMP_THREAD`.
const THREAD_SIZE: usize = 48;

/// One `MINIDUMP_THREAD`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Thread {
    /// `ThreadId`.
    pub thread_id: u32,
    /// `SuspendCount`.
    pub suspend_count: u32,
    /// `PriorityClass`.
    pub priority_class: u32,
    /// `Priority`.
    pub priority: i32,
    /// `Teb`: the thread environment block's address.
    pub teb: u64,
    /// `Stack`: the captured stack memory.
    pub stack: MemoryDescriptor,
    /// `ThreadContext`: where the `CONTEXT` is in the file.
    pub context: Location,
}

impl<'a> Minidump<'a> {
    /// The ThreadList stream, in file order.
    pub fn thread_list(&self) -> Result<Vec<Thread>> {
        let s = self.stream_checked(StreamType::THREAD_LIST)?;
        let (count, entries) = counted_list(s, THREAD_SIZE)?;
        let mut out = Vec::with_capacity(count as usize);
        for i in 0..count as usize {
            let o = i * THREAD_SIZE;
            out.push(Thread {
                thread_id: entries.u32(o)?,
                suspend_count: entries.u32(o + 4)?,
                priority_class: entries.u32(o + 8)?,
                priority: entries.i32(o + 12)?,
                teb: entries.u64(o + 16)?,
                stack: MemoryDescriptor::read(&entries, o + 24)?,
                context: super::Location::read(&entries, o + 40)?,
            });
        }
        Ok(out)
    }
}
