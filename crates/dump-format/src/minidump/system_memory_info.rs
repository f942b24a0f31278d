//! The SystemMemoryInfo stream: `MINIDUMP_SYSTEM_MEMORY_INFO_1` (492 bytes,
//! packed to 4), machine-wide memory facts at the time of the dump.

use super::{Minidump, StreamType};
use crate::error::Result;
use crate::read::Bytes;

/// Size of `MINIDUMP_SYSTEM_MEMORY_INFO_1`.
const SIZE: usize = 492;
/// Offset of `PerfInfo` (`MINIDUMP_SYSTEM_PERFORMANCE_INFORMATION`).
const PERF_OFFSET: usize = 148;

/// `MINIDUMP_SYSTEM_BASIC_INFORMATION`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct SystemBasicInformation {
    pub timer_resolution: u32,
    pub page_size: u32,
    pub number_of_physical_pages: u32,
    pub lowest_physical_page_number: u32,
    pub highest_physical_page_number: u32,
    pub allocation_granularity: u32,
    pub minimum_user_mode_address: u64,
    pub maximum_user_mode_address: u64,
    pub active_processors_affinity_mask: u64,
    pub number_of_processors: u32,
}

/// `MINIDUMP_SYSTEM_FILECACHE_INFORMATION`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct SystemFileCacheInformation {
    pub current_size: u64,
    pub peak_size: u64,
    pub page_fault_count: u32,
    pub minimum_working_set: u64,
    pub maximum_working_set: u64,
    pub current_size_including_transition_in_repurpose: u64,
    pub peak_size_including_transition_in_repurpose: u64,
    pub transition_repurpose_count: u32,
    pub flags: u32,
}

/// `MINIDUMP_SYSTEM_BASIC_PERFORMANCE_INFORMATION`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct SystemBasicPerformanceInformation {
    pub available_pages: u64,
    pub committed_pages: u64,
    pub commit_limit: u64,
    pub peak_commitment: u64,
}

/// The SystemMemoryInfo stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SystemMemoryInfo {
    /// `Revision` (1).
    pub revision: u16,
    /// `Flags`.
    pub flags: u16,
    /// `BasicInfo`.
    pub basic: SystemBasicInformation,
    /// `FileCacheInfo`.
    pub file_cache: SystemFileCacheInformation,
    /// `BasicPerfInfo`.
    pub basic_performance: SystemBasicPerformanceInformation,
    /// `PerfInfo`: its 78 counters as `(field name, value)` in layout order
    /// (a table rather than 78 struct fields; the names are the SDK's).
    pub performance: Vec<(&'static str, u64)>,
}

/// `PerfInfo` layout: four u64, seventy u32, four u64 (the last one signed
/// in the SDK, `ResidentAvailablePages`, kept as raw bits here).
const PERF_U64_HEAD: [&str; 4] =
    ["IdleProcessTime", "IoReadTransferCount", "IoWriteTransferCount", "IoOtherTransferCount"];
