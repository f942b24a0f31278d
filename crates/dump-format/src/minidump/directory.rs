//! The stream directory: `MINIDUMP_DIRECTORY` entries, stream types and
//! location descriptors.

use crate::error::Result;
use crate::read::Bytes;

/// A `MINIDUMP_LOCATION_DESCRIPTOR`: `DataSize` bytes at file offset `Rva`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Location {
    /// `DataSize`.
    pub size: u32,
    /// `Rva`: absolute file offset.
    pub rva: u32,
}

impl Location {
    /// Reads a descriptor (`DataSize`, `Rva`) at `off`.
    pub(crate) fn read(b: &Bytes<'_>, off: usize) -> Result<Location> {
        Ok(Location { size: b.u32(off)?, rva: b.u32(off + 4)? })
    }

    /// The described bytes, bounds-checked against the whole file.
    pub fn bytes<'a>(&self, data: &'a [u8], what: &'static str) -> Result<Bytes<'a>> {
        Bytes::new(data, 0, what).sub(self.rva as usize, self.size as usize, what)
    }

    /// True when the descriptor points nowhere (size or RVA zero): writers
    /// use that for "not recorded" (Wine writes stacks with RVA 0).
    pub fn is_empty(&self) -> bool {
        self.size == 0 || self.rva == 0
    }
}

/// A stream type (`MINIDUMP_STREAM_TYPE`), including the Breakpad, Crashpad,
/// Chromium and Mozilla extensions. Unknown values are kept as they are.
///
/// ```
/// use dump_format::minidump::StreamType;
/// assert_eq!(StreamType::THREAD_LIST.name(), "ThreadList");
/// assert_eq!(StreamType(0x1234_5678).name(), "Unknown(0x12345678)");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StreamType(pub u32);

#[allow(missing_docs)] // each constant is the stream of that name
impl StreamType {
    pub const UNUSED: StreamType = StreamType(0);
    pub const THREAD_LIST: StreamType = StreamType(3);
    pub const MODULE_LIST: StreamType = StreamType(4);
    pub const MEMORY_LIST: StreamType = StreamType(5);
    pub const EXCEPTION: StreamType = StreamType(6);
    pub const SYSTEM_INFO: StreamType = StreamType(7);
    pub const THREAD_EX_LIST: StreamType = StreamType(8);
    pub const MEMORY64_LIST: StreamType = StreamType(9);
    pub const COMMENT_A: StreamType = StreamType(10);
    pub const COMMENT_W: StreamType = StreamType(11);
    pub const HANDLE_DATA: StreamType = StreamType(12);
    pub const FUNCTION_TABLE: StreamType = StreamType(13);
    pub const UNLOADED_MODULE_LIST: StreamType = StreamType(14);
    pub const MISC_INFO: StreamType = StreamType(15);
    pub const MEMORY_INFO_LIST: StreamType = StreamType(16);
    pub const THREAD_INFO_LIST: StreamType = StreamType(17);
    pub const HANDLE_OPERATION_LIST: StreamType = StreamType(18);
    pub const TOKEN: StreamType = StreamType(19);
    pub const JAVASCRIPT_DATA: StreamType = StreamType(20);
    pub const SYSTEM_MEMORY_INFO: StreamType = StreamType(21);
    pub const PROCESS_VM_COUNTERS: StreamType = StreamType(22);
    pub const IPT_TRACE: StreamType = StreamType(23);
    pub const THREAD_NAMES: StreamType = StreamType(24);
    pub const BREAKPAD_INFO: StreamType = StreamType(0x4767_0001);
    pub const ASSERTION_INFO: StreamType = StreamType(0x4767_0002);
    pub const LINUX_CPU_INFO: StreamType = StreamType(0x4767_0003);
    pub const LINUX_PROC_STATUS: StreamType = StreamType(0x4767_0004);
    pub const LINUX_LSB_RELEASE: StreamType = StreamType(0x4767_0005);
    pub const LINUX_CMD_LINE: StreamType = StreamType(0x4767_0006);
    pub const LINUX_ENVIRON: StreamType = StreamType(0x4767_0007);
    pub const LINUX_AUXV: StreamType = StreamType(0x4767_0008);
    pub const LINUX_MAPS: StreamType = StreamType(0x4767_0009);
    pub const LINUX_DSO_DEBUG: StreamType = StreamType(0x4767_000a);
    pub const CRASHPAD_INFO: StreamType = StreamType(0x4350_0001);
    pub const STABILITY_REPORT: StreamType = StreamType(0x4b6b_0002);
    pub const MOZ_MACOS_CRASH_INFO: StreamType = StreamType(0x4d7a_0001);
    pub const MOZ_MACOS_BOOTARGS: StreamType = StreamType(0x4d7a_0002);
    pub const MOZ_LINUX_LIMITS: StreamType = StreamType(0x4d7a_0003);
    pub const MOZ_SOFT_ERRORS: StreamType = StreamType(0x4d7a_0004);
}

