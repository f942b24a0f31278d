//! Container-neutral records: what a dump says about the process, whatever
//! file format carried it.
//!
//! Every field a container may lack is an `Option`: an unknown is reported as
//! unknown, never invented. Times are kept as the container gave them, with a
//! conversion to Unix time where the epoch is known.

use crate::arch::Arch;
use crate::context::ThreadContext;
use std::time::Duration;

/// Which container format the dump is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// A Windows MINIDUMP (`MDMP`), whoever wrote it.
    Minidump,
    /// A Linux ELF core file (`ET_CORE`).
    ElfCore,
}

impl Format {
    /// Stable name used in output: `minidump` or `elf-core`.
    pub fn name(self) -> &'static str {
        match self {
            Format::Minidump => "minidump",
            Format::ElfCore => "elf-core",
        }
    }
}

/// Operating system family of the dumped process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OsFamily {
    /// Windows NT.
    Windows,
    /// Linux (including Android).
    Linux,
    /// macOS or iOS.
    Apple,
    /// Something else, with the container's own code for it.
    Other(u32),
}

impl OsFamily {
    /// Stable short name: `windows`, `linux`, `apple`, `other(N)`.
    pub fn name(&self) -> String {
        match self {
            OsFamily::Windows => "windows".into(),
            OsFamily::Linux => "linux".into(),
            OsFamily::Apple => "apple".into(),
            OsFamily::Other(n) => format!("other({n})"),
        }
    }
}

/// A moment, in seconds (and nanoseconds) since the Unix epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UnixTime {
    /// Whole seconds since 1970-01-01T00:00:00Z.
    pub secs: i64,
    /// Nanoseconds within the second.
    pub nanos: u32,
}

impl UnixTime {
    /// Converts a Windows FILETIME (100 ns ticks since 1601-01-01). Zero
    /// means "not set" in every stream that uses it, so it gives `None`.
    ///
    /// ```
    /// use dump_format::model::UnixTime;
    /// assert_eq!(UnixTime::from_filetime(116_444_736_000_000_000).map(|t| t.secs), Some(0));
    /// assert!(UnixTime::from_filetime(0).is_none());
    /// ```
    pub fn from_filetime(ft: u64) -> Option<Self> {
        if ft == 0 {
            return None;
        }
        let ticks = ft as i128 - 116_444_736_000_000_000i128;
        let secs = ticks.div_euclid(10_000_000) as i64;
        let nanos = (ticks.rem_euclid(10_000_000) * 100) as u32;
        Some(UnixTime { secs, nanos })
    }

    /// From whole Unix seconds; zero means "not set".
    pub fn from_secs(secs: u64) -> Option<Self> {
        (secs != 0).then_some(UnixTime { secs: secs as i64, nanos: 0 })
    }

    /// RFC 3339 in UTC, e.g. `2020-09-14T08:42:28Z`.
    pub fn to_rfc3339(&self) -> String {
        let days = self.secs.div_euclid(86_400);
        let sod = self.secs.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", sod / 3600, sod % 3600 / 60, sod % 60)
    }
}

/// Days since 1970-01-01 to a proleptic Gregorian (year, month, day).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    // Howard Hinnant's well-known algorithm, written out from its description.
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// What the dump says about the machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SystemSummary {
    /// Processor architecture of the dumped process (x86 for a WOW64 process).
    pub arch: Arch,
    /// True when a 32-bit process was dumped by a 64-bit writer (WOW64).
    pub wow64: bool,
    /// Operating system family.
    pub os: OsFamily,
    /// Version text, e.g. `10.0.19042` or a kernel release.
    pub os_version: Option<String>,
    /// Extra OS text (service pack, build string, uname).
    pub os_detail: Option<String>,
    /// Number of processors, when recorded.
    pub cpu_count: Option<u32>,
}