const PERF_U32: [&str; 70] = [
    "IoReadOperationCount",
    "IoWriteOperationCount",
    "IoOtherOperationCount",
    "AvailablePages",
    "CommittedPages",
    "CommitLimit",
    "PeakCommitment",
    "PageFaultCount",
    "CopyOnWriteCount",
    "TransitionCount",
    "CacheTransitionCount",
    "DemandZeroCount",
    "PageReadCount",
    "PageReadIoCount",
    "CacheReadCount",
    "CacheIoCount",
    "DirtyPagesWriteCount",
    "DirtyWriteIoCount",
    "MappedPagesWriteCount",
    "MappedWriteIoCount",
    "PagedPoolPages",
    "NonPagedPoolPages",
    "PagedPoolAllocs",
    "PagedPoolFrees",
    "NonPagedPoolAllocs",
    "NonPagedPoolFrees",
    "FreeSystemPtes",
    "ResidentSystemCodePage",
    "TotalSystemDriverPages",
    "TotalSystemCodePages",
    "NonPagedPoolLookasideHits",
    "PagedPoolLookasideHits",
    "AvailablePagedPoolPages",
    "ResidentSystemCachePage",
    "ResidentPagedPoolPage",
    "ResidentSystemDriverPage",
    "CcFastReadNoWait",
    "CcFastReadWait",
    "CcFastReadResourceMiss",
    "CcFastReadNotPossible",
    "CcFastMdlReadNoWait",
    "CcFastMdlReadWait",
    "CcFastMdlReadResourceMiss",
    "CcFastMdlReadNotPossible",
    "CcMapDataNoWait",
    "CcMapDataWait",
    "CcMapDataNoWaitMiss",
    "CcMapDataWaitMiss",
    "CcPinMappedDataCount",
    "CcPinReadNoWait",
    "CcPinReadWait",
    "CcPinReadNoWaitMiss",
    "CcPinReadWaitMiss",
    "CcCopyReadNoWait",
    "CcCopyReadWait",
    "CcCopyReadNoWaitMiss",
    "CcCopyReadWaitMiss",
    "CcMdlReadNoWait",
    "CcMdlReadWait",
    "CcMdlReadNoWaitMiss",
    "CcMdlReadWaitMiss",
    "CcReadAheadIos",
    "CcLazyWriteIos",
    "CcLazyWritePages",
    "CcDataFlushes",
    "CcDataPages",
    "ContextSwitches",
    "FirstLevelTbFills",
    "SecondLevelTbFills",
    "SystemCalls",
];
const PERF_U64_TAIL: [&str; 4] =
    ["CcTotalDirtyPages", "CcDirtyPageThreshold", "ResidentAvailablePages", "SharedCommittedPages"];

fn performance(s: &Bytes<'_>) -> Result<Vec<(&'static str, u64)>> {
    let mut out = Vec::with_capacity(78);
    let mut off = PERF_OFFSET;
    for name in PERF_U64_HEAD {
        out.push((name, s.u64(off)?));
        off += 8;
    }
    for name in PERF_U32 {
        out.push((name, s.u32(off)?.into()));
        off += 4;
    }
    for name in PERF_U64_TAIL {
        out.push((name, s.u64(off)?));
        off += 8;
    }
    Ok(out)
}

impl<'a> Minidump<'a> {
    /// The SystemMemoryInfo stream.
    pub fn system_memory_info(&self) -> Result<SystemMemoryInfo> {
        let s = self.stream_checked(StreamType::SYSTEM_MEMORY_INFO)?;
        s.slice(0, SIZE)?;
        Ok(SystemMemoryInfo {
            revision: s.u16(0)?,
            flags: s.u16(2)?,
            basic: SystemBasicInformation {
                timer_resolution: s.u32(4)?,
                page_size: s.u32(8)?,
                number_of_physical_pages: s.u32(12)?,
                lowest_physical_page_number: s.u32(16)?,
                highest_physical_page_number: s.u32(20)?,
                allocation_granularity: s.u32(24)?,
                minimum_user_mode_address: s.u64(28)?,
                maximum_user_mode_address: s.u64(36)?,
                active_processors_affinity_mask: s.u64(44)?,
                number_of_processors: s.u32(52)?,
            },
            file_cache: SystemFileCacheInformation {
                current_size: s.u64(56)?,
                peak_size: s.u64(64)?,
                page_fault_count: s.u32(72)?,
                minimum_working_set: s.u64(76)?,
                maximum_working_set: s.u64(84)?,
                current_size_including_transition_in_repurpose: s.u64(92)?,
                peak_size_including_transition_in_repurpose: s.u64(100)?,
                transition_repurpose_count: s.u32(108)?,
                flags: s.u32(112)?,
            },
            basic_performance: SystemBasicPerformanceInformation {
                available_pages: s.u64(116)?,
                committed_pages: s.u64(124)?,
                commit_limit: s.u64(132)?,
                peak_commitment: s.u64(140)?,
            },
            performance: performance(&s)?,
        })
    }
}