/// (type, short name, name in error messages) of every known stream.
const KNOWN: &[(u32, &str, &str)] = &[
    (0, "Unused", "Unused stream"),
    (1, "Reserved0", "Reserved0 stream"),
    (2, "Reserved1", "Reserved1 stream"),
    (3, "ThreadList", "ThreadList stream"),
    (4, "ModuleList", "ModuleList stream"),
    (5, "MemoryList", "MemoryList stream"),
    (6, "Exception", "Exception stream"),
    (7, "SystemInfo", "SystemInfo stream"),
    (8, "ThreadExList", "ThreadExList stream"),
    (9, "Memory64List", "Memory64List stream"),
    (10, "CommentStreamA", "CommentStreamA stream"),
    (11, "CommentStreamW", "CommentStreamW stream"),
    (12, "HandleData", "HandleData stream"),
    (13, "FunctionTable", "FunctionTable stream"),
    (14, "UnloadedModuleList", "UnloadedModuleList stream"),
    (15, "MiscInfo", "MiscInfo stream"),
    (16, "MemoryInfoList", "MemoryInfoList stream"),
    (17, "ThreadInfoList", "ThreadInfoList stream"),
    (18, "HandleOperationList", "HandleOperationList stream"),
    (19, "Token", "Token stream"),
    (20, "JavaScriptData", "JavaScriptData stream"),
    (21, "SystemMemoryInfo", "SystemMemoryInfo stream"),
    (22, "ProcessVmCounters", "ProcessVmCounters stream"),
    (23, "IptTrace", "IptTrace stream"),
    (24, "ThreadNames", "ThreadNames stream"),
    (0x8000, "ceNull", "ceNull stream"),
    (0x8001, "ceSystemInfo", "ceSystemInfo stream"),
    (0x8002, "ceException", "ceException stream"),
    (0x8003, "ceModuleList", "ceModuleList stream"),
    (0x8004, "ceProcessList", "ceProcessList stream"),
    (0x8005, "ceThreadList", "ceThreadList stream"),
    (0x8006, "ceThreadContextList", "ceThreadContextList stream"),
    (0x8007, "ceThreadCallStackList", "ceThreadCallStackList stream"),
    (0x8008, "ceMemoryVirtualList", "ceMemoryVirtualList stream"),
    (0x8009, "ceMemoryPhysicalList", "ceMemoryPhysicalList stream"),
    (0x800a, "ceBucketParameters", "ceBucketParameters stream"),
    (0x800b, "ceProcessModuleMap", "ceProcessModuleMap stream"),
    (0x800c, "ceDiagnosisList", "ceDiagnosisList stream"),
    (0xffff, "LastReserved", "LastReserved stream"),
    (0x4767_0001, "BreakpadInfo", "BreakpadInfo stream"),
    (0x4767_0002, "AssertionInfo", "AssertionInfo stream"),
    (0x4767_0003, "LinuxCpuInfo", "LinuxCpuInfo stream"),
    (0x4767_0004, "LinuxProcStatus", "LinuxProcStatus stream"),
    (0x4767_0005, "LinuxLsbRelease", "LinuxLsbRelease stream"),
    (0x4767_0006, "LinuxCmdLine", "LinuxCmdLine stream"),
    (0x4767_0007, "LinuxEnviron", "LinuxEnviron stream"),
    (0x4767_0008, "LinuxAuxv", "LinuxAuxv stream"),
    (0x4767_0009, "LinuxMaps", "LinuxMaps stream"),
    (0x4767_000a, "LinuxDsoDebug", "LinuxDsoDebug stream"),
    (0x4350_0001, "CrashpadInfo", "CrashpadInfo stream"),
    (0x4b6b_0002, "StabilityReport", "StabilityReport stream"),
    (0x4d7a_0001, "MozMacosCrashInfo", "MozMacosCrashInfo stream"),
    (0x4d7a_0002, "MozMacosBootargs", "MozMacosBootargs stream"),
    (0x4d7a_0003, "MozLinuxLimits", "MozLinuxLimits stream"),
    (0x4d7a_0004, "MozSoftErrors", "MozSoftErrors stream"),
];

impl StreamType {
    fn known(self) -> Option<&'static (u32, &'static str, &'static str)> {
        KNOWN.iter().find(|k| k.0 == self.0)
    }

    /// The short name (`ThreadList`, `LinuxMaps`, …), or `None` when unknown.
    pub fn known_name(self) -> Option<&'static str> {
        self.known().map(|k| k.1)
    }

    /// The short name, or `Unknown(0x…)`.
    pub fn name(self) -> String {
        match self.known_name() {
            Some(n) => n.to_string(),
            None => format!("Unknown({:#x})", self.0),
        }
    }

    /// How errors name this stream (`"ThreadList stream"`).
    pub fn label(self) -> &'static str {
        self.known().map_or("stream of unknown type", |k| k.2)
    }
}

/// One `MINIDUMP_DIRECTORY` entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DirectoryEntry {
    /// `StreamType`.
    pub kind: StreamType,
    /// Where the stream's bytes are.
    pub location: Location,
}

/// Size of one `MINIDUMP_DIRECTORY` entry.
pub const ENTRY_SIZE: usize = 12;

/// Reads `count` directory entries at file offset `rva`. The count is
/// checked against the file before anything is allocated.
pub(crate) fn parse(data: &[u8], rva: u32, count: u32) -> Result<Vec<DirectoryEntry>> {
    let file = Bytes::new(data, 0, "MINIDUMP stream directory");
    let table = file.array(rva as usize, count.into(), ENTRY_SIZE)?;
    let mut out = Vec::with_capacity(count as usize);
    for i in 0..count as usize {
        let off = i * ENTRY_SIZE;
        out.push(DirectoryEntry {
            kind: StreamType(table.u32(off)?),
            location: Location::read(&table, off + 4)?,
        });
    }
    Ok(out)
}
