//! The [`Dump`] facade: open a file, recognise its container, and answer the
//! container-neutral questions (threads, modules, memory) the layers above ask.

use crate::arch::Arch;
use crate::error::{Error, Result};
use crate::memory::{AddressSpace, Memory, Region};
use crate::model::*;
use crate::{elf, minidump};
use std::path::Path;

/// The bytes of a dump: a read-only memory map, or owned bytes (tests, fuzzing).
enum Backing {
    Mapped(memmap2::Mmap),
    Owned(Vec<u8>),
}

impl Backing {
    fn bytes(&self) -> &[u8] {
        match self {
            Backing::Mapped(m) => m,
            Backing::Owned(v) => v,
        }
    }
}

/// Everything a container parser extracts when a dump is opened. Tables are
/// small (threads, modules, regions); process memory stays in the file and is
/// read lazily through [`Memory`].
#[derive(Debug, Default)]
pub(crate) struct Loaded {
    pub system: Option<SystemSummary>,
    pub process: ProcessInfo,
    pub threads: Vec<ThreadRecord>,
    pub modules: Vec<ModuleRecord>,
    pub unloaded_modules: Vec<ModuleRecord>,
    pub exception: Option<ExceptionInfo>,
    pub regions: Vec<RegionInfo>,
    pub memory: Vec<Region>,
    pub streams: Vec<StreamInfo>,
    pub handles: Vec<HandleRecord>,
    pub comments: Vec<String>,
    pub warnings: Vec<Warning>,
    pub minidump: Option<minidump::Index>,
    pub elf: Option<elf::Index>,
}

/// An opened dump file.
///
/// ```no_run
/// let dump = dump_format::Dump::open("w3wp.dmp")?;
/// println!("{} threads, {} modules", dump.threads().len(), dump.modules().len());
/// let word = dump.memory().ptr(0x7ff6_0000_1000);
/// # Ok::<(), dump_format::Error>(())
/// ```
pub struct Dump {
    backing: Backing,
    format: Format,
    system: SystemSummary,
    space: AddressSpace,
    loaded: Loaded,
}

impl std::fmt::Debug for Dump {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dump")
            .field("format", &self.format)
            .field("system", &self.system)
            .field("bytes", &self.backing.bytes().len())
            .finish_non_exhaustive()
    }
}

impl Dump {
    /// Opens the dump at `path` through a read-only memory map.
    pub fn open(path: impl AsRef<Path>) -> Result<Dump> {
        let path = path.as_ref();
        let io = |source| Error::Io { path: path.to_path_buf(), source };
        let file = std::fs::File::open(path).map_err(io)?;
        let len = file.metadata().map_err(io)?.len();
        if len == 0 {
            return Err(Error::UnknownFormat { found: "an empty file".into() });
        }
        // The one unsafe operation of the crate: the map is read-only, and a
        // dump file being truncated underneath us is outside what we defend
        // against (the same contract every mmap-based reader has).
        #[allow(unsafe_code)]
        let map = unsafe { memmap2::Mmap::map(&file) }.map_err(io)?;
        Self::from_backing(Backing::Mapped(map))
    }

    /// Parses a dump held in memory (used by tests and the fuzz target).
    ///
    /// ```
    /// let err = dump_format::Dump::from_bytes(b"hello".to_vec()).unwrap_err();
    /// assert!(err.to_string().contains("not a memory dump"));
    /// ```
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Dump> {
        Self::from_backing(Backing::Owned(bytes))
    }

    fn from_backing(backing: Backing) -> Result<Dump> {
        let data = backing.bytes();
        let (format, mut loaded) = if data.starts_with(b"MDMP") {
            (Format::Minidump, minidump::load(data)?)
        } else if data.starts_with(b"\x7fELF") {
            (Format::ElfCore, elf::load(data)?)
        } else {
            return Err(Error::UnknownFormat { found: describe_magic(data) });
        };
        let system = loaded.system.take().unwrap_or(SystemSummary {
            arch: Arch::Other(0),
            wow64: false,
            os: OsFamily::Other(0),
            os_version: None,
            os_detail: None,
            cpu_count: None,
        });
        let space = AddressSpace::new(std::mem::take(&mut loaded.memory));
        if space.overlaps() > 0 {
            loaded.warnings.push(Warning::new(format!(
                "{} captured memory ranges overlap others; the first-listed bytes are used",
                space.overlaps()
            )));
        }
        Ok(Dump { backing, format, system, space, loaded })
    }

