//! Errors of the DAC-table route. Every variant names the module (or file)
//! and, where there is one, the RVA / file offset / address that failed.

use crate::pe::PeError;
use dump_format::ReadError;
use std::path::PathBuf;

/// Why the DAC globals table could not be read or named.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DacTableError {
    /// No name list is known for this runtime version and target. Never
    /// answered with a guess: the indices of the table change between builds.
    #[error("{module}: no DAC variable list for runtime version {version} on {target} (known: {})", known.join("; "))]
    UnsupportedVersion {
        /// The runtime module.
        module: String,
        /// The version that was found (file version, and commit when known).
        version: String,
        /// The target (`Windows x64`, …).
        target: String,
        /// The versions / targets that are supported.
        known: Vec<String>,
    },
    /// The runtime module is of a kind this route does not read (not PE or
    /// ELF, an unsupported machine, a big-endian ELF, …).
    #[error("{module}: {reason}")]
    UnsupportedTarget {
        /// The runtime module.
        module: String,
        /// What was found.
        reason: String,
    },
    /// The runtime's version could not be determined (no file version in the
    /// dump's module list or the version resource, no `@(#)Version` string).
    #[error("{module}: runtime version unknown ({tried})")]
    VersionUnknown {
        /// The runtime module.
        module: String,
        /// What was tried.
        tried: String,
    },
    /// A structure the route reads itself (the table's resource, the ELF
    /// binary's headers and symbols) is malformed or out of bounds.
    #[error("{module}: {what} at {location}: {reason}")]
    Malformed {
        /// The module or file.
        module: String,
        /// What was being read.
        what: &'static str,
        /// Where: `RVA 0x…`, `file offset 0x…`.
        location: String,
        /// Why it cannot be right.
        reason: String,
    },
    /// A structure of the PE image (headers, sections, resource directory,
    /// version resource) is corrupt or not stored where it should be; the
    /// [`PeError`] names what, its RVA and why.
    #[error("{module}: {source}")]
    Pe {
        /// The runtime module or file.
        module: String,
        /// The PE reader's error.
        #[source]
        source: PeError,
    },
    /// Dump memory needed for the table was not readable.
    #[error("{module}: {what} at {address:#x}: {source}")]
    Memory {
        /// The runtime module.
        module: String,
        /// What was being read.
        what: &'static str,
        /// The address.
        address: u64,
        /// The memory layer's error.
        #[source]
        source: ReadError,
    },
    /// The image has no `COREXTERNALDATAACCESSRESOURCE` RT_RCDATA resource.
    #[error("{module}: no DAC table resource ({detail})")]
    ResourceNotFound {
        /// The runtime module.
        module: String,
        /// Which level of the resource tree lacked the entry.
        detail: String,
    },
    /// The runtime binary on disk is needed but was not given or not readable.
    #[error("runtime file {path}: {reason}")]
    File {
        /// The path.
        path: PathBuf,
        /// Why it cannot be used.
        reason: String,
    },
    /// The runtime binary on disk is not the build the process loaded.
    #[error("runtime file {path} is not the dumped module's build: {reason}")]
    WrongFile {
        /// The path.
        path: PathBuf,
        /// What differs.
        reason: String,
    },
    /// A symbol the route needs is not in the ELF symbol tables.
    #[error("{path}: no symbol {symbol} in .symtab or .dynsym")]
    SymbolNotFound {
        /// The file.
        path: PathBuf,
        /// The symbol.
        symbol: &'static str,
    },
    /// The table's entry counts are not those of the selected name list:
    /// the names would be shifted, so nothing is named.
    #[error(
        "{module}: DAC table has {found_globals} globals + {found_vptrs} vtables, but the {list} list has {expected_globals} + {expected_vptrs}"
    )]
    CountMismatch {
        /// The runtime module.
        module: String,
        /// The name list that was selected.
        list: &'static str,
        /// Globals (variables + functions) in the list.
        expected_globals: u32,
        /// Vtables in the list.
        expected_vptrs: u32,
        /// Globals in the table.
        found_globals: u32,
        /// Vtables in the table.
        found_vptrs: u32,
    },
    /// The table was found but is impossible: an entry outside the image, a
    /// function outside code, a foreign build id, an unfilled table.
    #[error("{module}: DAC table entry {name} (RVA {rva:#x}): {reason}")]
    Inconsistent {
        /// The runtime module.
        module: String,
        /// The entry (or `header`).
        name: String,
        /// Its RVA (the header's offset for header problems).
        rva: u64,
        /// What is wrong.
        reason: String,
    },
    /// An entry disagrees with the ELF symbol of the same variable: the name
    /// list does not fit this build.
    #[error("{module}: DAC table says {name} is at RVA {table:#x}, the ELF symbol {symbol} says {value:#x}")]
    SymbolMismatch {
        /// The runtime module.
        module: String,
        /// The qualified name.
        name: &'static str,
        /// The mangled symbol.
        symbol: String,
        /// The table's RVA.
        table: u64,
        /// The symbol's value (same origin as the table's RVA).
        value: u64,
    },
    /// The resource pages are not in the dump and the file fallback failed too.
    #[error("{module}: from dump memory: {in_dump}; from the file on disk: {on_disk}")]
    BothFailed {
        /// The runtime module.
        module: String,
        /// The dump-memory attempt.
        in_dump: Box<DacTableError>,
        /// The file attempt.
        on_disk: Box<DacTableError>,
    },
}

impl DacTableError {
    /// True when the error means "those bytes are not in the dump" — the
    /// case where the file on disk is worth trying.
    pub fn is_not_captured(&self) -> bool {
        matches!(self, DacTableError::Memory { .. })
    }
}

/// Shorthand for a [`DacTableError::Malformed`].
pub(super) fn malformed(
    module: &str,
    what: &'static str,
    location: String,
    reason: impl Into<String>,
) -> DacTableError {
    DacTableError::Malformed { module: module.to_string(), what, location, reason: reason.into() }
}