/// What the dump says about the process.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProcessInfo {
    /// Process id.
    pub pid: Option<u32>,
    /// Short process name.
    pub name: Option<String>,
    /// Command line, when recorded.
    pub command_line: Option<String>,
    /// When the process started.
    pub create_time: Option<UnixTime>,
    /// When the dump was written.
    pub dump_time: Option<UnixTime>,
    /// CPU time spent in user mode by the whole process.
    pub user_time: Option<Duration>,
    /// CPU time spent in kernel mode by the whole process.
    pub kernel_time: Option<Duration>,
}

/// One OS thread of the dumped process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThreadRecord {
    /// OS thread id (Windows TID, Linux LWP id).
    pub id: u32,
    /// Thread name, when recorded.
    pub name: Option<String>,
    /// Registers at the moment of the dump.
    pub context: Option<ThreadContext>,
    /// Why `context` is `None`, when it is.
    pub context_note: Option<String>,
    /// Lowest address of the captured stack memory and its size.
    pub stack: Option<(u64, u64)>,
    /// Thread environment block address (Windows).
    pub teb: Option<u64>,
    /// When the thread started.
    pub create_time: Option<UnixTime>,
    /// When the thread exited (zero in most dumps: it is still running).
    pub exit_time: Option<UnixTime>,
    /// CPU time in user mode.
    pub user_time: Option<Duration>,
    /// CPU time in kernel mode.
    pub kernel_time: Option<Duration>,
    /// Suspend count at the moment of the dump (Windows).
    pub suspend_count: Option<u32>,
    /// Scheduling priority (Windows) or nice value (Linux).
    pub priority: Option<i32>,
}

impl ThreadRecord {
    /// A record knowing only the id.
    pub fn new(id: u32) -> Self {
        ThreadRecord {
            id,
            name: None,
            context: None,
            context_note: None,
            stack: None,
            teb: None,
            create_time: None,
            exit_time: None,
            user_time: None,
            kernel_time: None,
            suspend_count: None,
            priority: None,
        }
    }
}

/// How a module identifies its debug information.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DebugId {
    /// A CodeView RSDS record: PDB 7.0 name, GUID and age.
    Pdb70 {
        /// PDB file name as the linker wrote it.
        pdb_name: String,
        /// The PDB's GUID, as 16 bytes in file order.
        guid: [u8; 16],
        /// The PDB's age.
        age: u32,
    },
    /// A CodeView NB10 record: PDB 2.0 name, signature and age.
    Pdb20 {
        /// PDB file name.
        pdb_name: String,
        /// The PDB's timestamp signature.
        signature: u32,
        /// The PDB's age.
        age: u32,
    },
    /// An ELF GNU build id.
    BuildId(Vec<u8>),
}

impl DebugId {
    /// The symbol-server key text: `GUIDAGE` (uppercase hex, age in hex) for
    /// PDBs, lowercase hex for build ids.
    ///
    /// ```
    /// use dump_format::model::DebugId;
    /// let id = DebugId::BuildId(vec![0xab, 0x01]);
    /// assert_eq!(id.key(), "ab01");
    /// ```
    pub fn key(&self) -> String {
        match self {
            DebugId::Pdb70 { guid, age, .. } => format!("{}{:X}", guid_text(guid, false), age),
            DebugId::Pdb20 { signature, age, .. } => format!("{signature:08X}{age:X}"),
            DebugId::BuildId(b) => b.iter().map(|x| format!("{x:02x}")).collect(),
        }
    }
}

/// Formats a Windows GUID stored in file order (Data1..3 little-endian).
/// With `dashes`, as `{8-4-4-4-12}` without braces.
pub fn guid_text(g: &[u8; 16], dashes: bool) -> String {
    let d1 = u32::from_le_bytes([g[0], g[1], g[2], g[3]]);
    let d2 = u16::from_le_bytes([g[4], g[5]]);
    let d3 = u16::from_le_bytes([g[6], g[7]]);
    let tail: String = g[8..].iter().map(|b| format!("{b:02X}")).collect();
    if dashes {
        format!("{d1:08X}-{d2:04X}-{d3:04X}-{}-{}", &tail[..4], &tail[4..])
    } else {
        format!("{d1:08X}{d2:04X}{d3:04X}{tail}")
    }
}

