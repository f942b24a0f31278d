//! The ProcessVmCounters stream: `MINIDUMP_PROCESS_VM_COUNTERS_1` (80 bytes)
//! or `_2` (152 bytes).

use super::{Minidump, StreamType};
use crate::error::{Error, Result};

/// The ProcessVmCounters stream; fields only `_2` has are `None` in `_1`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[allow(missing_docs)] // the Win32 field names
pub struct ProcessVmCounters {
    pub revision: u16,
    /// `Flags` (`_2` only; `MINIDUMP_PROCESS_VM_COUNTERS*` validity bits).
    pub flags: Option<u16>,
    pub page_fault_count: u32,
    pub peak_working_set_size: u64,
    pub working_set_size: u64,
    pub quota_peak_paged_pool_usage: u64,
    pub quota_paged_pool_usage: u64,
    pub quota_peak_non_paged_pool_usage: u64,
    pub quota_non_paged_pool_usage: u64,
    pub pagefile_usage: u64,
    pub peak_pagefile_usage: u64,
    pub peak_virtual_size: Option<u64>,
    pub virtual_size: Option<u64>,
    pub private_usage: u64,
    pub private_working_set_size: Option<u64>,
    pub shared_commit_usage: Option<u64>,
    pub job_shared_commit_usage: Option<u64>,
    pub job_private_commit_usage: Option<u64>,
    pub job_peak_private_commit_usage: Option<u64>,
    pub job_private_commit_limit: Option<u64>,
    pub job_total_commit_limit: Option<u64>,
}

impl<'a> Minidump<'a> {
    /// The ProcessVmCounters stream.
    pub fn process_vm_counters(&self) -> Result<ProcessVmCounters> {
        let s = self.stream_checked(StreamType::PROCESS_VM_COUNTERS)?;
        let revision = s.u16(0)?;
        let q = |i: usize| s.u64(8 + 8 * i);
        let mut c = ProcessVmCounters {
            revision,
            page_fault_count: s.u32(4)?,
            peak_working_set_size: q(0)?,
            working_set_size: q(1)?,
            quota_peak_paged_pool_usage: q(2)?,
            quota_paged_pool_usage: q(3)?,
            quota_peak_non_paged_pool_usage: q(4)?,
            quota_non_paged_pool_usage: q(5)?,
            pagefile_usage: q(6)?,
            peak_pagefile_usage: q(7)?,
            ..Default::default()
        };
        match revision {
            1 => c.private_usage = q(8)?,
            2 => {
                s.slice(0, 152)?;
                c.flags = Some(s.u16(2)?);
                c.peak_virtual_size = Some(q(8)?);
                c.virtual_size = Some(q(9)?);
                c.private_usage = q(10)?;
                c.private_working_set_size = Some(q(11)?);
                c.shared_commit_usage = Some(q(12)?);
                c.job_shared_commit_usage = Some(q(13)?);
                c.job_private_commit_usage = Some(q(14)?);
                c.job_peak_private_commit_usage = Some(q(15)?);
                c.job_private_commit_limit = Some(q(16)?);
                c.job_total_commit_limit = Some(q(17)?);
            }
            r => {
                return Err(Error::corrupt(
                    "ProcessVmCounters stream",
                    s.file_offset(0),
                    format!("unknown revision {r}"),
                ));
            }
        }
        Ok(c)
    }
}
