//! The ThreadInfoList stream: `MINIDUMP_THREAD_INFO`, per-thread times and
//! start addresses.

use super::{Minidump, StreamType, sized_list};
use crate::error::Result;

/// Fields of `MINIDUMP_THREAD_INFO` this reader knows (64 bytes).
const INFO_SIZE: usize = 64;

/// One `MINIDUMP_THREAD_INFO`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThreadInfo {
    /// `ThreadId`.
    pub thread_id: u32,
    /// `DumpFlags` (`MINIDUMP_THREAD_INFO_*`).
    pub dump_flags: u32,
    /// `DumpError`: HRESULT of a failed capture.
    pub dump_error: u32,
    /// `ExitStatus`.
    pub exit_status: u32,
    /// `CreateTime` (FILETIME).
    pub create_time: u64,
    /// `ExitTime` (FILETIME; zero while running).
    pub exit_time: u64,
    /// `KernelTime` in 100 ns units.
    pub kernel_time: u64,
    /// `UserTime` in 100 ns units.
    pub user_time: u64,
    /// `StartAddress`.
    pub start_address: u64,
    /// `Affinity`.
    pub affinity: u64,
}

impl<'a> Minidump<'a> {
    /// The ThreadInfoList stream.
    pub fn thread_info_list(&self) -> Result<Vec<ThreadInfo>> {
        let what = "ThreadInfoList stream";
        let s = self.stream_checked(StreamType::THREAD_INFO_LIST)?;
        let (hsize, esize, count) = (s.u32(0)?, s.u32(4)?, s.u32(8)?);
        let entries = sized_list(s, what, hsize, esize, count.into(), INFO_SIZE)?;
        let mut out = Vec::with_capacity(count as usize);
        for i in 0..count as usize {
            let o = i * esize as usize;
            out.push(ThreadInfo {
                thread_id: entries.u32(o)?,
                dump_flags: entries.u32(o + 4)?,
                dump_error: entries.u32(o + 8)?,
                exit_status: entries.u32(o + 12)?,
                create_time: entries.u64(o + 16)?,
                exit_time: entries.u64(o + 24)?,
                kernel_time: entries.u64(o + 32)?,
                user_time: entries.u64(o + 40)?,
                start_address: entries.u64(o + 48)?,
                affinity: entries.u64(o + 56)?,
            });
        }
        Ok(out)
    }
}