    /// The whole dump file.
    pub fn bytes(&self) -> &[u8] {
        self.backing.bytes()
    }

    /// Which container this is.
    pub fn format(&self) -> Format {
        self.format
    }

    /// Architecture of the dumped process.
    pub fn arch(&self) -> Arch {
        self.system.arch
    }

    /// Machine and OS facts.
    pub fn system(&self) -> &SystemSummary {
        &self.system
    }

    /// Process facts.
    pub fn process(&self) -> &ProcessInfo {
        &self.loaded.process
    }

    /// The process's captured memory.
    pub fn memory(&self) -> Memory<'_> {
        Memory::new(self.backing.bytes(), &self.space, self.system.arch.pointer_size())
    }

    /// OS threads, in the order the dump lists them.
    pub fn threads(&self) -> &[ThreadRecord] {
        &self.loaded.threads
    }

    /// Loaded modules.
    pub fn modules(&self) -> &[ModuleRecord] {
        &self.loaded.modules
    }

    /// Modules the process had unloaded before the dump (MINIDUMP only).
    pub fn unloaded_modules(&self) -> &[ModuleRecord] {
        &self.loaded.unloaded_modules
    }

    /// The module whose image contains `addr`.
    pub fn module_at(&self, addr: u64) -> Option<&ModuleRecord> {
        self.loaded.modules.iter().find(|m| addr >= m.base && addr < m.end())
    }

    /// The exception or signal that caused the dump.
    pub fn exception(&self) -> Option<&ExceptionInfo> {
        self.loaded.exception.as_ref()
    }

    /// The memory map (may be empty when the dump has none).
    pub fn regions(&self) -> &[RegionInfo] {
        &self.loaded.regions
    }

    /// Streams (MINIDUMP) or notes and segment groups (ELF), for `info`.
    pub fn streams(&self) -> &[StreamInfo] {
        &self.loaded.streams
    }

    /// OS handles (MINIDUMP HandleData).
    pub fn handles(&self) -> &[HandleRecord] {
        &self.loaded.handles
    }

    /// Comment streams.
    pub fn comments(&self) -> &[String] {
        &self.loaded.comments
    }

    /// What could not be read: each one makes some answer partial.
    pub fn warnings(&self) -> &[Warning] {
        &self.loaded.warnings
    }

    /// Typed access to the MINIDUMP streams, when this is a MINIDUMP.
    pub fn minidump(&self) -> Option<minidump::Minidump<'_>> {
        self.loaded.minidump.as_ref().map(|i| minidump::Minidump::new(self.backing.bytes(), i))
    }

    /// Typed access to the ELF core's segments and notes, when this is one.
    pub fn elf(&self) -> Option<elf::ElfCore<'_>> {
        self.loaded.elf.as_ref().map(|i| elf::ElfCore::new(self.backing.bytes(), i))
    }
}

/// Names what the first bytes of an unrecognised file look like.
fn describe_magic(data: &[u8]) -> String {
    let head = &data[..data.len().min(8)];
    let hex: Vec<String> = head.iter().map(|b| format!("{b:02x}")).collect();
    let kind = if data.starts_with(b"PAGEDU64") || data.starts_with(b"PAGEDUMP") {
        "a Windows kernel crash dump (not supported: only user-mode MINIDUMPs)"
    } else if data.starts_with(b"MZ") {
        "a Windows executable (PE), not a dump"
    } else if data.starts_with(&[0xcf, 0xfa, 0xed, 0xfe]) {
        "a Mach-O file (macOS cores are not supported)"
    } else if data.starts_with(b"PK") {
        "a zip archive (unpack it first)"
    } else if data.starts_with(&[0x1f, 0x8b]) {
        "a gzip file (decompress it first)"
    } else {
        "unrecognised content"
    };
    format!("{kind}; first bytes: {}", hex.join(" "))
}
