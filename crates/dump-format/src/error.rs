//! Typed errors of the container layer.
//!
//! Two families: [`Error`] is about the dump *file* (a stream, a note, a
//! header that is missing or malformed) and always names what was being read
//! and at which file offset; [`ReadError`] is about the *process memory* the
//! dump captured and always names the virtual address.

use std::path::PathBuf;

/// Anything that can go wrong while opening or parsing a dump file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The file could not be opened or mapped.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The path given by the caller.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// The file is neither a MINIDUMP nor an ELF core dump.
    #[error("not a memory dump: {found}")]
    UnknownFormat {
        /// A description of what the first bytes look like.
        found: String,
    },
    /// A structure extends past the end of the file (or of its stream).
    #[error("{what} at file offset {offset:#x} needs {needed} bytes but only {available} remain")]
    Truncated {
        /// What was being read (e.g. "ThreadList stream entry 3").
        what: String,
        /// Absolute file offset of the structure.
        offset: u64,
        /// Bytes the structure needs.
        needed: u64,
        /// Bytes actually available there.
        available: u64,
    },
    /// A structure is present but its content is impossible.
    #[error("{what} at file offset {offset:#x} is corrupt: {reason}")]
    Corrupt {
        /// What was being read.
        what: String,
        /// Absolute file offset of the structure.
        offset: u64,
        /// Why the content cannot be right.
        reason: String,
    },
    /// The dump does not contain the requested stream or note.
    #[error("the dump has no {what}")]
    Missing {
        /// The stream or note that is absent.
        what: &'static str,
    },
}

/// A failed read of the captured process memory.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReadError {
    /// No captured region covers this address: the dump writer did not save it.
    #[error("memory at {address:#x} (+{len:#x}) was not captured in the dump")]
    NotCaptured {
        /// First address that is missing.
        address: u64,
        /// Length that was requested from there.
        len: u64,
    },
    /// The address lies in a region the process had, but whose bytes the
    /// dump writer left out (ELF `p_memsz > p_filesz`). Never reported as zeros.
    #[error("memory at {address:#x} belongs to a region whose bytes were not written to the dump")]
    NotWritten {
        /// First address that is missing.
        address: u64,
    },
    /// The dump says the bytes are in the file, but the file ends before them.
    #[error(
        "memory at {address:#x} should be at file offset {file_offset:#x}, past the end of the file (truncated dump)"
    )]
    Corrupt {
        /// The address that was read.
        address: u64,
        /// Where the dump's own tables put the bytes.
        file_offset: u64,
    },
    /// The range is captured but its bytes are not back to back in the file,
    /// so no borrowed slice exists; `Memory::read` copies it instead.
    #[error("memory at {address:#x} is captured but not contiguous in the file")]
    NotContiguous {
        /// Where the file stops being contiguous.
        address: u64,
    },
    /// The read is larger than this reader will allocate for one call.
    #[error("a read of {len:#x} bytes at {address:#x} is larger than the {limit:#x}-byte limit")]
    TooLarge {
        /// The address that was read.
        address: u64,
        /// The requested length.
        len: u64,
        /// The limit.
        limit: u64,
    },
}

/// Result alias for file-level parsing.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// Shorthand for [`Error::Corrupt`].
    pub(crate) fn corrupt(what: impl Into<String>, offset: u64, reason: impl Into<String>) -> Self {
        Error::Corrupt { what: what.into(), offset, reason: reason.into() }
    }
}