/// One loaded module (an image or a mapped file grouped by path).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModuleRecord {
    /// Full path as the dump gives it.
    pub path: String,
    /// Load address.
    pub base: u64,
    /// Size of the mapping in bytes.
    pub size: u64,
    /// Image timestamp (PE `TimeDateStamp`).
    pub timestamp: Option<u32>,
    /// Image checksum.
    pub checksum: Option<u32>,
    /// File version from `VS_FIXEDFILEINFO` (major, minor, build, revision).
    pub file_version: Option<[u16; 4]>,
    /// Product version from `VS_FIXEDFILEINFO`.
    pub product_version: Option<[u16; 4]>,
    /// Debug identity (PDB or build id).
    pub debug_id: Option<DebugId>,
}

impl ModuleRecord {
    /// The file name without directories (either separator).
    pub fn file_name(&self) -> &str {
        self.path.rsplit(['/', '\\']).next().unwrap_or(&self.path)
    }

    /// One past the last address of the module.
    pub fn end(&self) -> u64 {
        self.base.saturating_add(self.size)
    }
}

/// The exception (or signal) that caused the dump, when there was one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExceptionInfo {
    /// Thread that raised it.
    pub thread_id: u32,
    /// Exception code (Windows NTSTATUS) or signal number (Linux).
    pub code: u32,
    /// Exception flags.
    pub flags: u32,
    /// Address of the faulting instruction.
    pub address: u64,
    /// The exception's parameters (`ExceptionInformation`).
    pub parameters: Vec<u64>,
    /// Address of a chained exception record, if any.
    pub nested_record: u64,
    /// Registers of the faulting thread at the exception.
    pub context: Option<ThreadContext>,
}

/// One region of the process's virtual memory, as the memory map knows it
/// (MINIDUMP MemoryInfoList, or derived from ELF segments and `NT_FILE`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegionInfo {
    /// Base address.
    pub base: u64,
    /// Allocation base (Windows).
    pub allocation_base: Option<u64>,
    /// Size in bytes.
    pub size: u64,
    /// Windows `MEM_COMMIT` / `MEM_RESERVE` / `MEM_FREE` (raw value).
    pub state: Option<u32>,
    /// Windows `MEM_IMAGE` / `MEM_MAPPED` / `MEM_PRIVATE` (raw value).
    pub kind: Option<u32>,
    /// Protection (Windows `PAGE_*` raw value; ELF flags mapped onto them).
    pub protect: Option<u32>,
    /// Protection at allocation time (Windows).
    pub allocation_protect: Option<u32>,
    /// Bytes of the region the dump holds.
    pub captured: u64,
    /// File mapped there, when known.
    pub mapped_file: Option<String>,
}

/// A stream (MINIDUMP) or note/segment summary (ELF) for `info`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamInfo {
    /// Numeric type (stream type, or note type).
    pub kind: u32,
    /// Human name, or `Unknown(0x…)`.
    pub name: String,
    /// Size in bytes.
    pub size: u64,
    /// File offset.
    pub offset: u64,
}

/// One OS handle (MINIDUMP HandleData).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandleRecord {
    /// Handle value.
    pub handle: u64,
    /// Object type name, when recorded.
    pub type_name: Option<String>,
    /// Object name, when recorded.
    pub object_name: Option<String>,
    /// Attributes.
    pub attributes: u32,
    /// Granted access mask.
    pub granted_access: u32,
    /// Handle count.
    pub handle_count: u32,
    /// Pointer count.
    pub pointer_count: u32,
}

/// Something that went wrong without stopping the parse: the answer is
/// partial, and this says what is missing and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// The message, naming the stream or note and offset.
    pub message: String,
}

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl Warning {
    /// A warning with this message.
    pub fn new(message: impl std::fmt::Display) -> Self {
        Warning { message: message.to_string() }
    }
}
