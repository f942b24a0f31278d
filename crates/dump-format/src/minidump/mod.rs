//! Windows MINIDUMP (`MDMP`) container.
//!
//! Opening a MINIDUMP ([`load`], through [`crate::Dump`]) reads the header
//! and the stream directory (fatal when damaged) and then the small tables —
//! threads, modules, memory lists — into the container-neutral records; a
//! damaged stream becomes a [`crate::Warning`]. Everything else is read lazily
//! through [`Minidump`], one method per stream, each returning a typed struct
//! or an [`Error`] naming the stream and file offset.
//!
//! ```no_run
//! let dump = dump_format::Dump::open("app.dmp")?;
//! if let Some(md) = dump.minidump() {
//!     for e in md.directory() {
//!         println!("{} {} bytes", e.kind.name(), e.location.size);
//!     }
//!     let misc = md.misc_info()?;
//!     println!("pid {:?}", misc.process_id);
//! }
//! # Ok::<(), dump_format::Error>(())
//! ```

mod codeview;
mod comment;
mod context;
mod directory;
mod exception;
mod handles;
mod header;
mod load;
mod memory;
mod memory_info;
mod misc_info;
mod modules;
mod string;
mod system_info;
mod system_memory_info;
mod thread_info;
mod thread_names;
mod threads;
mod version;
mod vm_counters;
mod wow64;

pub use codeview::parse_codeview;
pub use context::{CONTEXT_AMD64, CONTEXT_I386, X64_CONTEXT_SIZE, X86_CONTEXT_SIZE, decode_context};
pub use directory::{DirectoryEntry, Location, StreamType};
pub use exception::ExceptionStream;
pub use handles::{Handle, HandleData};
pub use header::Header;
pub use memory::{MemoryDescriptor, MemoryRange64};
pub use memory_info::MemoryInfo;
pub use misc_info::{MiscInfo, TimeZone};
pub use modules::{Module, UnloadedModule};
pub use string::read_string;
pub use system_info::SystemInfo;
pub use system_memory_info::{
    SystemBasicInformation, SystemBasicPerformanceInformation, SystemFileCacheInformation, SystemMemoryInfo,
};
pub use thread_info::ThreadInfo;
pub use thread_names::ThreadName;
pub use threads::Thread;
pub use version::FixedFileInfo;
pub use vm_counters::ProcessVmCounters;

pub(crate) use load::load;

use crate::error::{Error, Result};
use crate::read::Bytes;

/// What opening a MINIDUMP keeps: the header and the stream directory, so
/// that every stream can be found later without re-reading the file.
#[derive(Debug, Default)]
pub struct Index {
    header: Header,
    directory: Vec<DirectoryEntry>,
}

impl Index {
    /// Reads the header and directory; both failing is fatal.
    pub(crate) fn parse(data: &[u8]) -> Result<Index> {
        let header = Header::parse(data)?;
        let directory = directory::parse(data, header.directory_rva, header.stream_count)?;
        Ok(Index { header, directory })
    }
}

/// Typed, lazy access to a MINIDUMP's streams: a view over the file bytes
/// and the [`Index`] made when it was opened.
#[derive(Clone, Copy)]
pub struct Minidump<'a> {
    data: &'a [u8],
    index: &'a Index,
}

impl std::fmt::Debug for Minidump<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Minidump")
            .field("bytes", &self.data.len())
            .field("streams", &self.index.directory.len())
            .finish()
    }
}

impl<'a> Minidump<'a> {
    pub(crate) fn new(data: &'a [u8], index: &'a Index) -> Self {
        Minidump { data, index }
    }

    /// The whole file.
    pub fn data(&self) -> &'a [u8] {
        self.data
    }

    /// The `MINIDUMP_HEADER`.
    pub fn header(&self) -> &'a Header {
        &self.index.header
    }

    /// Every stream directory entry, in file order (unknown types included).
    pub fn directory(&self) -> &'a [DirectoryEntry] {
        &self.index.directory
    }

    /// The bytes of the first stream of type `kind`, or `None` when the dump
    /// has no such stream or its bytes lie outside the file.
    pub fn stream(&self, kind: StreamType) -> Option<Bytes<'a>> {
        self.stream_checked(kind).ok()
    }

    /// Like [`Minidump::stream`], but says why there are no bytes:
    /// [`Error::Missing`] or [`Error::Truncated`] with the stream's offset.
    pub fn stream_checked(&self, kind: StreamType) -> Result<Bytes<'a>> {
        let entry = self
            .index
            .directory
            .iter()
            .find(|e| e.kind == kind)
            .ok_or(Error::Missing { what: kind.label() })?;
        entry.location.bytes(self.data, kind.label())
    }

    /// Bytes at a location descriptor found inside a stream (a context, a
    /// CodeView record), bounds-checked against the file.
    pub fn location(&self, loc: Location, what: &'static str) -> Result<Bytes<'a>> {
        loc.bytes(self.data, what)
    }

    /// The `MINIDUMP_STRING` at `rva`.
    pub fn string(&self, rva: u64, what: &'static str) -> Result<String> {
        read_string(self.data, rva, what)
    }
}

/// The entries of a classic list stream (`u32` count then entries). Some
/// writers pad the count to 8 bytes; the stream size tells which layout it is.
pub(crate) fn counted_list<'a>(stream: Bytes<'a>, entry_size: usize) -> Result<(u32, Bytes<'a>)> {
    let count = stream.u32(0)?;
    let padded = (count as usize)
        .checked_mul(entry_size)
        .and_then(|n| n.checked_add(8))
        .is_some_and(|n| n == stream.len());
    let start = if padded { 8 } else { 4 };
    Ok((count, stream.array(start, count.into(), entry_size)?))
}

/// The entries of an "extended header" list stream (`SizeOfHeader`,
/// `SizeOfEntry`, count): entries are `SizeOfEntry` apart, which may be
/// larger than the fields this reader knows (`min_entry`).
pub(crate) fn sized_list<'a>(
    stream: Bytes<'a>,
    what: &'static str,
    header_size: u32,
    entry_size: u32,
    count: u64,
    min_entry: usize,
) -> Result<Bytes<'a>> {
    if (entry_size as usize) < min_entry {
        return Err(Error::corrupt(
            what,
            stream.file_offset(4),
            format!("entry size {entry_size} is smaller than the {min_entry} bytes of an entry"),
        ));
    }
    stream.rest(header_size as usize)?.array(0, count, entry_size as usize)
}
